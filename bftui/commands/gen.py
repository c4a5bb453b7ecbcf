"""``bftui gen "PROMPT"``: the agent writes a program; print it and what it outputs.

With ``--expect TEXT`` the program is scored against the expected output (reward, success) and
``--best-of N`` keeps the best of N sampled programs as judged by the interpreter.

With ``--example IN OUT`` (repeatable) or ``--tests FILE`` the synthesis agent (which writes loops
and reads input) searches: its greedy program first, then samples, each run on the examples, until
one passes them all or ``--budget`` programs have run. The report says which examples pass, the
first failing one, and the number of programs executed (NPE). Without examples a request that
reads input (by the router's judgement) also goes to the synthesis agent, greedy.
"""

from __future__ import annotations

import argparse
import sys

from bftui.cli import seed


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("prompt", help="what the program should do, in plain English")
    parser.add_argument("--expect", metavar="TEXT", help="the expected output: report reward and success")
    parser.add_argument("--best-of", type=int, default=1, metavar="N",
                        help="sample N programs and keep the best (by reward with --expect, else the greedy one)")
    parser.add_argument("--temperature", type=float, default=1.0, metavar="T", help="sampling temperature")
    parser.add_argument("--sample", action="store_true", help="sample instead of greedy decoding")
    parser.add_argument("--beam", type=int, default=0, metavar="K", help="beam search with K beams")
    parser.add_argument("--agent", "--checkpoint", dest="agent", metavar="DIR",
                        help="the agent: a checkpoint or run directory (default: the shipped agent; "
                             "--checkpoint is the old spelling)")
    parser.add_argument("--seed", type=seed, default=None, help="seed for sampling")
    parser.add_argument("--tokens", action="store_true", help="also list each token with its probability")
    parser.add_argument("--example", nargs=2, action="append", metavar=("IN", "OUT"), default=[],
                        help="an input and its expected output (escapes: \\n \\t \\0 \\xNN); repeatable")
    parser.add_argument("--tests", metavar="FILE", help='JSONL of {"input": ..., "output": ...} examples')
    parser.add_argument("--budget", type=int, default=1000, metavar="N",
                        help="with examples: most programs to execute while searching (default 1000)")
    parser.add_argument("--synth", metavar="DIR", help="the synthesis agent's checkpoint (default: the shipped one)")


def main(args) -> int:
    from bftui.cli import UserError

    if args.best_of < 1:
        raise UserError(f"--best-of must be >= 1, got {args.best_of}")
    if args.temperature <= 0:
        raise UserError(f"--temperature must be > 0, got {args.temperature}")
    if args.beam < 0:
        raise UserError(f"--beam must be >= 0, got {args.beam}")
    if not args.prompt.strip():
        raise UserError("the prompt is empty")
    if args.budget < 1:
        raise UserError(f"--budget must be >= 1, got {args.budget}")
    _check_text(args.prompt)
    examples = _examples(args)
    if examples or _routes_to_synth(args):
        return _synth_main(args, examples)
    # The expected output is the UTF-8 bytes the shell passed (bytes that are not UTF-8 as they
    # came): programs print bytes, so '🎉' is the four bytes a program must print for it.
    expect = None if args.expect is None else args.expect.encode("utf-8", "surrogateescape")
    agent = load_agent(args.agent)
    g = agent.generate(args.prompt, greedy=not args.sample, temperature=args.temperature, best_of=args.best_of,
                       beam=args.beam, expect=expect, seed=args.seed)
    print(g.program)
    print(f"output: {shown(g.output)!r}")
    if g.reward is not None:
        print(f"reward: {g.reward:.3f}  success: {'yes' if g.success else 'no'}")
    if args.tokens:
        for tok, p, (a, b) in zip(g.tokens, g.token_probs, g.spans):
            print(f"  {tok:<14} p={p:.3f}  [{a}:{b}]")
    if g.unfamiliar:
        from bftui.hints import UNFAMILIAR

        print(UNFAMILIAR.format(confidence=g.confidence), file=sys.stderr)
    sys.stdout.flush()
    return 0 if g.success in (None, True) else 1


def shown(output: bytes) -> str:
    """Output as text: UTF-8 when it is, else one character per byte (as before)."""
    try:
        return output.decode("utf-8")
    except UnicodeDecodeError:
        return output.decode("latin-1")


def load_agent(path):
    from bftui.cli import UserError
    from bfcore.agent import Agent, AgentError

    try:
        return Agent.load(path)
    except AgentError as exc:
        raise UserError(str(exc)) from None


def _check_text(prompt: str) -> None:
    from bftui.cli import UserError

    try:
        prompt.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise UserError(f"the prompt is not UTF-8 text (at character {exc.start + 1})") from None


def _examples(args):
    from bftui.cli import UserError
    from bfcore.synth.examples import ExampleError, check_reachable, decode_escapes, load_tests

    try:
        tests = [(decode_escapes(i, f"--example {n} input"), decode_escapes(o, f"--example {n} output"))
                 for n, (i, o) in enumerate(args.example, 1)]
        if args.tests:
            tests += list(load_tests(args.tests))
        check_reachable(tests)
    except ExampleError as exc:
        raise UserError(str(exc)) from None
    return tuple(tests)


def _routes_to_synth(args) -> bool:
    """Without examples: the router of the synthesis agent decides (when one is shipped)."""
    if args.expect is not None or args.best_of > 1 or args.beam or args.agent:
        return False
    from bfcore.synth.router import routes_to_synth

    return routes_to_synth(args.prompt, args.synth)


def load_synth(path):
    from bftui.cli import UserError
    from bfcore.synth.agent import SynthAgent, SynthAgentError

    from bfcore.synth.router import shared_encoder

    try:
        return SynthAgent.load(path, encoder=shared_encoder())
    except SynthAgentError as exc:
        raise UserError(str(exc)) from None


def _synth_main(args, examples) -> int:
    from bfcore.synth.examples import show

    agent = load_synth(args.synth)
    if not examples:
        g = agent.generate(args.prompt)
        print(g.program)
        from bfcore.interp.fast import run
        from bfcore.synth.agent import PROBE_INPUT
        from bfcore.synth.score import CONFIG

        r = run(g.program, PROBE_INPUT if g.reads_input else b"", CONFIG, jit_after=None)
        # the status only when the run did not end: "(ok)" beside a wrong output read as "right"
        where = f"on input '{show(PROBE_INPUT)}'" if g.reads_input else "output"
        print(f"{where}: '{show(r.output)}'{_why(r.status)}")
        print(f"confidence: {g.confidence:.2f}  (give --example IN OUT to check it and search)")
        if g.confidence < 0.3:
            print("low confidence: this request looks unlike what the agent was trained on")
        _print_tokens(args, g)
        return 0
    res = agent.search(args.prompt, examples, budget=args.budget, seed=args.seed)
    g = res.best
    print(g.program)
    n_ok = sum(g.passed)
    print(f"examples: {n_ok}/{len(examples)} passed  (npe {res.npe}, {res.seconds:.2f} s)")
    for (inp, want), ok, out, st in zip(examples, g.passed, g.outputs, g.statuses):
        if not ok:
            print(f"first failing: input '{show(inp)}' -> '{show(out)}', expected '{show(want)}'"
                  f"{_why(st)}")
            break
    _print_tokens(args, g)
    sys.stdout.flush()
    return 0 if res.solved else 1


def _why(status: str) -> str:
    """Why a run stopped, for a status other than "ok" (which prints nothing)."""
    from bfcore.synth.score import STEP_LIMIT

    return {"step_limit": f" (stopped at the {STEP_LIMIT}-step limit: a hang?)",
            "error": " (a run error: the pointer left the tape)",
            "output_limit": " (too much output)"}.get(status, "")


def _print_tokens(args, g) -> None:
    if args.tokens:
        for tok, p, (a, b) in zip(g.tokens, g.token_probs, g.spans):
            print(f"  {tok:<6} p={p:.3f}  [{a}:{b}]")
