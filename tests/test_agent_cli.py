"""bftui gen / eval / train through the CLI dispatcher (tiny models, no LLM)."""

import json

import pytest

from bftui.cli import main


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    cfg = d / "cfg.json"
    cfg.write_text(json.dumps({"batch_size": 16, "hidden": 32, "encoder_layers": 0, "tasks_per_family": 4,
                               "max_steps": 8, "report_every": 1}))
    rc = main(["train", "--config", str(cfg), "--family", "add", "upper", "--steps", "2", "--run", str(d / "run")])
    assert rc == 0
    return d


def test_train_writes_a_run_and_resumes(run_dir, capsys):
    run = run_dir / "run"
    assert (run / "checkpoint" / "model.safetensors").is_file()
    assert json.loads((run / "config.json").read_text())["families"] == ["add", "upper"]
    assert main(["train", "--run", str(run), "--resume", "--steps", "3"]) == 0
    assert json.loads((run / "checkpoint" / "state.json").read_text())["step"] == 3
    err = capsys.readouterr().err
    assert "step 3/3" in err and "episodes/s" in err


def test_gen_prints_program_and_output(run_dir, capsys):
    rc = main(["gen", "uppercase the word cat", "--checkpoint", str(run_dir / "run"), "--tokens"])
    out = capsys.readouterr().out
    assert rc == 0 and "output: " in out
    printed = eval(out.split("output: ")[1].splitlines()[0])
    assert out.count(" p=") == len(printed)  # one line per print token
    rc = main(["gen", "add 2 and 3", "--checkpoint", str(run_dir / "run"), "--expect", "5", "--best-of", "4"])
    out = capsys.readouterr().out
    assert "reward: " in out and rc == (0 if "success: yes" in out else 1)


def test_eval_table_and_json(run_dir, tmp_path, capsys):
    tasks = tmp_path / "t.jsonl"
    tasks.write_text('{"problem": "add 1 and 2", "solution": "3", "family": "add"}\n'
                     '{"problem": "uppercase the word dog", "solution": "DOG", "family": "upper"}\n')
    rc = main(["eval", "--tasks", str(tasks), "--checkpoint", str(run_dir / "run"), "--json", str(tmp_path / "r.json")])
    out = capsys.readouterr().out
    assert rc == 0 and "add" in out and "upper" in out and "overall" in out
    rep = json.loads((tmp_path / "r.json").read_text())
    assert rep["overall"]["n"] == 2 and rep["overall"]["valid"] == 1.0


@pytest.mark.parametrize("argv, msg", [
    (["eval", "--tasks", "BAD"], "BAD:2: invalid JSON"),
    (["gen", "hi", "--best-of", "0"], "--best-of"),
    (["gen", "hi", "--checkpoint", "/nonexistent/ckpt"], "missing"),
    (["train", "--resume"], "--resume needs --run"),
    (["train", "--family", "nope", "--steps", "1", "--no-encoder", "--run", "RUN"], "unknown family"),
])
def test_bad_input_is_one_line_exit_2(tmp_path, capsys, argv, msg):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"problem": "a", "solution": "a"}\n{oops\n')
    argv = [str(bad) if a == "BAD" else str(tmp_path / "run") if a == "RUN" else a for a in argv]
    msg = msg.replace("BAD", str(bad))
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert msg in err and "Traceback" not in err and len([l for l in err.splitlines() if "error:" in l]) == 1


def test_train_from_a_checkpoint_uses_the_fine_tune_learning_rate(tmp_path):
    import argparse

    from bfcore.train import TrainConfig
    from bfcore.train.config import FINETUNE_LR
    from bftui.commands import train as cmd

    parser = argparse.ArgumentParser()
    cmd.add_arguments(parser)
    run = str(tmp_path / "r")
    assert cmd._config(parser.parse_args(["--from", "default", "--run", run])).lr == FINETUNE_LR
    assert cmd._config(parser.parse_args(["--from", "default", "--run", run, "--lr", "0.002"])).lr == 0.002
    assert cmd._config(parser.parse_args(["--run", run])).lr == TrainConfig.lr
    (tmp_path / "c.json").write_text('{"lr": 0.0003}')
    args = parser.parse_args(["--from", "default", "--run", run, "--config", str(tmp_path / "c.json")])
    assert cmd._config(args).lr == 0.0003  # a config file's lr is the user's choice
