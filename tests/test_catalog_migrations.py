"""Catalogs written by an older ragkb open in this one: Alembic brings their schema up to date."""

import json
import sqlite3
import subprocess
from datetime import datetime

import pymupdf
from sqlalchemy import create_engine, inspect, text
from stores import postgres_database
from support import write
from test_tables_ingest import statement_pdf

from ragkb import KBSettings, KnowledgeBase, Settings
from ragkb.answer.answering import Answerer
from ragkb.answer.chat import Conversation
from ragkb.catalog.migrate import FIRST_REVISION, downgrade_schema, upgrade_schema

CHAT_MESSAGE_0008 = ("route", "analysis", "computations", "sql", "stopped")
"""The columns migration 0008 adds to chat_message."""


def _downgrade_to_first_release(db_path) -> None:
    """Turn a current catalog into what ragkb 0.1 wrote: the first revision's tables, no alembic_version."""
    engine = create_engine(f"sqlite:///{db_path}")
    downgrade_schema(engine, FIRST_REVISION)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE alembic_version"))
    engine.dispose()


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


def _pdf_kb(url: str, tmp_path) -> KnowledgeBase:
    path = tmp_path / "policy.pdf"
    with pymupdf.open() as document:
        document.new_page().insert_text((50, 80), "Submit travel expense claims within 30 days after the trip.")
        document.save(path)
    kb = KnowledgeBase.create(
        "old", kb_settings=KBSettings(embedder="none"), settings=Settings(home=tmp_path / "home", database_url=url)
    )
    kb.add([path])
    return kb


def _check_0007(url: str, tmp_path) -> None:
    """A catalog at 0006 gets chunk.boxes and knowledge_file.ocr_pages; its chunks, indexed before, have no boxes
    until their file is read again."""
    _pdf_kb(url, tmp_path)
    url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url)
    downgrade_schema(engine, "0006")
    upgrade_schema(engine)
    inspector = inspect(engine)
    assert "boxes" in {column["name"] for column in inspector.get_columns("chunk")}
    assert "ocr_pages" in {column["name"] for column in inspector.get_columns("knowledge_file")}
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one() >= "0007"
    engine.dispose()
    reopened = KnowledgeBase.open("old", settings=Settings(home=tmp_path / "home", database_url=url.replace("+psycopg", "")))
    [hit] = reopened.search("expense claims", k=1)
    assert hit.page == 1 and hit.boxes == []
    reopened.add([tmp_path / "policy.pdf"], force=True)
    [hit] = reopened.search("expense claims", k=1)
    assert hit.boxes and reopened.files()[0].ocr_pages == []


def test_migration_0007_adds_page_boxes_on_sqlite(tmp_path) -> None:
    _check_0007(f"sqlite:///{tmp_path / 'ragkb.db'}", tmp_path)


def test_migration_0007_adds_page_boxes_on_postgresql(tmp_path) -> None:
    with postgres_database() as url:
        _check_0007(url, tmp_path)


def _check_0008(url: str, tmp_path) -> None:
    """A catalog at 0007 gets chat_message's route, analysis, computations, sql and stopped: the turns stored
    before read as answers without them, never stopped; a new turn keeps its answer's. Empty sessions go."""
    kb = _pdf_kb(url, tmp_path)
    Conversation(kb, "trip", Answerer(kb, "extractive")).ask("How many days to submit travel expense claims?")
    url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url)
    with engine.begin() as connection:
        kb_id = connection.execute(text("SELECT id FROM knowledge_base WHERE name = 'old'")).scalar_one()
        connection.execute(  # what ragkb before 0008 left when a chat's first answer was stopped
            text("INSERT INTO chat_session (kb_id, name, created_at, updated_at) VALUES (:kb, 'empty', :now, :now)"),
            {"kb": kb_id, "now": datetime(2026, 1, 1)},
        )
    downgrade_schema(engine, "0007")
    upgrade_schema(engine)
    assert set(CHAT_MESSAGE_0008) <= {column["name"] for column in inspect(engine).get_columns("chat_message")}
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one() >= "0008"
    engine.dispose()
    reopened = KnowledgeBase.open("old", settings=Settings(home=tmp_path / "home", database_url=url.replace("+psycopg", "")))
    assert [session.name for session in reopened.sessions()] == ["trip"]  # the empty one is gone
    [_, answer] = reopened.session_messages("trip") or []
    assert "30 days" in answer.content and answer.citations
    assert (answer.route, answer.analysis, answer.computations, answer.sql, answer.stopped) == (None, None, [], None, False)
    asked = Conversation(reopened, "trip", Answerer(reopened, "extractive")).ask("How many days to submit travel expense claims?")
    assert reopened.session_messages("trip")[-1].route == asked.route == "text"


def test_migration_0008_keeps_answers_analyses_in_chat_messages_on_sqlite(tmp_path) -> None:
    _check_0008(f"sqlite:///{tmp_path / 'ragkb.db'}", tmp_path)


def test_migration_0008_keeps_answers_analyses_in_chat_messages_on_postgresql(tmp_path) -> None:
    with postgres_database() as url:
        _check_0008(url, tmp_path)


def _check_0009(url: str, tmp_path) -> None:
    """A catalog at 0008 gets table_cell.boxes: a cell stored before is cited with its file and page but
    no box, until its file is read again."""
    path = statement_pdf(tmp_path / "report.pdf")
    settings = Settings(home=tmp_path / "home", database_url=url)
    KnowledgeBase.create("old", kb_settings=KBSettings(embedder="none"), settings=settings).add([path])
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    downgrade_schema(engine, "0008")
    upgrade_schema(engine)
    assert "boxes" in {column["name"] for column in inspect(engine).get_columns("table_cell")}
    engine.dispose()
    reopened = KnowledgeBase.open("old", settings=settings)
    question = "2022年星海科技的营业收入是多少元？"
    [cited] = [c for c in Answerer(reopened).ask(question).citations if c.cell]
    assert (cited.file_id, cited.page, cited.boxes) == (reopened.files()[0].id, 1, [])
    reopened.add([path], force=True)
    [cited] = [c for c in Answerer(reopened).ask(question).citations if c.cell]
    assert [box.page for box in cited.boxes] == [1]


def test_migration_0009_adds_table_cell_boxes_on_sqlite(tmp_path) -> None:
    _check_0009(f"sqlite:///{tmp_path / 'ragkb.db'}", tmp_path)


def test_migration_0009_adds_table_cell_boxes_on_postgresql(tmp_path) -> None:
    with postgres_database() as url:
        _check_0009(url, tmp_path)
