"""Helpers shared by the test modules (not fixtures: those live in conftest.py)."""

from __future__ import annotations

from pathlib import Path


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def upload_folder(home: Path, kb_name: str) -> Path:
    """Where the server keeps the files uploaded to a KB: ``kb-uploads/<its id>``, read with plain sqlite3."""
    import sqlite3

    with sqlite3.connect(home / "ragkb.db") as db:
        (kb_id,) = db.execute("SELECT id FROM knowledge_base WHERE name = ?", (kb_name,)).fetchone()
    return home.resolve() / "kb-uploads" / str(kb_id)


def index_counts(home: Path, kb_name: str) -> dict[str, int]:
    """Rows a KB owns in the catalog, read with plain sqlite3 (not through ragkb)."""
    import sqlite3

    with sqlite3.connect(home / "ragkb.db") as db:
        row = db.execute("SELECT id FROM knowledge_base WHERE name = ?", (kb_name,)).fetchone()
        if row is None:
            return {}
        kb_id = row[0]
        chunk_ids = {r[0] for r in db.execute("SELECT id FROM chunk WHERE kb_id = ?", (kb_id,))}
        fts_ids = {r[0] for r in db.execute(f"SELECT rowid FROM fts_kb_{kb_id}")}
        vector_ids = {r[0] for r in db.execute("SELECT chunk_id FROM chunk_vector WHERE kb_id = ?", (kb_id,))}
        english = {r[0] for r in db.execute("SELECT id FROM chunk WHERE kb_id = ? AND language = 'en'", (kb_id,))}
        declared = db.execute(
            "SELECT COALESCE(SUM(chunk_count), 0) FROM knowledge_file WHERE kb_id = ? AND status = 'indexed'", (kb_id,)
        ).fetchone()[0]
        files = db.execute("SELECT COUNT(*) FROM knowledge_file WHERE kb_id = ?", (kb_id,)).fetchone()[0]
    assert fts_ids == chunk_ids, "sparse index out of step with chunks"
    assert vector_ids <= chunk_ids, "vectors without chunks"
    return {
        "files": files,
        "chunks": len(chunk_ids),
        "english_chunks": len(english),
        "vectors": len(vector_ids),
        "declared_chunks": declared,
    }


SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def samples_kb(home: Path, name: str = "samples"):
    """A knowledge base of the bundled samples/ (Chinese and English, PDF, Word, Markdown, HTML, text),
    BM25 only so that no model loads."""
    from ragkb import KBSettings, KnowledgeBase, Settings

    kb = KnowledgeBase.create(name, settings=Settings(home=home), kb_settings=KBSettings(embedder="none"))
    kb.add([SAMPLES])
    return kb
