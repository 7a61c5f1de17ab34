"""Shared fixtures: every test gets its own ragkb home (catalog file) in a temporary folder.
Tests that start processes, servers or models are marked slow (fast_subset.py says which)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fast_subset import fast_only, in_slow_module, why_slow

from ragkb.config import Settings


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Under ``-m "not slow"`` wholly slow modules are not imported (collecting them takes time too)."""
    return True if fast_only(config) and in_slow_module(collection_path) else None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if why_slow(item):
            item.add_marker(pytest.mark.slow)


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
