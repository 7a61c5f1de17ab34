"""The fast subset (``pytest -m "not slow"``, fast_subset.py): its lists name real tests, and it
keeps the unit tests of ranking, streaming, tables, names, settings and the architecture."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

import pytest
from fast_subset import SLOW_MODULES, SLOW_TESTS, TESTS

FAST_MODULES = [
    "test_ranking_units.py",  # fusion, MMR, reranker blending
    "test_stream_events.py",  # stream reconciliation
    "test_tables_core.py",
    "test_settings.py",
    "test_architecture.py",
    "test_code_quality.py",  # ruff; mypy is slow without its cache
    "test_names.py",  # those without a live server
]


def test_every_listed_slow_module_and_test_exists() -> None:
    for module in SLOW_MODULES:
        assert (TESTS / module).exists(), f"fast_subset.SLOW_MODULES names {module}, which tests/ does not have"
    for name in SLOW_TESTS:
        module, function = name.split("::")
        source = (TESTS / module).read_text(encoding="utf-8") if (TESTS / module).exists() else ""
        assert f"def {function}(" in source, f"fast_subset.SLOW_TESTS names {name}, which does not exist"


def _collected(*options: str) -> Counter[str]:
    """Tests per module that pytest collects from FAST_MODULES with these options."""
    listing = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            *options,
            *(f"tests/{module}" for module in FAST_MODULES),
        ],
        cwd=TESTS.parent,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert listing.returncode == 0, listing.stdout + listing.stderr
    return Counter(line.split("::")[0].removeprefix("tests/") for line in listing.stdout.splitlines() if "::" in line)


@pytest.mark.slow  # runs pytest twice in new processes
def test_the_fast_subset_keeps_the_unit_tests_the_issue_asks_for() -> None:
    everything, fast = _collected(), _collected("-m", "not slow")
    for module in FAST_MODULES:
        assert fast[module], f"{module} has no test in the fast subset"
        if module not in {"test_code_quality.py", "test_names.py"}:
            assert fast[module] == everything[module], f"{module} has slow tests; keep its unit tests fast"
