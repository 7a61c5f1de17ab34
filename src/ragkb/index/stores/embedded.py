"""The embedded store: one SQLite file holds the catalog, FTS5 sparse entries and the vectors.

Every write goes through one SQLAlchemy session, so a file's chunks, sparse entries and vectors
commit in one transaction with its catalog row: a crash leaves either the old version of the
file or the new one, never a mix. HNSW graphs of large KBs are caches beside the file
(``<catalog>-vectors/``, see :mod:`ragkb.index.vectors`).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url

from ragkb.catalog import Catalog
from ragkb.index.stores.base import SqlStore
from ragkb.index.stores.sqlite_fts import SqliteFtsIndex
from ragkb.index.vectors import SqliteVectorIndex


def graph_folder(url: str) -> Path | None:
    """Where HNSW graphs of the catalog at ``url`` are persisted (``None`` for in-memory SQLite)."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database + "-vectors").expanduser()


class EmbeddedStore(SqlStore):
    def __init__(self, url: str, ann_threshold: int):
        dense = SqliteVectorIndex(graph_folder(url), ann_threshold)
        super().__init__(url, Catalog(url), SqliteFtsIndex(), dense)
