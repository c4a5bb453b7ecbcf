"""``bftui gen "PROMPT"``: the agent writes a program; print it and what it outputs.

With ``--expect TEXT`` the program is scored against the expected output (reward, success) and
``--best-of N`` keeps the best of N sampled programs as judged by the interpreter.
"""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("prompt", help="what the program should do, in plain English")
    parser.add_argument("--expect", metavar="TEXT", help="the expected output: report reward and success")
    parser.add_argument("--best-of", type=int, default=1, metavar="N",
                        help="sample N programs and keep the best (by reward with --expect, else the greedy one)")
    parser.add_argument("--temperature", type=float, default=1.0, metavar="T", help="sampling temperature")
    parser.add_argument("--sample", action="store_true", help="sample instead of greedy decoding")
    parser.add_argument("--beam", type=int, default=0, metavar="K", help="beam search with K beams")
    parser.add_argument("--checkpoint", metavar="DIR", help="checkpoint or run directory (default: the shipped agent)")
    parser.add_argument("--seed", type=int, default=None, help="seed for sampling")
    parser.add_argument("--tokens", action="store_true", help="also list each token with its probability")


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
    agent = load_agent(args.checkpoint)
    g = agent.generate(args.prompt, greedy=not args.sample, temperature=args.temperature, best_of=args.best_of,
                       beam=args.beam, expect=args.expect, seed=args.seed)
    print(g.program)
    print(f"output: {g.output.decode('latin-1')!r}")
    if g.reward is not None:
        print(f"reward: {g.reward:.3f}  success: {'yes' if g.success else 'no'}")
    if args.tokens:
        for tok, p, (a, b) in zip(g.tokens, g.token_probs, g.spans):
            print(f"  {tok:<14} p={p:.3f}  [{a}:{b}]")
    sys.stdout.flush()
    return 0 if g.success in (None, True) else 1


def load_agent(path):
    from bftui.cli import UserError
    from bfcore.agent import Agent, AgentError

    try:
        return Agent.load(path)
    except AgentError as exc:
        raise UserError(str(exc)) from None
