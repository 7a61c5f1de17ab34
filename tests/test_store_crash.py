"""kill -9 in the middle of ``ragkb add`` on PostgreSQL: chunks, postings and vectors commit with
their files or not at all, and the next ``add`` completes the KB (the SQLite case is
tests/test_crash_recovery.py)."""

from __future__ import annotations

import json
import signal
import subprocess
import time

from sqlalchemy import create_engine, text
from stores import postgres_database
from support import write

FILES = 60


def counts(engine) -> dict[str, int]:
    queries = {
        "indexed_files": "SELECT COUNT(*) FROM knowledge_file WHERE status = 'indexed'",
        "declared_chunks": "SELECT COALESCE(SUM(chunk_count), 0) FROM knowledge_file WHERE status = 'indexed'",
        "chunks": "SELECT COUNT(*) FROM chunk",
        "sparse": "SELECT COUNT(*) FROM sparse_document",
        "totals": "SELECT COALESCE(SUM(documents), 0) FROM sparse_totals",
        "vectors": "SELECT COUNT(*) FROM chunk_vector",
    }
    with engine.connect() as connection:
        return {name: connection.scalar(text(sql)) for name, sql in queries.items()}


def test_kill_during_add_on_postgres_then_resume(tmp_path, cli_env):
    docs = tmp_path / "docs"
    for i in range(FILES):
        paragraphs = [
            f"Document {i} part {p}: " + " ".join(f"term{(i * 5 + p * 3 + w) % 300}" for w in range(60)) for p in range(6)
        ]
        write(docs / f"doc{i:03d}.md", f"# Document {i}\n\n" + "\n\n".join(paragraphs))
    with postgres_database() as url:
        env = {**cli_env, "RAGKB_DATABASE_URL": url}
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        subprocess.run(["ragkb", "kb", "create", "notes"], env=env, check=True, capture_output=True)
        process = subprocess.Popen(
            ["ragkb", "add", str(docs), "--kb", "notes"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 300
        while counts(engine)["indexed_files"] == 0 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait()
        after_kill = counts(engine)
        assert 0 < after_kill["indexed_files"] < FILES, "the kill should land in the middle of the ingest"
        assert after_kill["chunks"] == after_kill["declared_chunks"] == after_kill["sparse"] == after_kill["totals"]
        assert after_kill["vectors"] == after_kill["chunks"]

        result = subprocess.run(
            ["ragkb", "add", str(docs), "--kb", "notes", "--json"], env=env, capture_output=True, text=True, check=True
        )
        report = json.loads(result.stdout)
        assert len(report["skipped"]) == after_kill["indexed_files"]
        assert len(report["added"]) == FILES - after_kill["indexed_files"]
        final = counts(engine)
        assert final["indexed_files"] == FILES
        assert final["chunks"] == final["declared_chunks"] == final["sparse"] == final["totals"] == final["vectors"]
        engine.dispose()
