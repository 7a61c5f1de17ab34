"""kill -9 in the middle of ``ragkb add`` leaves a consistent KB that the next ``add`` completes."""

import json
import signal
import sqlite3
import subprocess
import time

from support import index_counts, write

from ragkb.config import DEFAULT_EMBEDDER

FILES = 120


def indexed_files(home) -> int:
    try:
        with sqlite3.connect(home / "ragkb.db", timeout=30) as db:
            return db.execute("SELECT COUNT(*) FROM knowledge_file WHERE status = 'indexed'").fetchone()[0]
    except sqlite3.OperationalError:  # tables not created yet
        return 0


def test_kill_during_add_then_resume(tmp_path, home, cli_env):
    docs = tmp_path / "docs"
    for i in range(FILES):
        paragraphs = [
            f"Document {i} paragraph {p}: " + " ".join(f"word{(i * 7 + p * 3 + w) % 500}" for w in range(60)) for p in range(6)
        ]
        write(docs / f"doc{i:03d}.md", f"# Document {i}\n\n" + "\n\n".join(paragraphs))
    # an embedder named: one chosen at the first add holds the first 512 chunks in one batch
    create = ["ragkb", "kb", "create", "notes", "--embedder", DEFAULT_EMBEDDER]
    subprocess.run(create, env=cli_env, check=True, capture_output=True)

    process = subprocess.Popen(
        ["ragkb", "add", str(docs), "--kb", "notes"], env=cli_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 300
    while indexed_files(home) == 0 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    done_before = indexed_files(home)
    assert 0 < done_before < FILES, "the kill should land in the middle of the ingest"

    counts = index_counts(home, "notes")  # consistent after the kill: no half-written file
    assert counts["chunks"] == counts["vectors"] == counts["declared_chunks"]

    result = subprocess.run(
        ["ragkb", "add", str(docs), "--kb", "notes", "--json"], env=cli_env, capture_output=True, text=True, check=True
    )
    report = json.loads(result.stdout)
    assert len(report["skipped"]) == done_before and len(report["added"]) == FILES - done_before
    counts = index_counts(home, "notes")
    assert counts["files"] == FILES
    assert counts["chunks"] == counts["vectors"] == counts["declared_chunks"]
    with sqlite3.connect(home / "ragkb.db") as db:
        duplicates = db.execute(
            "SELECT COUNT(*) FROM (SELECT file_id, ordinal FROM chunk GROUP BY file_id, ordinal HAVING COUNT(*) > 1)"
        ).fetchone()[0]
        orphans = db.execute("SELECT COUNT(*) FROM chunk WHERE file_id NOT IN (SELECT id FROM knowledge_file)").fetchone()[0]
    assert duplicates == 0 and orphans == 0
