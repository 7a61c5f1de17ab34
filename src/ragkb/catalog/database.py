"""Opening the catalog: engine, SQLite pragmas, schema creation; SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import cast

from sqlalchemy import Engine, Table, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from ragkb.catalog.migrate import upgrade_schema


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
    cursor.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL stays consistent after a crash
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _without_nul(value: object) -> object:
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, list | tuple):
        return type(value)(_without_nul(item) for item in value)
    if isinstance(value, dict):
        return {key: _without_nul(item) for key, item in value.items()}
    return value


def _postgres_text(connection, cursor, statement: str, parameters, context, executemany: bool):
    """PostgreSQL text cannot hold a NUL (SQLite's can), and one in any value fails the whole
    statement: a query or document text with one is stored and searched with U+FFFD instead."""
    return statement, _without_nul(parameters)


class Catalog:
    """One catalog database holding any number of knowledge bases."""

    def __init__(self, url: str):
        self.url = url
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).expanduser().parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(url)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        if self.engine.dialect.name == "postgresql":
            event.listen(self.engine, "before_cursor_execute", _postgres_text, retval=True)
            with self.engine.begin() as connection:  # chunk_vector's column type; needs a superuser once
                connection.execute(text("CREATE EXTENSION IF NOT EXISTS vector"))
        upgrade_schema(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose work commits together at the end, or not at all."""
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def snapshot(self) -> Iterator[Session]:
        """A read-only session that sees one committed state throughout, whatever other
        processes commit meanwhile (searches read several tables one after the other)."""
        with self._sessions() as session:
            if self.engine.dialect.name == "postgresql":
                session.connection(execution_options={"isolation_level": "REPEATABLE READ", "postgresql_readonly": True})
            else:  # pysqlite opens transactions only for writes: without BEGIN each SELECT sees the latest commit
                connection = session.connection()
                driver = connection.connection.dbapi_connection
                assert driver is not None  # None only once the pool has invalidated it; this one was just checked out
                if not driver.in_transaction:
                    connection.exec_driver_sql("BEGIN")
            try:
                yield session
            finally:
                session.rollback()


def table_of(mapped: type[DeclarativeBase]) -> Table:
    """The Table a class of :mod:`ragkb.catalog.schema` is declared on: SQLAlchemy types ``__table__`` as
    any FROM clause (a class may be mapped onto a join), and Core inserts need a Table."""
    return cast(Table, mapped.__table__)


def insert_ignoring_duplicates(session: Session, table: Table, rows: list[dict]) -> None:
    """INSERT rows, skipping those whose primary key exists already (another process may race us)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(dialect.insert(table).on_conflict_do_nothing(), rows)
