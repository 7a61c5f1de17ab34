"""Shared fixtures: every test gets its own ragkb home (catalog file) in a temporary folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ragkb.config import Settings


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "ragkb-home"
    monkeypatch.setenv("RAGKB_HOME", str(path))
    return path


@pytest.fixture
def settings(home: Path) -> Settings:
    return Settings(home=home)


@pytest.fixture
def cli_env(home: Path) -> dict[str, str]:
    """Environment for running the real ``ragkb`` executable in a subprocess."""
    return {**os.environ, "RAGKB_HOME": str(home), "COLUMNS": "200"}
