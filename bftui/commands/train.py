"""``bftui train``: train an agent with PPO or GRPO; a one-line progress display, or ``--watch``.

Ctrl-C saves a checkpoint before exiting; ``--resume`` continues a run exactly where it stopped.
"""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    src = parser.add_mutually_exclusive_group()
    src.add_argument("--tasks", metavar="FILE", help="JSONL task file to train on")
    src.add_argument("--family", metavar="NAME", nargs="+", help="built-in task families to train on")
    parser.add_argument("--algo", choices=("ppo", "grpo"), help="algorithm (default ppo)")
    parser.add_argument("--steps", type=int, metavar="N", help="total updates (default 400)")
    parser.add_argument("--run", metavar="DIR", help="run directory (default runs/<algo>-<time>)")
    parser.add_argument("--resume", action="store_true", help="continue the run in --run from its checkpoint")
    parser.add_argument("--from", dest="init_from", metavar="CHECKPOINT",
                        help="fine-tune a checkpoint ('default' = the shipped agent): lr 5e-4, half of each batch "
                             "rehearses the built-in tasks, a KL penalty to the start, 200 updates unless "
                             "--steps, stopping early on a stall (see bfcore.train.config.FINETUNE)")
    parser.add_argument("--config", metavar="JSON", help="TrainConfig fields as a JSON file (flags override it)")
    parser.add_argument("--seed", type=int, help="the run's seed")
    parser.add_argument("--batch-size", type=int, metavar="N", help="episodes per update")
    parser.add_argument("--lr", type=float, help="learning rate")
    parser.add_argument("--no-encoder", action="store_true", help="no LLM encoder (characters only; faster)")
    parser.add_argument("--watch", action="store_true", help="show the live training dashboard")


def _config(args):
    return _config_and_explain(args)[0]


def _config_and_explain(args):
    """The TrainConfig from the file (--config, or the run's on --resume) and the flags, checked;
    and the function that turns a ConfigError found later into the UserError naming its source."""
    from pathlib import Path

    from bftui.cli import UserError
    from bfcore.train import TrainConfig

    from bfcore.configcheck import ConfigError

    base: dict = {}
    cfg_file = None
    if args.resume:
        if not args.run:
            raise UserError("--resume needs --run DIR")
        cfg_file = Path(args.run) / "config.json"
        if not cfg_file.is_file():
            raise UserError(f"{cfg_file}: missing; nothing to resume")
    elif args.config:
        cfg_file = Path(args.config)
    if cfg_file is not None:
        base = _read_json(cfg_file)
    if args.config and not args.resume:
        _resolve_paths(base, cfg_file)
    try:
        cfg = TrainConfig.from_dict(base)
    except ConfigError as exc:
        raise UserError(f"{cfg_file}: {exc}") from None
    over = {"tasks": args.tasks, "families": args.family, "algo": args.algo, "steps": args.steps, "seed": args.seed,
            "batch_size": args.batch_size, "lr": args.lr}
    for k, v in over.items():
        if v is not None:
            setattr(cfg, k, v)
    if args.tasks:
        cfg.families = []
    if args.family:
        cfg.tasks = ""
    if args.no_encoder:
        cfg.encoder_layers = 0
    if args.init_from:
        from bfcore.agent import default_agent_dir

        cfg.init_from = str(default_agent_dir()) if args.init_from == "default" else args.init_from
        from bfcore.train.config import FINETUNE

        # keep the old skills and stop when taught, unless the config file or a flag says otherwise
        for k, v in FINETUNE.items():
            if k not in base and getattr(args, k, None) is None:
                setattr(cfg, k, v)
    cfg.resume = args.resume
    if args.run:
        cfg.run_dir = args.run
    elif not cfg.run_dir:
        from bfcore.train.run import new_run_dir

        cfg.run_dir = str(new_run_dir(Path("runs"), cfg.algo))

    def explain(exc: ConfigError) -> UserError:
        """The error, named by the flag that set the field, else by the file it came from."""
        flag = FLAGS.get(exc.field)
        if flag and over.get(exc.field) is not None:
            return UserError(str(exc).replace(exc.field, flag, 1))
        return UserError(f"{cfg_file}: {exc}" if cfg_file else str(exc))

    try:
        cfg.validate()
    except ConfigError as exc:
        raise explain(exc) from None
    return cfg, explain


# TrainConfig fields that flags set, for errors in their values.
FLAGS = {"steps": "--steps", "seed": "--seed", "batch_size": "--batch-size", "lr": "--lr"}


# TrainConfig fields that hold paths; encoder_model may also name a Hugging Face repo instead.
PATH_FIELDS = ("run_dir", "tasks", "init_from", "encoder_model")


def _resolve_paths(base: dict, cfg_file) -> None:
    """Relative paths in a config file mean the same wherever the command runs: relative to the
    file's folder. Each one changed is shown, so nothing is written somewhere unexpected."""
    import os

    for name in PATH_FIELDS:
        given = base.get(name)
        if not isinstance(given, str) or not given or os.path.isabs(os.path.expanduser(given)):
            continue
        path = (cfg_file.parent / os.path.expanduser(given)).resolve()
        if name == "encoder_model" and not path.exists():
            continue  # a repo name, not a path
        base[name] = str(path)
        print(f"{cfg_file}: {name} {given!r} is {path}", file=sys.stderr)


def _read_json(path):
    import json

    from bftui.cli import UserError

    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except ValueError as exc:
        raise UserError(f"{path}: invalid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected a JSON object")
    return data


def progress_line(rep: dict, total: int) -> str:
    def num(key: str, spec: str) -> str:  # a metric with no finite value this report is "-"
        v = rep.get(key)
        return format(v, spec) if isinstance(v, (int, float)) else "-"

    line = (f"step {rep['step']}/{total}  reward {num('episodic_return', '+.3f')}  "
            f"success {num('success_rate', '.1%')}  entropy {num('entropy', '.2f')}  "
            f"level {rep.get('curriculum_level', '-')}  {num('sps', '.0f')} episodes/s")
    if rep.get("rehearsal_success") is not None:
        line += f"  old skills {num('rehearsal_success', '.0%')}"
    if rep.get("stopped"):
        line += f"  ({rep['stopped']})"
    return line


def main(args) -> int:
    from pathlib import Path

    from bftui.cli import UserError
    from bfcore.train import TrainError, train
    from bfcore.train.checkpoint import CheckpointError

    from bfcore.configcheck import ConfigError

    cfg, explain = _config_and_explain(args)
    if args.watch:
        return _watch(cfg, explain)
    tty = sys.stderr.isatty()

    def on_report(rep):
        line = progress_line(rep, cfg.steps)
        print(("\r" + line + "\x1b[K") if tty else line, end="" if tty else "\n", file=sys.stderr, flush=True)

    def on_progress(step, done, total):
        # prompts are encoded as the updates draw them: with a big task file (or a cold cache) an
        # update waits on the LLM, ~15 prompts/s with the bundled BLAS, so say what it is doing
        if tty:
            print(f"\rstep {step}/{cfg.steps}: encoding prompts {done}/{total}\x1b[K", end="", file=sys.stderr,
                  flush=True)

    print(f"training into {Path(cfg.run_dir).resolve()}", file=sys.stderr)
    try:
        run_dir = train(cfg, on_report=on_report, on_progress=on_progress)
    except ConfigError as exc:  # found while loading (the encoder cannot meet encoder_layers)
        raise explain(exc) from None
    except (TrainError, CheckpointError) as exc:
        raise UserError(str(exc)) from None
    except KeyboardInterrupt:
        print(f"\ncheckpoint saved in {cfg.run_dir}/checkpoint (continue with --resume --run {cfg.run_dir})",
              file=sys.stderr)
        raise
    if tty:
        print(file=sys.stderr)
    print(f"done: {run_dir}")
    return 0


def _watch(cfg, explain) -> int:
    import threading

    from bftui.cli import UserError
    from bftui.watch import WatchApp
    from bfcore.train import TrainError, train
    from bfcore.train.checkpoint import CheckpointError

    stop = threading.Event()
    failure: list[BaseException] = []

    def work():
        try:
            train(cfg, should_stop=stop.is_set)
        except BaseException as exc:  # reported after the dashboard closes
            failure.append(exc)
        finally:
            from bfcore.threads import release_mlx_streams

            release_mlx_streams()  # MLX asks each thread that used it to free its streams

    thread = threading.Thread(target=work, name="bftui-train", daemon=True)
    thread.start()
    app = WatchApp(cfg.run_dir, on_quit=stop.set)
    try:
        app.run()
    finally:
        stop.set()
        thread.join()
    if failure:
        from bfcore.configcheck import ConfigError

        if isinstance(failure[0], ConfigError):
            raise explain(failure[0])
        if isinstance(failure[0], (TrainError, CheckpointError)):
            raise UserError(str(failure[0]))
        raise failure[0]
    if app.return_code:  # the dashboard crashed (Textual printed why); training stopped and saved
        print(f"the dashboard failed; checkpoint in {cfg.run_dir}/checkpoint", file=sys.stderr)
        return app.return_code
    print(f"stopped; checkpoint in {cfg.run_dir}/checkpoint")
    return 0
