import json

import pytest

from bfcore import tasks as T


def test_load_solution_and_tests_formats(tmp_path):
    p = tmp_path / "t.jsonl"
    p.write_text(
        '{"problem": "Print 7 times the letter a.", "solution": "aaaaaaa"}\n'
        "\n# a comment\n"
        '{"problem": "echo", "tests": [{"input": "ab", "output": "ab"}, {"input": "", "output": ""}], "family": "io"}\n'
    )
    a, b = T.load_tasks(p)
    assert a.target == b"aaaaaaa" and a.tests == ((b"", b"aaaaaaa"),) and a.family == "custom"
    assert b.family == "io" and b.reads_input and b.tests[0] == (b"ab", b"ab")


@pytest.mark.parametrize("line, reason", [
    ('{"problem": "x"', "invalid JSON"),
    ('["problem"]', "expected a JSON object"),
    ('{"solution": "x"}', "missing 'problem'"),
    ('{"problem": "x"}', "needs 'solution' or 'tests'"),
    ('{"problem": "x", "solution": 3}', "must be a string"),
    ('{"problem": "x", "tests": []}', "non-empty list"),
    ('{"problem": "x", "tests": [{"input": "a"}]}', "needs an 'output'"),
])
def test_malformed_lines_name_line_and_reason(tmp_path, line, reason):
    p = tmp_path / "bad.jsonl"
    p.write_text('{"problem": "ok", "solution": "ok"}\n\n' + line + "\n")
    with pytest.raises(T.TaskFormatError) as exc:
        T.load_tasks(p)
    assert f"{p}:3:" in str(exc.value) and reason in str(exc.value)


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(T.TaskFormatError, match="cannot read"):
        T.load_tasks(tmp_path / "nope.jsonl")
    (tmp_path / "e.jsonl").write_text("\n")
    with pytest.raises(T.TaskFormatError, match="no tasks"):
        T.load_tasks(tmp_path / "e.jsonl")


def test_save_round_trip(tmp_path):
    tasks = T.make_split("val", 3)
    T.save_tasks(tasks, tmp_path / "v.jsonl")
    assert T.load_tasks(tmp_path / "v.jsonl") == tasks
    assert not list(tmp_path.glob("*.tmp"))


def test_every_family_has_ten_templates_and_correct_answers():
    for fam, ts in T.TEMPLATES.items():
        assert len(set(ts)) >= 10, fam
    checks = {"add": lambda a, b: a + b, "sub": lambda a, b: abs(a - b), "mul": lambda a, b: a * b,
              "max": max, "min": min}
    import re
    words = "|".join(T.SMALL_NUMBER_WORDS)
    for fam, fn in checks.items():
        for split in ("train", "test"):
            for t in T.generate(fam, split, 60):
                nums = re.findall(r"\d+", t.problem)
                if len(nums) < 2:  # the same rule as bfcore.agent.memory.derived_segments
                    nums = re.findall(rf"\d+|\b(?:{words})\b", t.problem.lower())[:2]
                a, b = (int(x) if x.isdigit() else T.SMALL_NUMBER_WORDS.index(x) for x in nums)
                assert t.target == str(fn(a, b)).encode(), t


def test_train_split_dresses_phrasings_but_never_into_a_held_out_template():
    import re
    train = T.make_split("train", 300)
    # dressing happens: prefixes, capitals, numbers as words
    assert any(t.problem[0].isupper() for t in train)
    assert any(t.problem.startswith(("please ", "can you ", "hey, ")) for t in train)
    assert any(re.search(r"\b(two|three|four|five|six|seven|eight|nine|ten)\b", t.problem) for t in train)
    # val and test prompts are their templates as written: the shipped files are what generate() gives
    assert [t.problem for t in T.make_split("test", 80)] == [t.problem for t in T.load_tasks(T.default_task_file("test"))]
    for fam in T.FAMILIES:
        held = T._held_out(fam)
        for t in T._templates(fam, "train"):
            assert T.norm_template(t) not in held, (fam, t)
        rng = __import__("random").Random(0)
        for t in T._templates(fam, "train"):
            for _ in range(200):
                assert T.norm_template(T.dress(t, fam, rng, held)) not in held
    # the leak the guard exists for: "say {p}" dressed with "just " is the test template "just say {p}"
    assert T.dress("say {p}", "print", type("R", (), {"random": lambda s: 0.0, "choice": lambda s, p: "just "})(),
                    T._held_out("print")) == "say {p}"


def test_splits_hold_out_templates_and_values():
    def phrasing(t):
        import re
        return re.sub(r"\d+", "#", t.problem)
    train, test = T.make_split("train", 60), T.make_split("test", 20)
    assert not {t.problem for t in train} & {t.problem for t in test}
    for fam in T.FAMILIES:
        tr = set(T._templates(fam, "train"))
        te = set(T._templates(fam, "test"))
        assert te and tr and not tr & te
    train_words = {w for w in T.WORDS if T._bucket("w:" + w) == "train"}
    for t in test:
        if t.family in ("reverse", "upper", "length"):
            assert not any(w in train_words for w in t.problem.replace('"', " ").split() if w in T.WORDS and len(w) > 3 and w == t.target.decode().lower()[::-1 if t.family == "reverse" else 1])


def test_targets_are_short_and_families_complete():
    tasks = T.make_split("test", 10)
    assert {t.family for t in tasks} == set(T.FAMILIES)
    assert max(len(t.target) for t in tasks) <= T.MAX_TARGET


def test_curriculum_advances_on_success_and_round_trips():
    c = T.Curriculum(limits=(2, 4, 8), threshold=0.5)
    short, long_ = T.make_task("p", "ab"), T.make_task("p", "abcdef")
    assert c.admits(short) and not c.admits(long_)
    assert not c.update(0.1)
    while not c.update(1.0):
        pass
    assert c.level == 1
    c2 = T.Curriculum(limits=(2, 4, 8))
    c2.load_state(json.loads(json.dumps(c.state())))
    assert c2.level == 1 and c2.max_len == 4


def test_shipped_task_files_load_with_families():
    for split in T.SPLITS:
        tasks = T.load_tasks(T.default_task_file(split))
        assert len({t.family for t in tasks}) >= len(T.FAMILIES)
