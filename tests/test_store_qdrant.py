"""Qdrant cannot join the catalog's transaction: a failure between the catalog commit and the
Qdrant upsert leaves files 'syncing', and the next add re-indexes them."""

from __future__ import annotations

import socket
import subprocess

import pytest
from support import write

from ragkb import KBSettings, KnowledgeBase
from ragkb.config import Settings
from ragkb.errors import RagkbError


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_files_left_syncing_by_a_qdrant_failure_are_reindexed_by_the_next_add(tmp_path):
    docs = tmp_path / "docs"
    write(docs / "router.md", "# Router\n\nHold the reset button for ten seconds to factory reset the router.\n")
    write(docs / "leave.md", "# Leave\n\nEmployees get fifteen days of annual leave per year.\n")
    folder = tmp_path / "qdrant"
    catalog = f"sqlite:///{folder / 'catalog.db'}"  # where local mode on this folder keeps its catalog
    unreachable = Settings(home=tmp_path / "home", database_url=f"qdrant://127.0.0.1:{closed_port()}?catalog={catalog}")

    kb = KnowledgeBase.create("notes", kb_settings=KBSettings(embedder="none"), settings=unreachable)
    with pytest.raises(RagkbError, match="next ragkb add re-indexes them"):
        kb.add([docs])
    assert {f.status for f in kb.files()} == {"syncing"}

    local = Settings(home=tmp_path / "home", database_url=f"qdrant://{folder}")
    kb = KnowledgeBase.open("notes", settings=local)
    assert kb.search("factory reset", k=3) == []  # the catalog has the chunks, Qdrant does not
    report = kb.add([docs])
    assert sorted(report.updated) == sorted(str(p.resolve()) for p in docs.iterdir()) and not report.skipped
    assert {f.status for f in kb.files()} == {"indexed"}
    assert kb.search("factory reset", k=1)[0].file.endswith("router.md")
    assert len(kb.add([docs]).skipped) == 2


def test_a_local_folder_opened_twice_says_what_to_do(tmp_path, cli_env):
    folder = tmp_path / "qdrant"
    settings = Settings(home=tmp_path / "home", database_url=f"qdrant://{folder}")
    KnowledgeBase.create("notes", kb_settings=KBSettings(embedder="none"), settings=settings)
    other = subprocess.run(
        ["ragkb", "kb", "list"],
        check=False,
        env={**cli_env, "RAGKB_DATABASE_URL": f"qdrant://{folder}"},
        capture_output=True,
        text=True,
    )
    assert other.returncode == 1 and "one process at a time" in other.stderr
