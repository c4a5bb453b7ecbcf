"""scripts/train_synth.py: the next segment of a run, wherever the run now is."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from test_synth_train import TinyEncoder, _cfg  # noqa: E402

from scripts.train_synth import segment_config  # noqa: E402


def test_a_copied_run_resumes_in_its_new_place(tmp_path):
    from bfcore.synth.train import train

    train(_cfg(tmp_path, steps=3), encoder=TinyEncoder())
    copy = tmp_path / "copy"
    shutil.copytree(tmp_path / "run", copy, symlinks=True)
    cfg = segment_config(copy, 5.0, {"lr": 5e-4})
    assert cfg.resume and Path(cfg.run_dir) == copy  # was the original's path
    assert cfg.lr == 5e-4 and cfg.minutes >= 5.0
    fresh = segment_config(tmp_path / "new", 2.0, {})
    assert not fresh.resume and fresh.minutes == 2.0 and fresh.steps == 0


def test_overrides_parse_json_values_and_name_an_unknown_field():
    from bfcore.configcheck import ConfigError
    from bfcore.synth.train import parse_overrides

    got = parse_overrides(["lr=0.0005", "boost_families=[\"copies\"]", "run_dir=runs/x",
                           "observe=false"])
    assert got == {"lr": 0.0005, "boost_families": ["copies"], "run_dir": "runs/x",
                   "observe": False}
    with pytest.raises(ConfigError, match="nope=1: no config field 'nope'"):
        parse_overrides(["nope=1"])
