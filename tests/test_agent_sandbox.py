"""The file agent's sandbox: every way out of the root is refused when a plan is checked, again when
an edited plan is run, and at execution time through descriptors (a folder swapped for a link after
the check); denied names, the operation limit and plan-level checks. Real files, real links."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from support import write

from ragkb.agent import audit
from ragkb.agent.execute import execute_plan
from ragkb.agent.plan import Operation, Plan
from ragkb.agent.sandbox import Sandbox, SandboxError
from ragkb.config import Settings


@pytest.fixture
def world(tmp_path: Path) -> Path:
    """``root/`` with ordinary files and traps, beside ``outside/`` that nothing may reach."""
    root, outside = tmp_path / "root", tmp_path / "outside"
    write(outside / "secret.txt", "secret")
    write(root / "docs" / "a.txt", "alpha")
    write(root / "kbhome" / "ragkb.db", "the catalog")
    (root / "link-file").symlink_to(outside / "secret.txt")
    (root / "link-dir").symlink_to(outside, target_is_directory=True)
    (root / "inner-link").symlink_to(root / "docs" / "a.txt")
    os.link(outside / "secret.txt", root / "hard.txt")
    write(root / ".ssh" / "id_rsa", "key")
    write(root / "Setup.EXE", "MZ")
    (root / "report.pdf").write_bytes(b"\x7fELF\x02\x01\x01" + b"\x00" * 20)  # a program with a document's name
    write(root / "run.txt", "#!/bin/sh\nrm -rf ~\n")
    (root / "docs" / "sub").mkdir()
    return root


def sandbox_of(root: Path) -> Sandbox:
    return Sandbox(root, protected=[root / "kbhome"])


def snapshot(*folders: Path) -> dict[str, str]:
    """Every entry below the folders: a file's hash, a link's target, a folder's mark."""
    seen = {}
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if "agent" in path.relative_to(folder).parts:  # the agent's own folder in its home (the run lock)
                continue
            if path.is_symlink():
                seen[str(path)] = "link:" + os.readlink(path)
            elif path.is_dir():
                seen[str(path)] = "dir"
            else:
                seen[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return seen


ESCAPES = {
    "parent": "../outside/secret.txt",
    "parent inside a path": "docs/../../outside/secret.txt",
    "parent at the end": "docs/..",
    "absolute": "/etc/passwd",
    "home": "~/secret.txt",
    "drive letter": "C:/Windows/win.ini",
    "backslashes": "..\\outside\\secret.txt",
    "fullwidth dots": "\uff0e\uff0e/outside/secret.txt",
    "two dot leader": "\u2025/outside/secret.txt",
    "one dot leaders": "\u2024\u2024/outside/secret.txt",
    "ellipsis": "\u2026/outside",
    "fullwidth solidus": "..\uff0foutside\uff0fsecret.txt",
    "division slash": "..\u2215outside\u2215secret.txt",
    "fraction slash": "..\u2044outside",
    "account-of sign (NFKC a/c)": "\u2100/x.txt",
    "right-to-left override": "docs/\u202etxt.exe",
    "zero-width space": "docs/a\u200b.txt",
    "NUL": "docs/a.txt\x00.pdf",
    "newline": "docs/a\n.txt",
    "the root itself": ".",
    "empty": "",
    "symlink to a file outside": "link-file",
    "symlinked folder": "link-dir/secret.txt",
    "symlink inside the root": "inner-link",
    "hard link": "hard.txt",
    "hidden folder": ".ssh/id_rsa",
    "hidden, fullwidth dot": "\uff0essh/id_rsa",
    "executable": "Setup.EXE",
    "executable, other case": "setup.exe",
    "executable, fullwidth extension": "setup.\uff45\uff58\uff45",
    "executable, trailing dot": "setup.exe.",
    "executable, trailing space": "Setup.EXE ",
    "program with a document's name": "report.pdf",
    "script": "run.txt",
    "ragkb's own files": "kbhome/ragkb.db",
    "a folder": "docs/sub",
    "system file": "desktop.ini",
    "Office lock file": "~$budget.xlsx",
}


@pytest.mark.parametrize("path", ESCAPES.values(), ids=ESCAPES.keys())
def test_escape_is_refused_as_a_source(world: Path, path: str) -> None:
    with pytest.raises(SandboxError):
        sandbox_of(world).existing_file(path)


TARGET_ESCAPES = {
    **{name: path for name, path in ESCAPES.items() if name not in ("a folder",)},
    "new file outside": "../outside/new.txt",
    "into a symlinked folder": "link-dir/new.txt",
    "case twin of a file": "docs/A.txt",
    "Unicode-form twin": "docs/\uff41.txt",
    "new executable": "docs/tool.ps1",
}


@pytest.mark.parametrize("path", TARGET_ESCAPES.values(), ids=TARGET_ESCAPES.keys())
def test_escape_is_refused_as_a_target(world: Path, path: str) -> None:
    with pytest.raises(SandboxError):
        sandbox_of(world).target(path)


@pytest.mark.parametrize("role", ["source", "target"])
@pytest.mark.parametrize("path", ESCAPES.values(), ids=ESCAPES.keys())
def test_an_edited_plan_that_escapes_changes_nothing(world: Path, tmp_path: Path, path: str, role: str) -> None:
    """A plan is data: whatever a hand-edited one names, running it refuses it whole before any change."""
    settings = Settings(home=world / "kbhome")
    first = Operation(op="copy", path="docs/a.txt", to="docs/copied.txt")  # would run first if checked one by one
    trap = (
        Operation(op="move", path=path or " ", to="docs/stolen.txt")
        if role == "source"
        else Operation(op="move", path="docs/a.txt", to=path or " ")
    )
    plan = Plan(instruction="edited", root=str(world), planner="rules", operations=[first, trap])
    before = snapshot(tmp_path)
    with pytest.raises(SandboxError):
        execute_plan(plan, settings)
    assert snapshot(tmp_path) == before
    assert not audit.AgentHome(settings).records()


def test_a_folder_swapped_for_a_link_after_the_check_is_not_followed(
    world: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race: docs/ is checked, then replaced by a link to outside/ before the move; the move opens
    folders with O_NOFOLLOW from the root, refuses, and rolls back; outside/ is untouched."""
    settings = Settings(home=tmp_path / "home")
    plan = Plan(
        instruction="race", root=str(world), planner="rules", operations=[Operation(op="move", path="docs/a.txt", to="moved.txt")]
    )
    original = audit.AgentHome.append

    def append_then_swap(self: audit.AgentHome, record: audit.AuditRecord) -> None:
        original(self, record)
        if record.event == "intent":  # checked and announced: now the folder becomes a link
            (world / "docs").rename(world / "docs-real")
            (world / "docs").symlink_to(tmp_path / "outside", target_is_directory=True)

    monkeypatch.setattr(audit.AgentHome, "append", append_then_swap)
    write(tmp_path / "outside" / "a.txt", "not yours")  # what docs/a.txt would be through the link
    before = snapshot(tmp_path / "outside")
    report = execute_plan(plan, settings)
    assert report.results[0].status == "failed" and "link" in report.results[0].detail
    assert snapshot(tmp_path / "outside") == before
    assert not (world / "moved.txt").exists() and (world / "docs-real" / "a.txt").read_text() == "alpha"
    records = audit.AgentHome(settings).records()  # docs/a.txt is out of reach now: closed, not guessed
    assert [r.event for r in records] == ["intent", "failed"] and "by hand" in records[-1].detail


def test_a_file_swapped_for_a_link_is_not_read(world: Path) -> None:
    sandbox = sandbox_of(world)
    sandbox.existing_file("docs/a.txt")
    (world / "docs" / "a.txt").unlink()
    (world / "docs" / "a.txt").symlink_to(world.parent / "outside" / "secret.txt")
    from ragkb.agent import fsops

    with sandbox.folder("docs/a.txt") as folder, pytest.raises(SandboxError):
        fsops.open_file(folder)


def test_plan_level_checks(world: Path) -> None:
    sandbox = Sandbox(world, max_operations=2)

    def plan(*operations: Operation, kb: str | None = "kb") -> Plan:
        return Plan(instruction="t", root=str(world), planner="rules", kb=kb, operations=list(operations))

    copy = Operation(op="copy", path="docs/a.txt", to="b.txt")
    with pytest.raises(SandboxError, match="more than the limit of 2"):
        sandbox.check_plan(plan(copy, copy, copy))
    with pytest.raises(SandboxError, match="written twice"):
        sandbox.check_plan(plan(copy, Operation(op="copy", path="docs/a.txt", to="B.txt")))
    with pytest.raises(SandboxError, match="gone by then"):
        sandbox.check_plan(plan(Operation(op="delete", path="docs/a.txt"), Operation(op="read", path="docs/a.txt")))
    with pytest.raises(SandboxError, match="give --kb"):
        sandbox.check_plan(plan(Operation(op="tag", path="docs/a.txt", tags=["x"]), kb=None))
    # a file the plan makes may be used later in it
    sandbox.check_plan(
        plan(Operation(op="move", path="docs/a.txt", to="new/a.txt"), Operation(op="tag", path="new/a.txt", tags=["x"]))
    )


def test_roots_that_are_too_wide_or_inside_ragkb_home(world: Path) -> None:
    with pytest.raises(SandboxError, match="too wide"):
        Sandbox("/")
    with pytest.raises(SandboxError, match="inside ragkb's own folder"):
        Sandbox(world / "kbhome", protected=[world])
    with pytest.raises(SandboxError, match="no such folder"):
        Sandbox(world / "missing")
