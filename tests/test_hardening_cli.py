"""Issue 13 through the real ``ragkb`` executable (and, for re-indexing, the HTTP API): a file that
fails to re-index says so (item 5), a file name that is not UTF-8 is reported and the rest indexed
(item 6), knowledge base and session names are checked when created and not when opened (items
9 and 10), and looking at a session that does not exist does not create it."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from server_live import live_server
from support import write

from ragkb.answer.answering import Answerer
from ragkb.answer.chat import Conversation
from ragkb.config import KBSettings, Settings
from ragkb.kb import KnowledgeBase

SPARSE = KBSettings(embedder="none")
JOB_WAIT_S = 300
"""A bound on waiting for an ingestion job (two CPU cores are shared), never asserted as a time."""


def ragkb(env: dict[str, str], *args: str, code: int = 0) -> subprocess.CompletedProcess:
    result = subprocess.run(["ragkb", *args], env=env, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    return result


def error_line(result: subprocess.CompletedProcess) -> str:
    """The one line a user error prints."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture
def notes(settings: Settings) -> KnowledgeBase:
    return KnowledgeBase.create("notes", kb_settings=SPARSE, settings=settings)


# --- item 6: a file name that is not UTF-8 ----------------------------------------------------


def test_add_reports_a_name_that_is_not_utf8_and_indexes_the_rest(cli_env, notes, tmp_path: Path) -> None:
    folder = write(tmp_path / "docs" / "good.txt", "Annual leave is 25 days.").parent
    bad = folder / os.fsdecode(b"bad\xff.txt")
    bad.write_text("Sick leave needs a note.")

    human = ragkb(cli_env, "add", str(folder), "--kb", "notes")
    line = error_line(human)
    assert "bad\\xff.txt: the name is not valid UTF-8; rename it" in line
    assert "added 1, updated 0, skipped 0 unchanged, removed 0, failed 1" in human.stdout

    report = json.loads(ragkb(cli_env, "add", str(folder), "--kb", "notes", "--force", "--tag", "hr", "--json").stdout)
    assert [Path(path).name for path in report["updated"]] == ["good.txt"]
    assert [Path(failed["path"]).name for failed in report["failed"]] == ["bad\\xff.txt"]
    shown = json.loads(ragkb(cli_env, "kb", "show", "notes", "--json").stdout)
    assert [(Path(f["path"]).name, f["status"]) for f in shown["file_list"]] == [("good.txt", "indexed")]
    assert notes.search("annual leave", k=1)[0].file.endswith("good.txt")

    alone = ragkb(cli_env, "add", str(bad), "--kb", "notes", code=1)
    assert "not valid UTF-8" in error_line(alone)  # nothing could be indexed: exit code 1, as README says


# --- item 5: a file whose new version cannot be read ------------------------------------------


def test_a_changed_file_that_cannot_be_read_is_failed_with_its_error(cli_env, notes, tmp_path: Path) -> None:
    policy = write(tmp_path / "docs" / "policy.txt", "Annual leave is 25 days.")
    ragkb(cli_env, "add", str(policy), "--kb", "notes")
    policy.write_bytes(b"\xff\xfe\x00\x00binary\x00\x01")
    ragkb(cli_env, "add", str(policy), "--kb", "notes", code=1)
    assert [(f.status, f.chunks) for f in notes.files()] == [("failed", 1)]  # the old version's chunk stays searchable
    assert "binary data" in notes.files()[0].error

    policy.unlink()
    write(policy, "Annual leave is 25 days.")
    ragkb(cli_env, "add", str(policy), "--kb", "notes")
    policy.unlink()
    gone = ragkb(cli_env, "add", str(policy), "--kb", "notes", code=1)
    assert "no such file or folder" in error_line(gone)
    shown = json.loads(ragkb(cli_env, "kb", "show", "notes", "--json").stdout)["file_list"]
    assert [(f["status"], f["chunks"]) for f in shown] == [("failed", 1)]  # was: indexed, no error
    assert "no such file or folder" in shown[0]["error"]
    assert notes.search("annual leave", k=1)[0].text == "Annual leave is 25 days."


def wait_for_job(client: httpx.Client, job_id: str) -> dict:
    deadline = time.monotonic() + JOB_WAIT_S
    while (job := client.get(f"/api/jobs/{job_id}").json())["state"] in ("queued", "running"):
        assert time.monotonic() < deadline, f"job still {job['state']}: {job}"
        time.sleep(0.1)
    return job


def test_a_reindex_over_http_that_fails_shows_failed_in_the_file_list(settings: Settings, notes, tmp_path: Path) -> None:
    with live_server(settings) as url, httpx.Client(base_url=url, timeout=120) as client:
        uploaded = client.post("/api/kbs/notes/files", files=[("files", ("leave.md", b"# Leave\n\nAnnual leave is 25 days.\n"))])
        assert wait_for_job(client, uploaded.json()["job_id"])["report"]["failed"] == []
        stored = notes.files()[0]
        Path(stored.path).unlink()  # the stored copy is gone (deleted by hand, a disk cleaned up)

        job = wait_for_job(client, client.post(f"/api/kbs/notes/files/{stored.id}/reindex").json()["job_id"])
        assert len(job["report"]["failed"]) == 1
        listed = client.get("/api/kbs/notes/files").json()
        assert [(f["status"], f["chunks"]) for f in listed] == [("failed", 1)]  # was: indexed, no error
        assert "no such file or folder" in listed[0]["error"]
        assert client.get("/api/kbs/notes").json()["failed_files"] == 1


# --- items 9 and 10: names ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, problem",
    [
        ("", "is empty"),
        ("../x", "may not start with '.'"),
        ("x/y", "may not contain '/' or '\\'"),
        (".", "may not start with '.'"),
        ("..", "may not start with '.'"),
        ("a\\b", "may not contain '/' or '\\'"),
        ("a\tb", "may not contain the control or invisible character U+0009"),
        ("x" * 300, "is 300 characters long, over the limit of 100"),
        ("invoice\u202etxt.exe", "may not contain the control or invisible character U+202E"),
    ],
)
def test_kb_create_refuses_bad_names_in_one_line(cli_env, name: str, problem: str) -> None:
    line = error_line(ragkb(cli_env, "kb", "create", name, "--embedder", "none", code=1))
    assert problem in line and "choose another name" in line
    assert json.loads(ragkb(cli_env, "kb", "list", "--json").stdout) == []


def rename_in_catalog(home: Path, table: str, old: str, new: str) -> None:
    """Give a row a name the rule now refuses, as ragkb before the rule could store (plain sqlite3)."""
    with sqlite3.connect(home / "ragkb.db") as db:
        assert db.execute(f"UPDATE {table} SET name = ? WHERE name = ?", (new, old)).rowcount == 1


@pytest.mark.parametrize("old_name", ["..", "x/y", "a\tb"])
def test_a_kb_named_before_the_rule_still_opens_and_deletes(cli_env, settings: Settings, old_name: str) -> None:
    KnowledgeBase.create("legacy", kb_settings=SPARSE, settings=settings)
    rename_in_catalog(settings.home, "knowledge_base", "legacy", old_name)
    assert json.loads(ragkb(cli_env, "kb", "show", old_name, "--json").stdout)["name"] == old_name
    ragkb(cli_env, "kb", "create", old_name, "--exist-ok")
    ragkb(cli_env, "kb", "delete", old_name, "--yes")
    assert json.loads(ragkb(cli_env, "kb", "list", "--json").stdout) == []


@pytest.mark.parametrize(
    "session, problem",
    [
        ("../../etc/passwd", "may not start with '.'"),
        ("a/b", "may not contain '/' or '\\'"),
        ("s" * 5000, "is 5000 characters long, over the limit of 100"),
    ],
)
def test_chat_refuses_a_bad_session_name_in_one_line(cli_env, notes, session: str, problem: str) -> None:
    result = ragkb(cli_env, "chat", "--kb", "notes", "--session", session, "-g", "extractive", code=1)
    assert problem in error_line(result)
    assert notes.sessions() == []


def test_chat_history_of_a_session_that_does_not_exist_is_an_error(cli_env, notes) -> None:
    result = ragkb(cli_env, "chat", "--kb", "notes", "--session", "typo", "--history", code=1)
    assert error_line(result) == "Error: knowledge base 'notes' has no session 'typo'; it has none yet"
    assert notes.sessions() == []  # looking did not create it

    Conversation(notes, "trip", Answerer(notes, "extractive")).ask("When?")
    result = ragkb(cli_env, "chat", "--kb", "notes", "--session", "typo", "--history", "--json", code=1)
    assert error_line(result).endswith("has no session 'typo'; it has: trip")
    stored = json.loads(ragkb(cli_env, "chat", "--kb", "notes", "--session", "trip", "--history", "--json").stdout)
    assert stored["name"] == "trip" and [m["content"] for m in stored["messages"]][:1] == ["When?"]
