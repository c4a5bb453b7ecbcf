"""The synthesis agent's parts that need no language model: actions, grammar, tracer, policy, score."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bfcore.interp.fast import run
from bfcore.interp.program import Config, parse
from bfcore.synth.actions import (ACTIONS, CLOSE, END, INDEX, OPEN, Grammar, Params, prompt_params,
                                  to_program, tokenize)
from bfcore.synth.observe import OBS_DIM, Tracer
from bfcore.synth.mutate import accepts
from bfcore.synth.score import reward_of, score_one


def _random_program(seed: int, params=Params(3, 101), max_len=24, max_depth=3):
    rng = np.random.default_rng(seed)
    g = Grammar(params, max_len, max_depth)
    acts = []
    while not g.done:
        a = int(rng.choice(g.allowed()))
        acts.append(a)
        g.push(a)
    return acts


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(4, 40), st.integers(1, 4))
def test_every_program_the_grammar_allows_is_valid_bf(seed, max_len, max_depth):
    acts = _random_program(seed, max_len=max_len, max_depth=max_depth)
    assert acts[-1] == END and len(acts) - 1 <= max_len
    program, spans = to_program(acts, Params(3, 101))
    parse(program)  # raises on unbalanced brackets
    depth = deepest = 0
    for a in acts:
        depth += (a == OPEN) - (a == CLOSE)
        deepest = max(deepest, depth)
    assert deepest <= max_depth
    assert "[]" not in program
    assert "".join(program[a:b] for a, b in spans) == program


def test_grammar_forbids_redundant_runs_and_unavailable_params():
    g = Grammar(Params(None, None))
    assert INDEX["+n"] not in g.allowed() and INDEX["+c"] not in g.allowed()
    g.push(INDEX["+3"])
    assert INDEX["+4"] not in g.allowed() and INDEX["+3"] not in g.allowed()
    assert INDEX["-1"] not in g.allowed() and INDEX["+2"] in g.allowed()
    assert tokenize("+" * 120) == [INDEX["+64"], INDEX["+48"], INDEX["+8"], END]
    assert all(accepts(tokenize(p), Params(), 32, 3) for p in ("+" * 120 + ".", "-" * 77))
    assert INDEX[">1"] in g.allowed()
    g.push(INDEX["["])
    assert CLOSE not in g.allowed() and END not in g.allowed()  # no "[]", no END inside a loop
    assert INDEX["+n"] in Grammar(Params(4, None)).allowed()


def test_prompt_params_reads_numbers_and_letters():
    assert prompt_params("add 3 to every character") == Params(3, None)
    assert prompt_params("add five to each byte").n == 5
    # "one" in an idiom is not a count; a count after it still is
    assert prompt_params("output the characters you read, one by one").n is None
    assert prompt_params("print them one at a time, each one twice").n is None
    assert prompt_params("one after another, add 2 to each").n == 2
    assert prompt_params("add one to every byte").n == 1
    assert prompt_params("remove the letter e from the input").c == ord("e")
    assert prompt_params("count the 'x' characters").c == ord("x")
    assert prompt_params("reverse the input") == Params(None, None)
    # a letter before its noun, alone as a word, or in a plural
    assert prompt_params("print the number of q characters").c == ord("q")
    assert prompt_params("remove every z from what I type").c == ord("z")
    assert prompt_params("how many es are there?").c == ord("e")
    assert prompt_params("print 40 x's").c == ord("x")
    # words are not letters: "a", "I", and "as" / "is" / "us" as plurals
    assert prompt_params("print a line of what I type, as is").c is None
    assert prompt_params("give us the input").c is None
    # nor a lowercase "i" (the pronoun, typed fast): it hid the z of "i need exactly 120 z's"
    assert prompt_params("i need exactly 120 z's").c == ord("z")
    assert prompt_params("i want you to add 3 to each byte").c is None
    # "a" and "i" are words alone, letters after "every", "all", "except"...
    assert prompt_params("Copy the input, leaving out every a thanks").c == ord("a")
    assert prompt_params("drop all is").c == ord("i")
    assert prompt_params("output every character except i").c == ord("i")
    assert prompt_params("print all input").c is None
    # a byte named by its value (PQT's letters are numbers): the letter fact is that byte
    assert prompt_params("print how many times the value 1 occurs in the input").c == 1
    assert prompt_params("remove every byte 10 from what I type").c == 10
    assert prompt_params("drop the value 0").c is None and prompt_params("byte 300").c is None
    assert to_program([INDEX["+n"], INDEX["."], END], Params(4, None))[0] == "++++."


def test_tokenize_round_trips_programs():
    for src in [",[.,]", ">,[>,]<[.<]", "+" * 70 + ".", "<<>>>>" + "-" * 33]:
        acts = tokenize(src)
        assert to_program(acts, Params())[0] == src


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**31 - 1), st.binary(min_size=0, max_size=6).filter(lambda b: 0 not in b))
def test_tracer_agrees_with_the_interpreter(seed, inp):
    acts = _random_program(seed, max_len=16)
    params = Params(3, 101)
    program, _ = to_program(acts, params)
    tr = Tracer(inp, tape_len=30000, budget=5000)
    for a in acts[:-1]:
        from bfcore.synth.actions import action_text

        tr.push(action_text(a, params), (a == OPEN) - (a == CLOSE))
    ref = run(program, inp, Config(max_steps=5000), jit_after=None)
    if ref.status == "ok":
        assert not tr.fault and bytes(tr.out) == ref.output and tr.steps == ref.steps
    else:
        assert tr.fault


def test_tracer_shows_the_loop_entry_state_until_the_loop_closes():
    tr = Tracer(b"ab")
    f = np.zeros(OBS_DIM, np.float32)
    for text, o in [(",", 0), ("[", 1), (".", 0), (",", 0)]:
        tr.push(text, o)
    tr.features(f)
    assert bytes(tr.out) == b"" and f[12] > 0  # inside the loop: nothing ran yet
    tr.push("]", -1)
    tr.features(f)
    assert bytes(tr.out) == b"ab" and f[12] == 0 and f[10] == 1  # input exhausted


def test_reward_prefers_exact_programs_and_penalises_hangs():
    tests = ((b"ab", b"ba"), (b"xyz", b"zyx"))
    exact = reward_of([b"ba", b"zyx"], ["ok", "ok"], tests, 10)
    close = reward_of([b"b", b"zy"], ["ok", "ok"], tests, 4)
    hang = reward_of([b"", b""], ["step_limit", "step_limit"], tests, 4)
    assert exact.solved and not close.solved
    assert exact.reward > 1.5 > close.reward > hang.reward
    assert score_one(",[.,]", ((b"hi", b"hi"), (b"abc", b"abc"))).solved
    assert not score_one(",.", ((b"hi", b"hi"),)).solved
    assert score_one("+[]", ((b"", b""),)).statuses == ("step_limit",)


def test_a_right_counter_of_a_late_letter_is_not_a_hang():
    # every letter before z wraps to ~250 when z is taken away and is cleared a step at a time:
    # 5,066 steps on 8 letters, past PQT's 5,000, which the PQT bench alone keeps
    count_z = ",[" + "-" * ord("z") + "[>-<[-]],>+<]>" + "+" * 48 + "."
    assert score_one(count_z, ((b"qrqmrhys", b"0"), (b"zaz", b"2"))).solved
    from bfcore.synth.pqt_tasks import PQT_CONFIG

    assert score_one(count_z, ((b"qrqmrhys", b"0"),), PQT_CONFIG).statuses == ("step_limit",)


@pytest.fixture(scope="module")
def policy():
    from bfcore.runtime import mx
    from bfcore.synth.policy import SynthConfig, SynthPolicy

    mx.random.seed(0)
    p = SynthPolicy(SynthConfig(enc_dim=16, hidden=32, max_len=20))
    mx.eval(p.parameters())
    return p


def test_rollout_log_probs_match_teacher_forced_scoring(policy):
    from bfcore.runtime import mx
    from bfcore.synth.policy import batch_arrays, rollout

    rng = np.random.default_rng(1)
    pooled = rng.standard_normal((24, 16)).astype(np.float32)
    eps = rollout(policy, pooled, [Params(2, 97)] * 24, [b"hey"] * 24, rng)
    for e in eps:
        parse(e.program)
        assert all(e.masks[i, a] for i, a in enumerate(e.actions))  # never a masked action
    logp, ent = policy.score(mx.array(pooled), *batch_arrays(eps))
    np.testing.assert_allclose(np.array(logp), [sum(e.logp) for e in eps], rtol=1e-4, atol=1e-4)
    assert np.all(np.array(ent) > 0)


def test_greedy_rollout_is_deterministic_and_replay_recomputes_what_it_saw(policy):
    from bfcore.synth.policy import replay, rollout

    pooled = np.ones((2, 16), np.float32)
    a, b = (rollout(policy, pooled, [Params()] * 2, [b"x"] * 2, np.random.default_rng(s), greedy=True)
            for s in (0, 1))
    assert a[0].actions == b[0].actions
    r = replay(a[0].actions, Params(), b"x", policy.cfg)
    np.testing.assert_array_equal(r.obs, a[0].obs)
    np.testing.assert_array_equal(r.masks, a[0].masks)
    assert ACTIONS[r.actions[-1]] == "END"


def test_derived_facts_are_a_facts_quotient_and_remainder_and_a_zero_writes_nothing():
    from bfcore.synth.actions import action_text
    from bfcore.synth.score import CONFIG

    p = Params(n=50, c=ord("h"))  # 50 = 6*8 + 2, 104 = 13*8 + 0
    assert [len(action_text(INDEX[a], p)) for a in ("+n/8", "+n%8", "+c/8", "+c%8")] == [6, 2, 13, 0]
    assert Grammar(p).allowed().count(INDEX["+c%8"]) == 1  # a zero is still a fact
    assert INDEX["+c%8"] not in Grammar(Params(n=5)).allowed()  # no letter, no letter's facts
    prog = to_program([INDEX[">1"], INDEX["+8"], INDEX["["], INDEX["<1"], INDEX["+c/8"],
                       INDEX[">1"], INDEX["-1"], INDEX["]"], INDEX["<1"], INDEX["+c%8"],
                       INDEX["."], 0], p)[0]
    assert run(prog, b"", CONFIG).output == b"h" and len(prog) < 104


def test_a_program_over_its_cap_passes_nothing_but_keeps_partial_credit():
    from bfcore.synth.score import score_programs

    tests = [(b"", b"aaaa")]
    long, short = "+" * 97 + "....", "+" * 97 + ">++++[<.>-]"
    a, b, c = score_programs([long, short, long], [tests] * 3, [5, 8, 5], caps=[100, 200, None])
    assert not a.solved and b.solved and c.solved
    assert 0.25 <= a.reward + 0.002 * 5 < 0.5 and b.reward > 1.9
    far = score_programs([long], [tests], [5], caps=[20])[0]
    assert far.reward < a.reward  # further over the cap, less credit


def test_the_word_fact_is_quoted_named_in_capitals_or_the_requests_one_other_word():
    from bfcore.synth.actions import prompt_word

    assert prompt_word("print 'ha' four times so it looks like laughing") == b"ha"
    assert prompt_word("I want the word moon written 3 times with no spaces between") == b"moon"
    assert prompt_word("make the program output ROBOT, all small letters") == b"ROBOT"
    assert prompt_word("write bf that outputs 9 copies of shoe") == b"shoe"
    assert prompt_word("hi! repeat river 4 times") == b"river"  # a greeting is no word
    assert prompt_word("can you say hi three times in a row?") == b"hi"  # but "hi" may be one
    assert prompt_word("give me 8 xs") is None  # a letter's plural
    assert prompt_word("reverse the input") is None
    assert prompt_word("write BF that prints its input backwards") is None


def test_the_word_macro_prints_relative_to_the_cell_and_needs_a_word():
    from bfcore.synth.actions import WORD, word_text
    from bfcore.synth.score import CONFIG

    assert word_text(b"abca") == "+" * 97 + ".+.+.--."
    p = Params(n=3, w=b"PIZZA")
    assert WORD in Grammar(p).allowed() and WORD not in Grammar(Params(n=3)).allowed()
    lower = to_program([INDEX["+32"], WORD, END], p)[0]
    assert run(lower, b"", CONFIG).output == b"pizza"
    # n times in a loop: the word's cell is cleared by a read at the end of input
    acts = [INDEX["+n"], INDEX["["], INDEX[">1"], WORD, INDEX[","], INDEX["<1"], INDEX["-1"],
            INDEX["]"], END]
    assert accepts(acts, p, 32, 3)
    assert run(to_program(acts, p)[0], b"", CONFIG).output == b"PIZZA" * 3


def test_a_range_gives_two_facts_and_one_program_prints_every_range():
    from bfcore.synth.score import CONFIG

    p = prompt_params("print the digits 3 to 8")
    assert (p.n, p.n2, p.c) == (3, 8, None)
    p = prompt_params("count from zero to 8")  # a first number of 0 is a value in a range
    assert (p.n, p.n2) == (0, 8)
    assert prompt_params("print the input backwards, then a 0").n is None  # and alone, none
    p = prompt_params("echo the input, then a 0; it ends at its first 0")
    assert (p.n, p.n2) == (None, None)
    p = prompt_params("list the letters between f and p, inclusive")
    assert (chr(p.c), chr(p.c2)) == ("f", "p")
    assert prompt_params("letters a to f").c2 == ord("f")
    assert prompt_params("print 40 x's").c2 is None
    # cell 0 the first letter, cell 1 the count; print and step in a loop
    acts = [INDEX[a] for a in ("+c", ">1", "+c2", "-c", "+1", "[", "<1", ".", "+1", ">1", "-1",
                               "]")] + [END]
    for prompt, want in (("the letters e through k", b"efghijk"), ("letters a to c", b"abc")):
        assert run(to_program(acts, prompt_params(prompt))[0], b"", CONFIG).output == want


def test_the_words_first_and_last_letters_are_facts():
    from bfcore.synth.score import CONFIG

    for prompt, first, last in (("first letter of moon", b"m", b"n"), ("'ha'", b"h", b"a")):
        p = prompt_params(prompt)
        assert run(to_program([INDEX["+w0"], INDEX["."], END], p)[0], b"", CONFIG).output == first
        assert run(to_program([INDEX["+w$"], INDEX["."], END], p)[0], b"", CONFIG).output == last
    assert INDEX["+w0"] not in Grammar(prompt_params("reverse the input")).allowed()
