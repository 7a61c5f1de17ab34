"""CI's static checks: ruff's lint rules and formatting on src, tests and bench, mypy on the package
(the rules are pyproject.toml's [tool.ruff] and [tool.mypy]). CI runs the README's test command,
pytest, so they run here, with the tools the test extra installs beside this Python."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

CHECKS = {
    "ruff check": ["ruff", "check", "--no-cache", "src", "tests", "bench"],
    "ruff format": ["ruff", "format", "--check", "--no-cache", "src", "tests", "bench"],
    "mypy": ["mypy", "src/ragkb"],
}


@pytest.mark.parametrize(
    "name",
    # mypy without its cache (.mypy_cache) takes about 30 s of CPU: not in the fast subset
    [pytest.param(name, marks=[pytest.mark.slow] if name == "mypy" else []) for name in CHECKS],
)
def test_static_check_passes(name: str) -> None:
    tool, *arguments = CHECKS[name]
    executable = BIN / tool
    assert executable.exists(), f"{executable} is missing: pip install -e '.[test]'"
    run = subprocess.run([str(executable), *arguments], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, f"`{' '.join([tool, *arguments])}` failed:\n{run.stdout}{run.stderr}"
