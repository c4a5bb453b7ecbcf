import copy
import json
import re
import string

import pytest

from bfcore import tasks as T
from bfcore.synth import families as F

OUTSIDE = T.assets_dir() / "tasks" / "synth_outside.jsonl"
EXPECTED = (
    "echo reverse upper lower add twice_each twice_all first last drop_first length count remove "
    "sum_digits until_space alphabet digits repeat_word copies first_letter last_letter lower_word"
).split()


def _raw_families():
    return json.loads(F.families_file().read_text(encoding="utf-8"))


def _outside_lines():
    lines = OUTSIDE.read_text(encoding="utf-8").splitlines()
    return [json.loads(x) for x in lines if x.strip() and not x.startswith("#")]


def test_the_file_defines_exactly_the_families_in_order():
    assert list(F.FAMILIES) == EXPECTED
    assert set(F.INPUT_FAMILIES) | set(F.CONST_FAMILIES) == set(EXPECTED)
    assert set(F.CONST_FAMILIES) == {"alphabet", "digits", "repeat_word", "copies", "first_letter",
                                     "last_letter", "lower_word"}


@pytest.mark.parametrize("name", EXPECTED)
def test_phrasings_split_8_3_3_and_never_shared(name):
    ph = F.FAMILIES[name].phrasings
    assert [len(ph[s]) for s in T.SPLITS] >= [8, 3, 3] and sum(len(v) for v in ph.values()) >= 14
    by_split = {s: {F.norm_phrasing(t) for t in ph[s]} for s in T.SPLITS}
    assert all(len(by_split[s]) == len(ph[s]) for s in T.SPLITS)
    assert not by_split["train"] & by_split["val"]
    assert not by_split["train"] & by_split["test"]
    assert not by_split["val"] & by_split["test"]


EXAMPLES = [
    ("echo", b"hi there", {}, b"hi there"),
    ("reverse", b"abc", {}, b"cba"),
    ("upper", b"hello you", {}, b"HELLO YOU"),
    ("lower", b"NEW YORK", {}, b"new york"),
    ("add", b"ab", {"k": 2}, b"cd"),
    ("add", b"Z9", {"k": 9}, b"cB"),
    ("twice_each", b"abc", {}, b"aabbcc"),
    ("twice_all", b"abc", {}, b"abcabc"),
    ("first", b"xyz", {}, b"x"),
    ("last", b"xyz", {}, b"z"),
    ("drop_first", b"xyz", {}, b"yz"),
    ("length", b"hello", {}, b"5"),
    ("count", b"banana", {"c": "a"}, b"3"),
    ("count", b"xyz", {"c": "a"}, b"0"),
    ("remove", b"banana", {"c": "a"}, b"bnn"),
    ("sum_digits", b"34", {}, b"7"),
    ("sum_digits", b"00", {}, b"0"),
    ("until_space", b"ab cd ef", {}, b"ab"),
    ("alphabet", b"", {"a": "c", "b": "k"}, b"cdefghijk"),
    ("alphabet", b"", {}, b"abcdefghijklmnopqrstuvwxyz"),
    ("digits", b"", {"a": 1, "b": 9}, b"123456789"),
    ("digits", b"", {}, b"0123456789"),
    ("repeat_word", b"", {"word": "hello", "n": 3}, b"hellohellohello"),
    ("copies", b"", {"c": "x", "n": 150}, b"x" * 150),
    ("first_letter", b"", {"word": "moon"}, b"m"),
    ("last_letter", b"", {"word": "moon"}, b"n"),
    ("lower_word", b"", {"word": "HELLO"}, b"hello"),
]


def test_every_family_has_a_hand_example():
    assert {e[0] for e in EXAMPLES} == set(EXPECTED)


@pytest.mark.parametrize("family, inp, params, out", EXAMPLES)
def test_reference(family, inp, params, out):
    assert F.reference(family, inp, params) == out


def test_make_tasks_is_deterministic_covers_all_and_respects_the_caps():
    for split in T.SPLITS:
        a = F.make_tasks(split, 12, seed=3)
        assert a == F.make_tasks(split, 12, seed=3)
        assert {t.family for t in a} == set(EXPECTED)
        assert len(a) == 12 * len(EXPECTED)
        for t in a:
            fam = F.FAMILIES[t.family]
            assert t.problem.strip() and "{" not in t.problem
            if fam.reads_input:
                assert len(t.tests) == 6 and t.reads_input
                assert len({i for i, _ in t.tests}) > 1
            else:
                assert len(t.tests) == 1 and t.tests[0][0] == b""
            cap = F.INPUT_CAP if fam.reads_input else F.CONST_CAP
            params = F.task_params(t)
            for inp, out in t.tests:
                assert b"\0" not in inp and all(32 <= x < 127 for x in inp)
                assert 0 < len(out) <= cap
                assert out == F.reference(t.family, inp, params)
    assert F.make_tasks("train", 4, seed=1) != F.make_tasks("train", 4, seed=2)
    assert F.make_tasks("val", 3, families=["add", "copies"], n_tests=2)[0].family in ("add", "copies")


def test_the_train_split_dresses_phrasings_but_never_into_a_held_out_one():
    train = F.make_tasks("train", 60, seed=0)
    dressed = [t for t in train if t.problem[:1].isupper() or t.problem.endswith((" please", "?"))]
    assert len(dressed) > len(train) // 10
    for t in train:  # read back, a dressed problem is a train phrasing, never a held-out one
        fam = F.FAMILIES[t.family]
        assert _template_of(fam, "train", t.problem), t.problem
        assert not any(_template_of(fam, sp, t.problem, missing_ok=True) for sp in ("val", "test"))
    # val and test keep their phrasings as written
    assert all(not t.problem[:1].isupper() or t.problem.split()[0] == "I"
               for t in F.make_tasks("val", 20, seed=0) if t.family != "lower_word")


def test_splits_keep_their_phrasings_and_values_apart():
    tasks = {s: F.make_tasks(s, 40, seed=0) for s in T.SPLITS}
    shares = {(f, s): F.value_share(f, s) for f in EXPECTED for s in T.SPLITS}
    for s, ts in tasks.items():
        for t in ts:
            fam = F.FAMILIES[t.family]
            # the problem comes from one of this split's phrasings...
            assert F.parse_problem(t.family, t.problem) == F.task_params(t)
            p = F.task_params(t)
            shown = {k: v for k, v in p.items() if "{%s}" % k in _template_of(fam, s, t.problem)}
            # ...and what it shows lies in this split's share of the values
            share = [{k: v[k] for k in shown} for v in shares[t.family, s]]
            assert shown in share, (s, t.problem)
    for name in EXPECTED:
        shares = {s: {json.dumps(v, sort_keys=True) for v in F.value_share(name, s)} for s in T.SPLITS}
        assert all(shares.values()), name
        if F.FAMILIES[name].params:
            assert not shares["train"] & (shares["val"] | shares["test"])
            assert not shares["val"] & shares["test"]
            assert len(shares["train"]) > len(shares["val"]) + len(shares["test"])


def _template_of(fam, split, problem, missing_ok=False):
    for t in fam.phrasings[split]:
        c = F._compiled(fam.name, t)
        if c.fullmatch(problem) or c.fullmatch(problem[:1].lower() + problem[1:]):  # a capital
            return t
    if missing_ok:
        return None
    raise AssertionError(f"{problem!r} is not a {split} phrasing of {fam.name}")


def test_some_prompts_spell_small_numbers_as_words():
    probs = [t.problem for t in F.make_tasks("train", 60, families=["add", "repeat_word"])]
    assert any(re.search(r"\b(one|two|three|four|five|six|seven|eight|nine)\b", p) for p in probs)
    assert any(re.search(r"\d", p) for p in probs)


def test_fresh_tests_new_inputs_same_params():
    for t in F.make_tasks("train", 2, seed=5):
        fresh = F.fresh_tests(t, seed=11)
        assert fresh == F.fresh_tests(t, seed=11)
        params = F.task_params(t)
        for inp, out in fresh:
            assert out == F.reference(t.family, inp, params)
        if F.FAMILIES[t.family].reads_input:
            assert len(fresh) == 6
            assert not {i for i, _ in fresh} & {i for i, _ in t.tests}
            assert fresh != F.fresh_tests(t, seed=12)
        else:
            assert fresh == t.tests


def test_task_params_survives_a_save_and_reload(tmp_path):
    tasks = F.make_tasks("test", 3, seed=9)
    T.save_tasks(tasks, tmp_path / "s.jsonl")
    reloaded = T.load_tasks(tmp_path / "s.jsonl")
    want = [F.task_params(t) for t in tasks]
    F._PARAMS.clear()  # as in a fresh process: params must be read back from the problem text
    try:
        assert [F.task_params(t) for t in reloaded] == want
    finally:
        F.make_tasks("test", 3, seed=9)
    with pytest.raises(KeyError, match="matches none"):
        F.task_params(T.Task("do something else", ((b"", b"x"),), "copies"))


def test_outside_file_loads_and_agrees_with_the_references():
    tasks = T.load_tasks(OUTSIDE)
    lines = _outside_lines()
    assert len(tasks) == len(lines) >= 40
    counts = {f: 0 for f in EXPECTED}
    for task, line in zip(tasks, lines):
        assert task.problem == line["problem"] and task.family in counts
        counts[task.family] += 1
        fam = F.FAMILIES[task.family]
        if fam.reads_input:
            assert len(task.tests) >= 5 and len({i for i, _ in task.tests}) == len(task.tests)
        else:
            assert task.tests[0][0] == b""  # a constant program: one test, no input
        cap = F.INPUT_CAP if fam.reads_input else F.CONST_CAP
        for inp, out in task.tests:
            assert b"\0" not in inp and len(out) <= cap
            assert out == F.reference(task.family, inp, line["params"]), task.problem
    assert min(counts.values()) >= 2, counts


def test_outside_requests_are_not_phrasings_with_a_value_swapped_in():
    def loose(template):
        parts = []
        for lit, name, _, _ in string.Formatter().parse(F.norm_phrasing(template)):
            parts.append(re.escape(lit) + (r"\S+" if name else ""))  # a value is one token
        return re.compile("".join(parts))

    patterns = [loose(t) for fam in F.FAMILIES.values() for ts in fam.phrasings.values() for t in ts]
    for line in _outside_lines():
        text = F.norm_phrasing(line["problem"])
        assert not any(p.fullmatch(text) for p in patterns), line["problem"]


def test_parse_task_ignores_the_extra_params_key():
    t = T.parse_task({"problem": "p", "family": "add", "params": {"k": 1},
                      "tests": [{"input": "a", "output": "b"}]}, "x")
    assert t == T.Task("p", ((b"a", b"b"),), "add")


def _broken(mutate):
    data = copy.deepcopy(_raw_families())
    mutate(data["families"])
    return data


@pytest.mark.parametrize("mutate, family, field", [
    (lambda fs: fs["reverse"]["phrasings"]["val"].pop(), "reverse", "phrasings.val"),
    (lambda fs: fs["echo"]["phrasings"]["test"].append(fs["echo"]["phrasings"]["train"][0] + "!"),
     "echo", "phrasings.test"),
    (lambda fs: fs["add"].update(fn="ref_nope"), "add", "fn"),
    (lambda fs: fs["count"]["phrasings"]["train"].append("count {letter}"), "count", "phrasings.train"),
    (lambda fs: fs["copies"]["phrasings"]["train"].append("print {n} dots"), "copies",
     "phrasings.train"),
    (lambda fs: fs["upper"]["inputs"].update(lengths=[0, 8]), "upper", "inputs.lengths"),
    (lambda fs: fs["echo"]["inputs"].update(alphabet="ab\0"), "echo", "inputs.alphabet"),
    (lambda fs: fs["digits"]["values"].pop("b"), "digits", "values"),
    (lambda fs: fs["last"].pop("inputs"), "last", "inputs"),
    (lambda fs: fs["copies"].update(shorter=1.5), "copies", "shorter"),
    (lambda fs: fs["copies"].update(shorter=True), "copies", "shorter"),
    (lambda fs: fs["echo"].update(shorter=0.5), "echo", "shorter"),  # a cap needs a constant output
])
def test_validator_names_the_broken_family_and_field(mutate, family, field):
    with pytest.raises(F.FamilyFormatError) as exc:
        F.parse_families(_broken(mutate), "f.json")
    msg = str(exc.value)
    assert "\n" not in msg and f"family {family!r}" in msg and field in msg, msg


def test_load_families_reports_unreadable_files(tmp_path):
    with pytest.raises(F.FamilyFormatError, match="cannot read"):
        F.load_families(tmp_path / "none.json")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(F.FamilyFormatError, match="invalid JSON"):
        F.load_families(tmp_path / "bad.json")


def test_a_capped_family_caps_at_its_share_of_the_print_compiler():
    from bfcore.agent.compile import compile_bytes

    for t in F.make_tasks("test", 5, families=["copies", "echo"]):
        cap = F.text_cap(t.family, t.tests)
        if t.family == "copies":
            assert cap == len(compile_bytes(t.tests[0][1])[0]) // 2
        else:
            assert cap is None
    assert F.text_cap("custom", ((b"", b"aaa"),)) is None
