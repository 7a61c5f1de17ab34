"""API keys for the HTTP server: created from the CLI, stored as SHA-256 hashes in the catalog.

A key is shown once, when it is created. Each key may use a set of knowledge bases (or all).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, exists, select, update
from sqlalchemy.exc import IntegrityError

from ragkb.catalog import Catalog
from ragkb.catalog.schema import ApiKeyRow, utcnow
from ragkb.config import Settings
from ragkb.errors import RagkbError
from ragkb.index.stores import open_store

KEY_PREFIX = "rkb_"
LAST_USED_RESOLUTION = timedelta(minutes=1)
"""``last_used_at`` is written at most this often per key, so requests stay reads."""


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ApiKey:
    name: str
    kbs: frozenset[str] | None
    """Knowledge bases this key may use; ``None`` means all of them."""
    created_at: datetime | None = None
    last_used_at: datetime | None = None

    def allows(self, kb: str) -> bool:
        return self.kbs is None or kb in self.kbs

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "kbs": sorted(self.kbs) if self.kbs is not None else "all",
            "created_at": self.created_at,
            "last_used_at": self.last_used_at,
        }


def _key(row: ApiKeyRow) -> ApiKey:
    return ApiKey(row.name, None if row.kbs is None else frozenset(row.kbs), row.created_at, row.last_used_at)


class KeyStore:
    def __init__(self, catalog: Catalog):
        self.catalog = catalog

    @classmethod
    def for_settings(cls, settings: Settings) -> KeyStore:
        """The key store in the catalog of the installation ``settings`` name."""
        return cls(open_store(settings).catalog)

    def create(self, name: str, kbs: list[str] | None) -> str:
        """Store a new key for ``kbs`` (``None``: all knowledge bases) and return it (shown once)."""
        if kbs is not None and not kbs:
            raise RagkbError("a key needs at least one knowledge base: --kb NAME (repeatable) or --all-kbs")
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        try:
            with self.catalog.session() as session:
                session.add(ApiKeyRow(name=name, key_hash=hash_key(key), kbs=None if kbs is None else sorted(set(kbs))))
        except IntegrityError:
            raise RagkbError(f"an API key named '{name}' exists already; revoke it or pick another name") from None
        return key

    def list(self) -> list[ApiKey]:
        with self.catalog.session() as session:
            return [_key(row) for row in session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.name))]

    def revoke(self, name: str) -> None:
        with self.catalog.session() as session:
            # Session.execute is typed to return Result; a DELETE's is a CursorResult (SQLAlchemy's documented cast)
            if not cast(CursorResult[Any], session.execute(delete(ApiKeyRow).where(ApiKeyRow.name == name))).rowcount:
                raise RagkbError(f"no API key named '{name}'; see: ragkb keys list")

    def configured(self) -> bool:
        with self.catalog.session() as session:
            return bool(session.scalar(select(exists().select_from(ApiKeyRow))))

    def verify(self, key: str) -> ApiKey | None:
        """The key's grant, or ``None`` if no such key exists (revoked keys stop working at once)."""
        with self.catalog.session() as session:
            row = session.scalar(select(ApiKeyRow).where(ApiKeyRow.key_hash == hash_key(key)))
            if row is None:
                return None
            now = utcnow()
            if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
                session.execute(update(ApiKeyRow).where(ApiKeyRow.id == row.id).values(last_used_at=now))
            return _key(row)
