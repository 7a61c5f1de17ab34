"""Storage backends for tests: a fresh embedded file, PostgreSQL database or local Qdrant folder.

PostgreSQL comes from RAGKB_TEST_POSTGRES_URL (a superuser URL; .ci/run starts a throwaway
server and sets it); each test gets its own database, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

BACKENDS = ["embedded", "postgres", "qdrant-local"]


@contextmanager
def postgres_database() -> Iterator[str]:
    server = os.environ.get("RAGKB_TEST_POSTGRES_URL")
    if not server:
        pytest.skip("RAGKB_TEST_POSTGRES_URL is not set (.ci/run starts a PostgreSQL server with pgvector and sets it)")
    name = f"ragkb_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@contextmanager
def backend_url(backend: str, folder: Path) -> Iterator[str]:
    """The storage URL of a new, empty store of this backend."""
    if backend == "embedded":
        yield f"sqlite:///{folder / 'ragkb.db'}"
    elif backend == "postgres":
        with postgres_database() as url:
            yield url
    else:
        yield f"qdrant://{folder / 'qdrant'}"
