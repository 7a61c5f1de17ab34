"""The embedded store: one SQLite file holds the catalog, FTS5 sparse entries and the vectors.

Every write goes through one SQLAlchemy session, so a file's chunks, sparse entries and vectors
commit in one transaction with its catalog row: a crash leaves either the old version of the
file or the new one, never a mix.
"""

from __future__ import annotations

from ragkb.catalog import Catalog
from ragkb.index.stores.base import SqlStore
from ragkb.index.stores.sqlite_fts import SqliteFtsIndex
from ragkb.index.vectors import SqliteVectorIndex


class EmbeddedStore(SqlStore):
    def __init__(self, url: str):
        super().__init__(url, Catalog(url), SqliteFtsIndex(), SqliteVectorIndex())
