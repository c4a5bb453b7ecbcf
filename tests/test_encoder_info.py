"""``bftui info``: what is loaded and what it cost; one-line errors for bad models."""

import json

import pytest

from bftui.cli import main


def test_info_json(capsys):
    assert main(["info", "--layers", "1", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["layers"] == 1 and info["total_layers"] == 30
    assert info["backend"] in ("cpu", "gpu") and info["dtype"] and info["blas"]
    assert 0 < info["rss_mb"] and 0 < info["load_seconds"]


def test_info_table(capsys):
    assert main(["info", "--layers", "2"]) == 0
    out = capsys.readouterr().out
    for key in ("model", "layers", "dtype", "backend", "BLAS", "load time", "RSS"):
        assert any(line.startswith(key) for line in out.splitlines()), key
    assert "2 of 30" in out


@pytest.mark.parametrize("argv, message", [
    (["--model", "/no/such/model"], "model not found: /no/such/model"),
    (["--model", "/no/such/file.gguf"], "model file not found"),
    (["--layers", "99"], "layers=99 is out of range"),
])
def test_info_errors_are_one_line(capsys, argv, message):
    assert main(["info", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("bftui info: error: ") and message in err
