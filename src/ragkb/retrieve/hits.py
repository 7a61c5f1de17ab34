"""Chunk ids with their scores → :class:`ragkb.models.SearchHit`: text, file, page, section, offsets."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from ragkb.catalog.boxes import decode_boxes
from ragkb.catalog.schema import ChunkRow, FileRow
from ragkb.models import SearchHit


def load_hits(
    session: Session,
    chunk_ids: list[int],
    scores: Mapping[int, float],
    sparse: Mapping[int, float],
    dense: Mapping[int, float],
) -> list[SearchHit]:
    """The hits of ``chunk_ids`` in that order, scored ``scores``, with their sparse and dense
    scores where they had one."""
    rows = {
        chunk.id: (chunk, path)
        for chunk, path in session.execute(
            select(ChunkRow, FileRow.path).join(FileRow, FileRow.id == ChunkRow.file_id).where(ChunkRow.id.in_(chunk_ids))
        )
    }
    hits = []
    for chunk_id in chunk_ids:
        chunk, path = rows[chunk_id]
        parts = {"sparse": sparse.get(chunk_id), "dense": dense.get(chunk_id)}
        hits.append(
            SearchHit(
                chunk_id=chunk_id,
                score=float(scores[chunk_id]),
                text=chunk.text,
                file=path,
                page=chunk.page,
                section=list(chunk.heading_path or []),
                ordinal=chunk.ordinal,
                char_start=chunk.char_start,
                char_end=chunk.char_end,
                file_id=chunk.file_id,
                boxes=decode_boxes(chunk.boxes),
                scores={name: value for name, value in parts.items() if value is not None},
            )
        )
    return hits


def load_chunk(session: Session, kb_id: int, chunk_id: int) -> SearchHit | None:
    """One chunk of KB ``kb_id`` as a hit of score 0; ``None`` if that KB has no such chunk."""
    if session.scalar(select(ChunkRow.kb_id).where(ChunkRow.id == chunk_id)) != kb_id:
        return None
    return load_hits(session, [chunk_id], {chunk_id: 0.0}, {}, {})[0]
