"""One process ingests while another searches the same KB: the searcher never sees half a file
and sees each file once its commit is done (no stale cache across processes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from stores import backend_url

from ragkb import KnowledgeBase
from ragkb.config import Settings
from ragkb.ingest.chunking import chunk_document
from ragkb.models import Block, ParsedDocument

FILES = 12


def publish(state: Path, text: str) -> None:
    """Replace the state file in one step: a plain write truncates first, and the searcher could read it empty."""
    temporary = state.with_suffix(".tmp")
    temporary.write_text(text)
    os.replace(temporary, state)


def logbook(number: int) -> ParsedDocument:
    """A document of several chunks, each mentioning the lighthouse keeper's logbook."""
    entries = [
        f"Lighthouse keeper logbook {number:02d}, entry {entry}: "
        + " ".join(f"storm{number:02d}x{entry} wave{(number * 7 + entry * 3 + w) % 97:02d}" for w in range(30))
        for entry in range(6)
    ]
    return ParsedDocument([Block(entry) for entry in entries], loader="test")


@pytest.mark.parametrize("backend", ["embedded", "postgres"])
def test_searcher_sees_whole_files_as_they_commit(backend, tmp_path, monkeypatch):
    with backend_url(backend, tmp_path) as url:
        home = tmp_path / "home"
        monkeypatch.setenv("RAGKB_HOME", str(home))
        monkeypatch.setenv("RAGKB_DATABASE_URL", url)
        kb = KnowledgeBase.create("logs", settings=Settings())
        kb.add_documents([("seed", "seed", ParsedDocument([Block("Nothing to see here.")], loader="test"))])
        per_file = len(chunk_document(logbook(0), kb.settings.chunk_size, kb.settings.chunk_overlap))
        assert per_file > 3

        state = tmp_path / "committed"
        publish(state, "0")
        searcher = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("consistency_searcher.py")), str(state), "logs", str(per_file)],
            env={**os.environ},
            stdout=subprocess.PIPE,
            text=True,
        )
        for number in range(FILES):
            report = kb.add_documents([(f"log-{number:02d}", "logbook", logbook(number))])
            assert report.chunks == per_file
            publish(state, str(number + 1))
        publish(state, f"{FILES} done")
        output, _ = searcher.communicate(timeout=600)
        assert searcher.returncode == 0
        result = json.loads(output.strip().splitlines()[-1])
        assert result["violations"] == []
        assert result["rounds"] >= 2
