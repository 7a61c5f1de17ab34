"""Storage backends, chosen per installation by the URL in ``RAGKB_DATABASE_URL`` (or ragkb.toml).

``sqlite:///path.db`` (embedded, the default), ``postgresql://user@host/db`` (pgvector + BM25
in PostgreSQL), ``qdrant:///local/folder`` or ``qdrant://host:port`` (Qdrant; see
:mod:`ragkb.index.stores.qdrant` for where its catalog lives). A backend registers a factory for
its URL scheme with :func:`register`; third parties can do so from a module named by a
``ragkb.stores`` entry point.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from importlib.metadata import entry_points
from pathlib import Path

from ragkb.errors import ConfigError
from ragkb.index.stores.base import Store

StoreFactory = Callable[[str, Path], Store]
"""Builds a store from its URL and the ragkb home folder (for files a backend keeps locally)."""


def _embedded(url: str, home: Path) -> Store:
    from ragkb.config import Settings
    from ragkb.index.stores.embedded import EmbeddedStore

    return EmbeddedStore(url, Settings(home=home).ann_threshold)


def _postgres(url: str, home: Path) -> Store:
    from ragkb.index.stores.postgres import PostgresStore

    return PostgresStore(url)


def _qdrant(url: str, home: Path) -> Store:
    from ragkb.index.stores.qdrant import open_qdrant

    return open_qdrant(url, home)


_FACTORIES: dict[str, StoreFactory] = {"sqlite": _embedded, "postgresql": _postgres, "qdrant": _qdrant}


def register(scheme: str, factory: StoreFactory) -> None:
    _FACTORIES[scheme] = factory


@lru_cache(maxsize=1)
def _load_plugins() -> None:
    for entry_point in entry_points(group="ragkb.stores"):
        entry_point.load()


@lru_cache(maxsize=8)
def open_store(url: str, home: Path) -> Store:
    """The store a URL names, one per URL and process (stores hold caches and connection pools)."""
    scheme = url.partition(":")[0].partition("+")[0]
    _load_plugins()
    if scheme not in _FACTORIES or "://" not in url:
        known = ", ".join(s + "://..." for s in _FACTORIES)
        raise ConfigError(f"unknown storage URL scheme '{scheme}'; set RAGKB_DATABASE_URL to one of {known}")
    return _FACTORIES[scheme](url, home)
