"""The enumerative search: what it finds passes the tests under the real interpreter, and it
finds the short programs sampling never reaches."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import given, settings, strategies as st

from bfcore.interp.fast import run
from bfcore.synth.actions import END, Params, to_program
from bfcore.synth.enumerate import enumerate_search
from bfcore.synth.mutate import accepts
from bfcore.synth.score import CONFIG


def _words(rng, n):
    return [bytes(rng.integers(33, 127, int(rng.integers(1, 8))).astype(np.uint8)) for _ in range(n)]


def test_finds_last_byte_and_it_holds_on_unseen_inputs():
    rng = np.random.default_rng(0)
    tests = [(w, w[-1:]) for w in _words(rng, 6)]
    r = enumerate_search(tests, Params(), rng=rng)
    assert r.actions is not None and r.npe > 1000
    prog = to_program(r.actions, Params())[0]
    assert accepts(r.actions, Params(), 32, 3)  # the policy could write it, so it can imitate it
    for w in _words(np.random.default_rng(1), 30):
        assert run(prog, w, CONFIG).output == w[-1:], prog


def test_a_number_read_from_the_prompt_serves_every_number():
    # "add k to every byte": the parameter run +n inside a loop body, so one program fits any k
    rng = np.random.default_rng(2)
    tests = [(w, bytes(ch + 3 for ch in w)) for w in _words(rng, 6)]
    r = enumerate_search(tests, Params(n=3), rng=rng)
    assert r.actions is not None
    prog = to_program(r.actions, Params(n=7))[0]
    assert run(prog, b"abc", CONFIG).output == b"hij", prog


def test_no_program_within_the_caps_is_none_and_the_time_cap_holds():
    # a 40-byte output from empty input cannot come from 3 blocks
    r = enumerate_search([(b"", bytes(range(65, 105)))], Params(), max_blocks=3, seconds=5)
    assert r.actions is None and r.levels == 3
    r = enumerate_search([(b"ab", b"ba"), (b"xyz", b"zyx")], Params(), max_blocks=12,
                         seconds=0.0)
    assert r.actions is None and r.levels == 1 and r.seconds < 5


# straight-line programs with one loop: targets the enumerator can reach, built by running them
_piece = st.sampled_from(["+", "++", "-", ">", "<", ",", ".", "+++++", "[-]", "[.,]", "[>,]", "[.>]",
                          "[<]", "[-.]"])


@settings(max_examples=25, deadline=None)
@given(st.lists(_piece, min_size=1, max_size=5), st.integers(0, 2**31))
def test_whatever_it_finds_prints_the_expected_outputs(pieces, seed):
    src = "".join(pieces)
    rng = np.random.default_rng(seed)
    tests = []
    for w in _words(rng, 4):
        res = run(src, w, CONFIG)
        if res.status != "ok" or not res.output:
            return  # errs, hangs or prints nothing: no target to search for
        tests.append((w, res.output))
    r = enumerate_search(tests, Params(), max_blocks=5, seconds=10, rng=rng)
    if r.actions is None:
        return  # not every target is found within the beam; none found wrongly is the claim
    prog = to_program(r.actions, Params())[0]
    for w, want in tests:
        res = run(prog, w, CONFIG)
        assert res.status == "ok" and res.output == want, (src, prog, w)


def test_training_discovers_a_needle_and_queues_it(tmp_path):
    from test_synth_train import TinyEncoder, _cfg

    from bfcore.synth.train import SOLVED_REWARD, find_checkpoint, train

    cfg = _cfg(tmp_path, steps=2, families=["last"], keys_per_batch=1, enum_every=1,
               enum_seconds=20)
    run_dir = train(cfg, encoder=TinyEncoder())
    st_ = json.loads((find_checkpoint(run_dir) / "state.json").read_text())
    assert st_["enum_found"] >= 1 and st_["enum_npe"] > 0 and st_["npe"] > st_["enum_npe"]
    q = st_["queue"][json.dumps(["last"])]
    acts, total, n = max(q, key=lambda e: e[1] / e[2])
    assert total / n >= SOLVED_REWARD
    prog = to_program(acts, Params())[0]
    assert run(prog, b"unseen!", CONFIG).output == b"!"
    metrics = [json.loads(x) for x in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert metrics[-1]["enum_npe"] == st_["enum_npe"]


def test_a_program_that_solved_one_task_is_also_tried_unedited_on_another(tmp_path):
    from test_synth_train import TinyEncoder, _cfg

    from bfcore.synth.actions import tokenize
    from bfcore.synth.train import SynthTrainer

    tr = SynthTrainer(_cfg(tmp_path, families=["echo", "first"]), encoder=TinyEncoder())
    solved = tokenize(",[.,]")
    tr.queue.add('["echo"]', solved, 1.99)
    tr.queue.add('["first"]', tokenize(",."), 0.4)
    out = tr._mutants(Params(), tr.queue.best('["first"]'))
    assert solved in out  # as it is, beside its edits
    assert sum(o == solved for o in out) == 1 and len(out) > 10


def test_a_constant_letter_is_found_as_its_shortest_run():
    # one test and no input: every state ties on progress, so the beam must prefer the states
    # nearest the wanted byte, or "+64 +32 +7 ." is cut before its third block
    for ch in b"gqz":
        r = enumerate_search([(b"", bytes([ch]))], Params(), max_blocks=5, seconds=10)
        assert r.actions is not None and r.levels <= 4, chr(ch)
        assert run(to_program(r.actions, Params())[0], b"", CONFIG).output == bytes([ch])


def _replays(actions, params, max_len=32, max_depth=3) -> bool:
    """Whether the policy's grammar allows every action in turn, END included."""
    from bfcore.synth.mutate import accepts

    return accepts(list(actions), params, max_len, max_depth)


def _drop(rng, letter, n):
    out = []
    for _ in range(n):
        w = bytearray(rng.integers(97, 123, int(rng.integers(2, 9))).astype(np.uint8))
        for j in rng.choice(len(w), int(rng.integers(1, len(w) + 1)), replace=False):
            w[j] = letter
        out.append((bytes(w), bytes(w).replace(bytes([letter]), b"")))
    return out


def test_a_remover_needs_a_loop_in_a_loop_and_the_letter_comes_from_the_tests():
    # no letter in the prompt: the run -116 comes from the tests (the byte every output lacks),
    # and the skip of a t needs a loop inside the loop body
    rng = np.random.default_rng(3)
    tests = _drop(rng, ord("t"), 6)
    assert enumerate_search(tests, Params(), max_blocks=3, seconds=10).actions is None
    r = enumerate_search(tests, Params(), max_blocks=3, seconds=10, nested=True, constants=True)
    assert r.actions is not None and r.levels <= 3
    assert _replays(r.actions, Params())
    prog = to_program(r.actions, Params())[0]
    for w, want in _drop(np.random.default_rng(4), ord("t"), 40):
        assert run(prog, w, CONFIG).output == want, (prog, w)


def test_a_shift_of_every_byte_is_a_test_constant_written_as_its_shorter_sign():
    from bfcore.synth.enumerate import test_constants

    tests = [(w, w.upper()) for w in (b"abc", b"xyzzy", b"hello")]
    assert test_constants(tests) == [32]  # +224 and -32 are one shift: the shorter run is kept
    assert test_constants(tests, Params(c=224)) == []  # the prompt's parameter run writes it
    r = enumerate_search(tests, Params(), max_blocks=3, seconds=10, constants=True)
    assert r.actions is not None and _replays(r.actions, Params())
    assert run(to_program(r.actions, Params())[0], b"grammar", CONFIG).output == b"GRAMMAR"


def test_every_block_replays_under_the_grammar_and_nesting_only_adds_blocks():
    from bfcore.synth.enumerate import blocks

    p = Params(c=100)
    flat = blocks(p, 4, [116])
    both = blocks(p, 4, [116], nested=True)
    assert both[:len(flat)] == flat and len(both) > 5 * len(flat)
    # blocks only ever follow each other at depth 0, so each must be a whole program the grammar
    # writes (depth, local rules, runs largest part first); every 7th nested one keeps this quick
    for b in flat[::3] + both[len(flat)::7]:
        assert _replays(b + [0], p), b


def test_the_trainer_widens_a_search_only_after_it_failed_on_that_task(tmp_path, monkeypatch):
    import bfcore.synth.enumerate as en
    from test_synth_train import TinyEncoder, _cfg

    from bfcore.synth.train import SynthTrainer

    calls = []

    def fake(tests, params, **kw):
        calls.append((kw["nested"], kw["constants"], kw["conditional"]))
        return en.EnumResult(None, 1, 0.0, 1)

    monkeypatch.setattr(en, "enumerate_search", fake)
    tr = SynthTrainer(_cfg(tmp_path, families=["remove"]), encoder=TinyEncoder())
    for _ in range(4):
        tr.discover()
    # flat first; then ifs in loops, and loops in loops with constants, by turns
    assert calls == [(False, False, False), (False, False, True), (True, True, False),
                     (False, False, True)]


def test_conditional_blocks_hold_the_if_idiom_and_replay_under_the_grammar():
    from bfcore.synth.enumerate import conditional_blocks

    p = Params(c=ord("e"))
    blks = conditional_blocks(p)
    texts = [to_program(b + [END], p)[0] for b in blks]
    minus_e = "-" * ord("e")
    assert f"[{minus_e}[>-<[-]],>+<]" in texts     # a counter beside the cell
    assert f"[<+>{minus_e}[<->[-]],]" in texts
    assert len({tuple(b) for b in blks}) == len(blks)  # no block twice
    assert all(accepts(b + [END], p, 64, 3) for b in blks[::97])  # the policy could write each


def test_an_if_in_a_loop_counts_a_letter():
    """Counting a letter needs a test on each byte: no flat or nested block holds it."""
    p = Params(c=ord("e"))
    tests = [(w.encode(), bytes([w.count("e")])) for w in ("hello", "eel", "abc", "eee", "e")]
    r = enumerate_search(tests, p, max_blocks=4, beam=200, seconds=60, conditional=True)
    assert r.actions is not None
    prog = to_program(r.actions, p)[0]
    assert "[-]" in prog
    for w in ("gee", "xyz", "level", "eeeeeee"):
        assert run(prog, w.encode(), CONFIG).output == bytes([w.count("e")]), prog
    flat = enumerate_search(tests, p, max_blocks=4, beam=200, seconds=60)
    assert flat.actions is None


def test_a_search_stops_near_its_time_cap_even_inside_a_level():
    """Levels of big blocks take long: the clock is read between chunks of states, not only
    between levels (a copies search once ran 52.6 s against a 40 s cap)."""
    import time

    p = Params(n=75, c=ord("u"))
    tests = [(b"", b"u" * 75)] * 2
    enumerate_search(tests, p, max_blocks=1)  # numba compiles its kernels on a first call
    t0 = time.perf_counter()
    r = enumerate_search(tests, p, seconds=1.0, nested=True, constants=True, conditional=True)
    assert time.perf_counter() - t0 < 6.0 and r.actions is None


def test_copies_under_a_cap_is_a_multiplication_loop_that_beats_the_print_compiler():
    """A letter n times with the text capped at half the greedy print compiler's: the capped
    search builds both values with setter loops (the derived facts) and prints in one loop (the
    uncapped search found nothing for "h" x 120 in 30 s: output-first ranking cuts the setup)."""
    from bfcore.agent.compile import compile_bytes

    for ch, n in (("h", 120), ("b", 200), ("a", 30)):
        out = (ch * n).encode()
        cap = len(compile_bytes(out)[0]) // 2
        p = Params(n=n, c=ord(ch))
        r = enumerate_search([(b"", out)], p, max_chars=cap, seconds=30)
        assert r.actions is not None, (ch, n)
        prog = to_program(r.actions, p)[0]
        assert len(prog) <= cap and "[" in prog and _replays(r.actions, p)
        assert run(prog, b"", CONFIG).output == out
        # the same actions under other values: one program for the family, not one per task
        q = Params(n=n // 2 + 17, c=ord("k"))
        assert run(to_program(r.actions, q)[0], b"", CONFIG).output == b"k" * (n // 2 + 17)


def test_a_setter_block_puts_a_fact_in_the_cell_whatever_its_remainder():
    from bfcore.synth.enumerate import setter_blocks

    for c in (97, 104, 122):  # remainders by 8: 1, 0, 2
        p = Params(n=57, c=c)
        blks = setter_blocks(p)
        assert len(blks) == 8  # two facts, two sides, a first move of 1 or 2
        for b, want in zip(blks, [c] * 4 + [57] * 4):
            assert _replays(b + [END], p)
            prog = to_program(b + [END], p)[0]
            # from the middle of the tape (a mirrored one works to the left); it ends on the value
            assert run(">>>" + prog + ".", b"", CONFIG).output == bytes([want]), prog
    assert setter_blocks(Params()) == []


def test_the_enumerator_runs_the_word_macro_as_its_runs_and_writes():
    # ".w" is many runs and writes in one action: the kernel must run it as the text does
    p = Params(w=b"TREE")
    r = enumerate_search([(b"", b"tree")], p, max_blocks=3, seconds=10)
    assert r.actions is not None
    assert run(to_program(r.actions, p)[0], b"", CONFIG).output == b"tree"
    assert run(to_program(r.actions, Params(w=b"MOON"))[0], b"", CONFIG).output == b"moon"
