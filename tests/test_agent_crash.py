"""A run killed in the middle of a plan leaves every file either done, with its audit record, or
untouched: a real ``ragkb agent --plan F --yes`` process is killed with SIGKILL at a chosen operation,
just after its intent reached the log or just after its change; the next run recovers, and undo
brings back the tree as it was. The same points are also hit in-process for every operation kind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import write

from ragkb.agent import audit, execute
from ragkb.agent.audit import AgentHome
from ragkb.agent.execute import execute_plan, recover, undo_last
from ragkb.agent.plan import Operation, Plan
from ragkb.config import Settings

OPERATIONS = [
    Operation(op="move", path="docs/a.txt", to="archive/a.txt"),
    Operation(op="copy", path="docs/b.txt", to="docs/c.txt"),
    Operation(op="delete", path="docs/d.txt"),
    Operation(op="create", path="notes/new.md", content="new"),
    Operation(op="rename", path="docs/b.txt", to="docs/b2.txt"),
]
START = {"docs/a.txt": "alpha", "docs/b.txt": "bravo", "docs/c.txt": "charlie", "docs/d.txt": "delta"}
STATES = [
    START,
    {"archive/a.txt": "alpha", "docs/b.txt": "bravo", "docs/c.txt": "charlie", "docs/d.txt": "delta"},
    {"archive/a.txt": "alpha", "docs/b.txt": "bravo", "docs/c.txt": "bravo", "docs/d.txt": "delta"},
    {"archive/a.txt": "alpha", "docs/b.txt": "bravo", "docs/c.txt": "bravo"},
    {"archive/a.txt": "alpha", "docs/b.txt": "bravo", "docs/c.txt": "bravo", "notes/new.md": "new"},
    {"archive/a.txt": "alpha", "docs/b2.txt": "bravo", "docs/c.txt": "bravo", "notes/new.md": "new"},
]
"""The files after each operation: a killed run must leave one of these, never anything between."""

KILLER = """
import os, signal, sys
from ragkb.agent import audit
from ragkb.cli import main

seq, moment, plan = int(sys.argv[1]), sys.argv[2], sys.argv[3]
append, current = audit.AgentHome.append, {"seq": -1}

def append_and_die(self, record):
    append(self, record)
    if record.event == "intent":
        current["seq"] = record.seq
        if record.seq == seq and moment == "intent":
            os.kill(os.getpid(), signal.SIGKILL)

def change_and_die(real):  # an operation's change is one rename (move, copy, create) or unlink (delete)
    def change(*args, **kwargs):
        real(*args, **kwargs)
        if current["seq"] == seq and moment == "change":
            os.kill(os.getpid(), signal.SIGKILL)
    return change

audit.AgentHome.append = append_and_die
os.rename, os.unlink = change_and_die(os.rename), change_and_die(os.unlink)
sys.argv = ["ragkb", "agent", "--plan", plan, "--yes"]
main()
"""


def files(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}


def leftovers(root: Path) -> list[str]:
    return [p.name for p in root.rglob("*.partial")]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    for name, text in START.items():
        write(tmp_path / "files" / name, text)
    return tmp_path / "files"


@pytest.mark.parametrize(
    ("seq", "moment"), [(0, "intent"), (1, "change"), (2, "intent"), (2, "change"), (3, "change"), (4, "intent")]
)
def test_sigkill_in_the_middle_of_a_plan(root: Path, tmp_path: Path, cli_env: dict[str, str], seq: int, moment: str) -> None:
    plan_file = Plan(instruction="t", root=str(root), planner="rules", operations=OPERATIONS).save(tmp_path / "plan.json")
    killed = subprocess.run(
        [sys.executable, "-c", KILLER, str(seq), moment, str(plan_file)], env=cli_env, capture_output=True, text=True, timeout=300
    )
    assert killed.returncode == -9, killed.stderr  # SIGKILL: no cleanup ran
    settings = Settings(home=Path(cli_env["RAGKB_HOME"]))
    done_before = seq + (moment == "change")
    assert files(root) == STATES[done_before]  # not yet recovered: already one of the states, never between
    records = AgentHome(settings).records()
    assert [r.seq for r in records if r.event == "done"] == list(range(seq))
    assert audit.pending(records)[0].seq == seq

    lines = recover(AgentHome(settings), settings)  # what the next run does first
    assert len(lines) == 1 and ("done" if moment == "change" else "aborted") in lines[0]
    assert files(root) == STATES[done_before] and not leftovers(root)
    records = AgentHome(settings).records()
    assert not audit.pending(records)
    assert [r.seq for r in records if r.event == "done"] == list(range(done_before))
    if moment == "intent":
        assert not any(Path(settings.home, "agent", "backups").rglob(f"{seq:04d}-*"))  # its backup copy removed

    undone = subprocess.run(["ragkb", "agent", "undo", "--json"], env=cli_env, capture_output=True, text=True, timeout=300)
    if done_before:
        assert undone.returncode == 0, undone.stderr
        assert {r["status"] for r in json.loads(undone.stdout)["results"]} == {"done"}
    else:
        assert undone.returncode == 1 and "nothing to undo" in undone.stderr
    assert files(root) == START
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_dir()) == ["docs"]


class Killed(BaseException):
    """Stands for SIGKILL in-process: nothing of the run's own error handling sees it."""


@pytest.mark.parametrize("moment", ["intent", "change"])
@pytest.mark.parametrize("seq", range(len(OPERATIONS)))
def test_recovery_after_a_stop_at_each_operation(
    root: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch, seq: int, moment: str
) -> None:
    append, current = audit.AgentHome.append, {"seq": -1}

    def stop_after_intent(self: AgentHome, record: audit.AuditRecord) -> None:
        append(self, record)
        if record.event == "intent":
            current["seq"] = record.seq
            if record.seq == seq and moment == "intent":
                raise Killed

    def stop_after(real):
        def change(*args, **kwargs):
            real(*args, **kwargs)
            if current["seq"] == seq and moment == "change":
                raise Killed

        return change

    monkeypatch.setattr(audit.AgentHome, "append", stop_after_intent)
    monkeypatch.setattr(execute.os, "rename", stop_after(os.rename))
    monkeypatch.setattr(execute.os, "unlink", stop_after(os.unlink))
    with pytest.raises(Killed):
        execute_plan(Plan(instruction="t", root=str(root), planner="rules", operations=OPERATIONS), settings)
    monkeypatch.undo()

    recover(AgentHome(settings), settings)
    done = seq + (moment == "change")
    assert files(root) == STATES[done] and not leftovers(root)
    if done:
        undo_last(settings)
    assert files(root) == START
