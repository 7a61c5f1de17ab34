"""Metadata filters, resolved to the chunk ids a search may return with one catalog query.

The catalog is SQLAlchemy, so the same query works on SQLite and PostgreSQL; the ids are then
handed to the sparse and dense indexes (their ``allowed`` argument), which rank only those chunks.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from sqlalchemy import Text, and_, cast, or_, select, update
from sqlalchemy.orm import Session

from ragkb.catalog import Catalog
from ragkb.catalog.schema import ChunkRow, FileRow, KnowledgeBaseRow
from ragkb.errors import RagkbError
from ragkb.profiles import Filters, epoch


def check_tag(tag: str) -> str:
    """A tag as stored: trimmed; quotes and backslashes are refused (tags are matched in the stored JSON)."""
    tag = tag.strip()
    if not tag or '"' in tag or "\\" in tag:
        raise RagkbError(f"invalid tag {tag!r}; use a non-empty name without quotes or backslashes")
    return tag


def _glob_to_like(pattern: str) -> str:
    if any(c in pattern for c in "[]"):
        raise RagkbError(f"path filter {pattern!r}: character classes are not supported; use * and ?")
    if "\x00" in pattern:  # no path holds one, and PostgreSQL text cannot
        raise RagkbError(f"path filter {pattern!r}: file paths hold no NUL character; remove it")
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%").replace("?", "_")


def _path_condition(pattern: str):
    like = _glob_to_like(pattern)
    if pattern.startswith(("/", "*")):
        return FileRow.path.like(like, escape="\\")
    # relative: the file itself (source ids) or anything ending with /<pattern>
    return or_(FileRow.path.like(like, escape="\\"), FileRow.path.like("%/" + like, escape="\\"))


def allowed_chunks(session: Session, kb_id: int, filters: Filters) -> set[int] | None:
    """The chunk ids of ``kb_id`` that pass ``filters``; ``None`` when nothing is filtered."""
    if not filters.active:
        return None
    conditions = [ChunkRow.kb_id == kb_id]
    if filters.paths:
        conditions.append(or_(*(_path_condition(p) for p in filters.paths)))
    if filters.extensions:
        conditions.append(FileRow.extension.in_(filters.extensions))
    for tag in filters.tags:
        # Tags are a JSON list on the file row; its text holds "tag" (as json.dumps writes it) iff the file has it.
        conditions.append(cast(FileRow.tags, Text).contains(json.dumps(check_tag(tag)), autoescape=True))
    if filters.modified_after:
        conditions.append(FileRow.mtime >= epoch(filters.modified_after))
    if filters.modified_before:
        conditions.append(FileRow.mtime <= epoch(filters.modified_before))
    if filters.page_from:
        conditions.append(ChunkRow.page >= filters.page_from)
    if filters.page_to:
        conditions.append(ChunkRow.page <= filters.page_to)
    query = select(ChunkRow.id).join(FileRow, FileRow.id == ChunkRow.file_id).where(and_(*conditions))
    return set(session.scalars(query))


def set_tags(catalog: Catalog, kb_id: int, paths: list[str], tags: Iterable[str]) -> None:
    """Give these files of the KB exactly ``tags`` (files that failed to load are tagged too); this
    bumps the KB's revision: filtered searches, and the answers cached for them, may change."""
    cleaned = sorted({check_tag(tag) for tag in tags})
    with catalog.session() as session:
        session.execute(update(FileRow).where(FileRow.kb_id == kb_id, FileRow.path.in_(paths)).values(tags=cleaned))
        if paths:
            session.execute(
                update(KnowledgeBaseRow).where(KnowledgeBaseRow.id == kb_id).values(revision=KnowledgeBaseRow.revision + 1)
            )
