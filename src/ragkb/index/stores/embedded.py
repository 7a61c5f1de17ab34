"""The embedded store: one SQLite file holds the catalog, FTS5 sparse entries and the vectors.

Every write goes through one SQLAlchemy session, so a file's chunks, sparse entries and vectors
commit in one transaction with its catalog row: a crash leaves either the old version of the
file or the new one, never a mix. HNSW graphs of large KBs are caches beside the file
(``<catalog>-vectors/``, see :mod:`ragkb.index.vectors`), kept up to date after each write commits,
never by a search.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ragkb.catalog import Catalog
from ragkb.index.stores.base import SqlStore
from ragkb.index.stores.sqlite_fts import SqliteFtsIndex
from ragkb.index.vectors import WRITTEN, SqliteVectorIndex

log = logging.getLogger("ragkb.index")


def graph_folder(url: str) -> Path | None:
    """Where HNSW graphs of the catalog at ``url`` are persisted (``None`` for in-memory SQLite)."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database + "-vectors").expanduser()


class EmbeddedStore(SqlStore):
    def __init__(self, url: str, ann_threshold: int):
        catalog = Catalog(url)
        super().__init__(url, catalog, SqliteFtsIndex(), SqliteVectorIndex(catalog, graph_folder(url), ann_threshold))

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A catalog session for writes; once it commits, the graphs of the KBs whose vectors it
        changed are maintained (in the writer, not in the next search)."""
        with self.catalog.session() as session:
            yield session
            written = session.info.pop(WRITTEN, set())
        for kb_id in sorted(written):
            try:
                self.dense.maintain(kb_id)
            except (OSError, RuntimeError, SQLAlchemyError):  # committed all the same: searches use the delta
                log.warning(
                    "could not update the HNSW graph of knowledge base %s; the next write tries again", kb_id, exc_info=True
                )
