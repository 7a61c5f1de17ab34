"""Storage backends, chosen per installation by the URL in ``RAGKB_DATABASE_URL`` (or ragkb.toml).

``sqlite:///path.db`` (embedded, the default), ``postgresql://user@host/db`` (pgvector + BM25
in PostgreSQL), ``qdrant:///local/folder`` or ``qdrant://host:port`` (Qdrant; see
:mod:`ragkb.index.stores.qdrant` for where its catalog lives). A backend is a :data:`StoreFactory`
declared for its URL scheme as an entry point in the ``ragkb.stores`` group (:data:`STORES`; ragkb's
own in its pyproject.toml, docs/plugins.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ragkb.config import Settings
from ragkb.extras import require
from ragkb.index.stores.base import Store
from ragkb.plugins import Registry


@dataclass(frozen=True)
class StoreConfig:
    """What a backend is built from: its URL, the ragkb home (for files a backend keeps locally) and
    the installation settings that shape a store. Taken from :class:`Settings` by :func:`open_store`."""

    url: str
    home: Path
    ann_threshold: int

    @classmethod
    def from_settings(cls, settings: Settings) -> StoreConfig:
        return cls(settings.store_url, settings.home, settings.ann_threshold)


StoreFactory = Callable[[StoreConfig], Store]

STORES: Registry[StoreFactory] = Registry(
    "stores", noun="storage URL scheme", usage="set RAGKB_DATABASE_URL to a URL whose scheme is one of"
)


def sqlite_store(config: StoreConfig) -> Store:
    from ragkb.index.stores.embedded import EmbeddedStore

    return EmbeddedStore(config.url, config.ann_threshold)


def postgres_store(config: StoreConfig) -> Store:
    require("psycopg", "a PostgreSQL store")
    from ragkb.index.stores.postgres import PostgresStore

    return PostgresStore(config.url)


def qdrant_store(config: StoreConfig) -> Store:
    require("qdrant_client", "a Qdrant store")
    from ragkb.index.stores.qdrant import open_qdrant

    return open_qdrant(config.url, config.home)


def open_store(settings: Settings) -> Store:
    """The store ``settings`` name (RAGKB_DATABASE_URL), one per configuration and process (stores
    hold caches and connection pools)."""
    return _open(StoreConfig.from_settings(settings))


@lru_cache(maxsize=8)
def _open(config: StoreConfig) -> Store:
    scheme = config.url.partition(":")[0].partition("+")[0]
    if "://" not in config.url:
        raise STORES.unknown(scheme)
    return STORES.get(scheme)(config)
