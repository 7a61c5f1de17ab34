"""Storage backends, chosen per installation by the URL in ``RAGKB_DATABASE_URL`` (or ragkb.toml).

``sqlite:///path.db`` (embedded, the default), ``postgresql://user@host/db`` (pgvector + BM25
in PostgreSQL), ``qdrant:///local/folder`` or ``qdrant://host:port`` (Qdrant; see
:mod:`ragkb.index.stores.qdrant` for where its catalog lives). A backend registers a factory for
its URL scheme with :func:`register` (a :data:`StoreFactory`); third parties can do so from a module named by a
``ragkb.stores`` entry point.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import entry_points
from pathlib import Path

from ragkb.config import Settings
from ragkb.errors import ConfigError
from ragkb.extras import require
from ragkb.index.stores.base import Store


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


def _embedded(config: StoreConfig) -> Store:
    from ragkb.index.stores.embedded import EmbeddedStore

    return EmbeddedStore(config.url, config.ann_threshold)


def _postgres(config: StoreConfig) -> Store:
    require("psycopg", "a PostgreSQL store")
    from ragkb.index.stores.postgres import PostgresStore

    return PostgresStore(config.url)


def _qdrant(config: StoreConfig) -> Store:
    require("qdrant_client", "a Qdrant store")
    from ragkb.index.stores.qdrant import open_qdrant

    return open_qdrant(config.url, config.home)


_FACTORIES: dict[str, StoreFactory] = {"sqlite": _embedded, "postgresql": _postgres, "qdrant": _qdrant}


def register(scheme: str, factory: StoreFactory) -> None:
    _FACTORIES[scheme] = factory


@lru_cache(maxsize=1)
def _load_plugins() -> None:
    for entry_point in entry_points(group="ragkb.stores"):
        entry_point.load()


def open_store(settings: Settings) -> Store:
    """The store ``settings`` name (RAGKB_DATABASE_URL), one per configuration and process (stores
    hold caches and connection pools)."""
    return _open(StoreConfig.from_settings(settings))


@lru_cache(maxsize=8)
def _open(config: StoreConfig) -> Store:
    scheme = config.url.partition(":")[0].partition("+")[0]
    _load_plugins()
    if scheme not in _FACTORIES or "://" not in config.url:
        known = ", ".join(s + "://..." for s in _FACTORIES)
        raise ConfigError(f"unknown storage URL scheme '{scheme}'; set RAGKB_DATABASE_URL to one of {known}")
    return _FACTORIES[scheme](config)
