"""Metadata filters, resolved to the chunk ids a search may return with one catalog query.

The catalog is SQLAlchemy, so the same query works on SQLite and PostgreSQL; the ids are then
handed to the sparse and dense indexes (their ``allowed`` argument), which rank only those chunks.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime, time, timezone

from pydantic import BaseModel, Field, field_validator, model_validator
from sqlalchemy import Text, and_, cast, or_, select, update
from sqlalchemy.orm import Session

from ragkb.catalog import Catalog
from ragkb.catalog.schema import ChunkRow, FileRow
from ragkb.errors import RagkbError


class Filters(BaseModel):
    """Which chunks a search may return. Empty lists and ``None`` mean: no condition."""

    paths: list[str] = Field(
        default_factory=list,
        description="globs on the file path, any may match; '*' matches across folders, a relative glob matches at any depth",
    )
    extensions: list[str] = Field(default_factory=list, description="file extensions, any may match ('.md' or 'md')")
    tags: list[str] = Field(default_factory=list, description="tags given at ingest; a file must have all of them")
    modified_after: datetime | None = Field(None, description="file modified at or after (a date means its start, UTC)")
    modified_before: datetime | None = Field(None, description="file modified before (a date means its end, UTC)")
    page_from: int | None = Field(None, ge=1, description="first page (paged formats only: PDF)")
    page_to: int | None = Field(None, ge=1, description="last page")

    @field_validator("extensions")
    @classmethod
    def _dotted(cls, values: list[str]) -> list[str]:
        return ["." + v.strip().lower().lstrip(".") for v in values if v.strip()]

    @field_validator("modified_after", "modified_before", mode="before")
    @classmethod
    def _date_or_datetime(cls, value: object, info) -> object:
        if isinstance(value, str) and len(value) == 10:  # a bare YYYY-MM-DD
            value = date.fromisoformat(value)
        if isinstance(value, date) and not isinstance(value, datetime):
            moment = time.max if info.field_name == "modified_before" else time.min
            value = datetime.combine(value, moment, tzinfo=timezone.utc)
        return value

    @model_validator(mode="after")
    def _ranges_in_order(self) -> Filters:
        if self.page_from and self.page_to and self.page_from > self.page_to:
            raise ValueError("page_from is after page_to")
        if self.modified_after and self.modified_before and _epoch(self.modified_after) > _epoch(self.modified_before):
            raise ValueError("modified_after is after modified_before")
        return self

    @property
    def active(self) -> bool:
        return any(
            (self.paths, self.extensions, self.tags, self.modified_after, self.modified_before, self.page_from, self.page_to)
        )


def _epoch(moment: datetime) -> float:
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()


def check_tag(tag: str) -> str:
    """A tag as stored: trimmed; quotes and backslashes are refused (tags are matched in the stored JSON)."""
    tag = tag.strip()
    if not tag or '"' in tag or "\\" in tag:
        raise RagkbError(f"invalid tag {tag!r}; use a non-empty name without quotes or backslashes")
    return tag


def _glob_to_like(pattern: str) -> str:
    if any(c in pattern for c in "[]"):
        raise RagkbError(f"path filter {pattern!r}: character classes are not supported; use * and ?")
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
        conditions.append(FileRow.mtime >= _epoch(filters.modified_after))
    if filters.modified_before:
        conditions.append(FileRow.mtime <= _epoch(filters.modified_before))
    if filters.page_from:
        conditions.append(ChunkRow.page >= filters.page_from)
    if filters.page_to:
        conditions.append(ChunkRow.page <= filters.page_to)
    query = select(ChunkRow.id).join(FileRow, FileRow.id == ChunkRow.file_id).where(and_(*conditions))
    return set(session.scalars(query))


def set_tags(catalog: Catalog, kb_id: int, paths: list[str], tags: Iterable[str]) -> None:
    """Give these files of the KB exactly ``tags`` (files that failed to load are tagged too)."""
    cleaned = sorted({check_tag(tag) for tag in tags})
    with catalog.session() as session:
        session.execute(update(FileRow).where(FileRow.kb_id == kb_id, FileRow.path.in_(paths)).values(tags=cleaned))


FILTER_KEYS = {"path": "paths", "ext": "extensions", "tag": "tags", "after": "modified_after", "before": "modified_before"}


def parse_filters(pairs: Iterable[str]) -> Filters:
    """``key=value`` filters from the command line: path, ext, tag (repeatable), after, before
    (dates), pages (``3-7``, ``5-`` or ``5``)."""
    values: dict[str, object] = {}
    for pair in pairs:
        key, sep, value = (part.strip() for part in pair.partition("="))
        if not sep or key not in {*FILTER_KEYS, "pages"}:
            raise RagkbError(
                f"--filter '{pair}' is not one of path=, ext=, tag=, after=, before=, pages= (e.g. --filter ext=pdf)"
            )
        if key == "pages":
            first, dash, last = value.partition("-")
            try:
                values["page_from"] = int(first) if first else None
                values["page_to"] = (int(last) if last else None) if dash else values["page_from"]
            except ValueError:
                raise RagkbError(f"--filter pages={value}: give a page range like 3-7, 5- or 5") from None
        elif FILTER_KEYS[key] in {"paths", "extensions", "tags"}:
            values.setdefault(FILTER_KEYS[key], []).append(value)  # type: ignore[union-attr]
        else:
            values[FILTER_KEYS[key]] = value
    return Filters.model_validate(values)
