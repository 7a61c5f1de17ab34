"""Catalogs written by an older ragkb open in this one: Alembic brings their schema up to date."""

import json
import sqlite3
import subprocess

from support import write

from ragkb import KnowledgeBase
from ragkb.catalog.migrate import FIRST_REVISION


def _downgrade_to_first_release(db_path) -> None:
    """Turn a current catalog into what ragkb 0.1 wrote: no tags, API keys, deletion log, jobs, table store, answer
    cache or alembic_version."""
    with sqlite3.connect(db_path) as db:
        db.execute("DROP TABLE answer_cache")
        db.execute("DROP TABLE table_cell")
        db.execute("DROP TABLE doc_table")
        db.execute("ALTER TABLE knowledge_file DROP COLUMN tags")
        db.execute("DROP TABLE api_key")
        db.execute("DROP TABLE chunk_vector_deleted")
        db.execute("DROP TABLE ingest_job")
        db.execute("DROP TABLE alembic_version")


def _revision(db_path) -> str:
    with sqlite3.connect(db_path) as db:
        return db.execute("SELECT version_num FROM alembic_version").fetchone()[0]


def test_new_catalog_is_stamped_with_the_latest_revision(home, settings):
    KnowledgeBase.create("fresh", settings=settings)
    assert _revision(home / "ragkb.db") > FIRST_REVISION


def test_first_release_catalog_is_upgraded_and_keeps_its_data(home, settings, cli_env, tmp_path):
    docs = tmp_path / "docs"
    write(docs / "travel.md", "# Travel\n\nSubmit travel expense claims within 30 days after the trip.\n")
    kb = KnowledgeBase.create("old", settings=settings)
    kb.add([docs])
    before = [hit.chunk_id for hit in kb.search("expense claims", k=3)]
    _downgrade_to_first_release(home / "ragkb.db")

    def ragkb(*args: str) -> dict:  # a new process, as after upgrading ragkb
        done = subprocess.run(["ragkb", *args, "--kb", "old", "--json"], env=cli_env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    assert [hit["chunk_id"] for hit in ragkb("search", "expense claims", "-k", "3")["hits"]] == before
    write(docs / "visa.md", "# Visa\n\nApply for a business visa two weeks before departure.\n")
    ragkb("add", str(docs / "visa.md"), "--tag", "abroad")
    tagged = ragkb("search", "visa", "-f", "tag=abroad")["hits"]
    assert tagged and all(hit["file"].endswith("visa.md") for hit in tagged)
    assert _revision(home / "ragkb.db") > FIRST_REVISION
