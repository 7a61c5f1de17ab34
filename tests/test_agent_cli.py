"""``ragkb agent`` as a user runs it (the real executable): the plan with --json changes nothing, a
saved plan is edited and run with --yes, undo and the audit log with --json, one-line errors."""

from __future__ import annotations

import json
import os
import pty
import subprocess
from pathlib import Path

from support import write


def ragkb(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["ragkb", *args], env=env, capture_output=True, text=True, timeout=600)


def files(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}


def test_plan_edit_run_undo(tmp_path: Path, cli_env: dict[str, str]) -> None:
    root = tmp_path / "box"
    write(root / "a.txt", "same")
    write(root / "sub" / "a.txt", "same")
    write(root / "sub" / "b.txt", "same")
    write(root / "keep.tmp", "scratch")
    original = files(root)

    shown = ragkb(cli_env, "agent", "删除重复的文件", "--root", str(root), "--json", "--plan-out", str(tmp_path / "plan.json"))
    assert shown.returncode == 0, shown.stderr
    plan = json.loads(shown.stdout)
    assert [(op["op"], op["path"]) for op in plan["operations"]] == [("delete", "sub/a.txt"), ("delete", "sub/b.txt")]
    assert files(root) == original  # --dry-run is the default
    assert json.loads((tmp_path / "plan.json").read_text()) == plan

    plan["operations"] = [*plan["operations"][:1], {"op": "move", "path": "keep.tmp", "to": "scratch/keep.tmp"}]
    (tmp_path / "plan.json").write_text(json.dumps(plan), encoding="utf-8")  # edited by hand
    ran = ragkb(cli_env, "agent", "--plan", str(tmp_path / "plan.json"), "--yes", "--json")
    assert ran.returncode == 0, ran.stderr
    report = json.loads(ran.stdout)
    assert report["plan"] == plan["id"] and [r["status"] for r in report["results"]] == ["done", "done"]
    assert files(root) == {"a.txt": "same", "scratch/keep.tmp": "scratch", "sub/b.txt": "same"}

    log = json.loads(ragkb(cli_env, "agent", "log", "--json").stdout)
    assert [(r["event"], r["op"]) for r in log] == [
        ("intent", "delete"),
        ("done", "delete"),
        ("intent", "move"),
        ("done", "move"),
    ]
    undone = ragkb(cli_env, "agent", "undo", "--json")
    assert undone.returncode == 0 and json.loads(undone.stdout)["undo"] is True
    assert files(root) == original
    assert not (root / "scratch").exists()

    again = ragkb(cli_env, "agent", "--plan", str(tmp_path / "plan.json"), "--yes", "--json")  # a replay is a new run
    assert again.returncode == 0 and json.loads(again.stdout)["plan"] != plan["id"]

    human = ragkb(cli_env, "agent", "delete all *.tmp files", "--root", str(root))
    assert human.returncode == 0 and "delete scratch/keep.tmp" in human.stdout and "nothing was changed" in human.stdout


def test_errors_are_one_line(tmp_path: Path, cli_env: dict[str, str]) -> None:
    write(tmp_path / "box" / "a.txt", "a")
    for args, message in [
        (["hello there", "--root", str(tmp_path / "box")], "do not understand"),
        (["rename the contracts by their signing date", "--root", str(tmp_path / "box")], "needs a knowledge base"),
        (["删除重复的文件", "--root", str(tmp_path / "nowhere")], "no such folder"),
        (["删除重复的文件"], "give an instruction and the folder"),
        (["删除重复的文件", "--root", str(tmp_path / "box"), "--yes", "--dry-run"], "give one of them"),
        (["undo"], "nothing to undo"),
    ]:
        done = ragkb(cli_env, "agent", *args)
        assert done.returncode == 1 and done.stderr.startswith("Error: ") and message in done.stderr, (args, done.stderr)
        assert done.stderr.count("\n") == 1 or len(done.stderr) > 80  # one line (rich wraps long ones at COLUMNS)


def test_asks_before_it_changes_anything(tmp_path: Path, cli_env: dict[str, str]) -> None:
    """On a terminal the plan is shown and run only on 'y'."""
    root = tmp_path / "box"
    write(root / "a.tmp", "scratch")
    write(root / "b.txt", "keep")
    for answer, left in (("n", {"a.tmp", "b.txt"}), ("y", {"b.txt"})):
        controller, terminal = pty.openpty()
        process = subprocess.Popen(
            ["ragkb", "agent", "delete all *.tmp files", "--root", str(root)],
            env=cli_env,
            stdin=terminal,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        os.close(terminal)
        os.write(controller, f"{answer}\n".encode())
        out, err = process.communicate(timeout=600)
        os.close(controller)
        assert process.returncode == 0, err
        assert "Run these 1 operations?" in out
        assert {path.name for path in root.iterdir()} == left
