"""Copying a knowledge base to another store (``ragkb kb migrate``), without re-embedding.

Settings, files, chunks, their sparse entries (tokens) and vectors, and chat sessions are read
from one snapshot of the source and written through the target's own :meth:`Store.write_chunks`,
so each backend builds its indexes its own way. Chunk ids change; everything else is the same.

The copy is built under a temporary name and renamed in its last transaction: a killed migration
never leaves a half KB under the real name, and the next attempt removes the leftover first.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sqlalchemy import select

from ragkb.catalog.boxes import decode_boxes
from ragkb.catalog.schema import Base, ChatSessionRow, ChunkRow, DocTableRow, FileRow, KnowledgeBaseRow, MessageRow, TableCellRow
from ragkb.errors import RagkbError
from ragkb.index.stores.base import ChunkBatch, Store
from ragkb.models import Chunk

BATCH_CHUNKS = 512
"""Chunks written per target transaction."""

CopyProgress = Callable[[int, int], None]
"""Called with (files copied, files in total)."""


def _columns(row: Base, *skip: str) -> dict:
    return {column.key: getattr(row, column.key) for column in row.__table__.columns if column.key not in {"id", *skip}}


def _staging_name(name: str) -> str:
    return f"_migrating_{name}"


def copy_knowledge_base(source: Store, kb_id: int, target: Store, progress: CopyProgress | None = None) -> int:
    """Copy KB ``kb_id`` of ``source`` into ``target``; returns its id there."""
    with source.snapshot() as read:
        kb = read.get_one(KnowledgeBaseRow, kb_id)
        with target.catalog.session() as session:
            if session.scalar(select(KnowledgeBaseRow.id).where(KnowledgeBaseRow.name == kb.name)) is not None:
                raise RagkbError(f"the target store already has a knowledge base '{kb.name}'; delete it there first")
        dimension = _vector_size(source, read, kb_id)
        new_id = _start(target, kb)
        files = read.scalars(select(FileRow).where(FileRow.kb_id == kb_id).order_by(FileRow.id)).all()
        pending: list[tuple[FileRow, list[ChunkRow]]] = []
        for done, file in enumerate(files, start=1):
            chunks = read.scalars(select(ChunkRow).where(ChunkRow.file_id == file.id).order_by(ChunkRow.ordinal)).all()
            pending.append((file, list(chunks)))
            if sum(len(c) for _, c in pending) >= BATCH_CHUNKS or done == len(files):
                _copy_files(source, read, kb_id, target, new_id, pending, dimension)
                pending = []
            if progress:
                progress(done, len(files))
        _finish(read, kb, target, new_id)
    return new_id


def _start(target: Store, kb: KnowledgeBaseRow) -> int:
    """A new KB in ``target`` under the staging name, replacing one a killed migration left."""
    with target.transaction() as session:
        leftover = session.scalar(select(KnowledgeBaseRow).where(KnowledgeBaseRow.name == _staging_name(kb.name)))
        if leftover is not None:
            target.drop_kb(session, leftover.id)
            session.delete(leftover)
            session.flush()
        row = KnowledgeBaseRow(**{**_columns(kb, "revision"), "name": _staging_name(kb.name)})
        session.add(row)
        session.flush()
        target.create_kb(session, row.id)
        return row.id


def _vector_size(source: Store, read, kb_id: int) -> int | None:
    """The size of the KB's vectors, from the first one stored; ``None`` when it has none."""
    chunk_ids = read.scalars(select(ChunkRow.id).where(ChunkRow.kb_id == kb_id).order_by(ChunkRow.id)).all()
    for start in range(0, len(chunk_ids), BATCH_CHUNKS):
        found = source.dense.vectors(read, kb_id, list(chunk_ids[start : start + BATCH_CHUNKS]))
        if found:
            return len(next(iter(found.values())))
    return None


def _copy_files(
    source: Store,
    read,
    kb_id: int,
    target: Store,
    new_id: int,
    files: list[tuple[FileRow, list[ChunkRow]]],
    dimension: int | None,
) -> None:
    """Copy files with their chunks; chunks without a vector (a language the embedder cannot
    read) stay without one."""
    chunk_ids = [chunk.id for _, chunks in files for chunk in chunks]
    terms = source.sparse.terms(read, kb_id, chunk_ids)
    vectors = source.dense.vectors(read, kb_id, chunk_ids) if dimension else {}
    with target.transaction() as session:
        for file, chunks in files:
            row = FileRow(**{**_columns(file, "kb_id"), "kb_id": new_id})
            session.add(row)
            session.flush()
            _copy_tables(read, session, file.id, new_id, row.id)
            if not chunks:
                continue
            missing = [chunk.id for chunk in chunks if chunk.id not in terms]
            if missing:
                raise RagkbError(
                    f"{file.path}: {len(missing)} chunk(s) have no index entries in the source store; "
                    f"re-index it there first (ragkb add --force)"
                )
            batch = ChunkBatch(
                chunks=[
                    Chunk(c.text, c.ordinal, list(c.heading_path or []), c.page, c.char_start, c.char_end, decode_boxes(c.boxes))
                    for c in chunks
                ],
                languages=[c.language for c in chunks],
                terms=[terms[c.id] for c in chunks],
                vectors=_stack([vectors[c.id] for c in chunks if c.id in vectors], dimension),
                embedded=[c.id in vectors for c in chunks] if dimension else None,
            )
            target.write_chunks(session, new_id, row.id, batch)
        target.bump_revision(session, new_id)


def _copy_tables(read, session, file_id: int, kb_id: int, new_file_id: int) -> None:
    """Copy a file's rows of the table store (:mod:`ragkb.index.tables`)."""
    for table in read.scalars(select(DocTableRow).where(DocTableRow.file_id == file_id).order_by(DocTableRow.table_index)):
        copy = DocTableRow(**{**_columns(table, "kb_id", "file_id"), "kb_id": kb_id, "file_id": new_file_id})
        session.add(copy)
        session.flush()
        cells = read.scalars(select(TableCellRow).where(TableCellRow.table_id == table.id).order_by(TableCellRow.id))
        owner = {"table_id": copy.id, "kb_id": kb_id, "file_id": new_file_id}
        session.add_all(TableCellRow(**{**_columns(cell, *owner), **owner}) for cell in cells)


def _stack(rows: list[np.ndarray], dimension: int | None) -> np.ndarray | None:
    return None if dimension is None else np.asarray(rows, dtype=np.float32).reshape(len(rows), dimension)


def _finish(read, kb: KnowledgeBaseRow, target: Store, new_id: int) -> None:
    """Copy the chat sessions and give the KB its real name, in one transaction."""
    with target.transaction() as session:
        for chat in read.scalars(select(ChatSessionRow).where(ChatSessionRow.kb_id == kb.id).order_by(ChatSessionRow.id)):
            copy = ChatSessionRow(**{**_columns(chat, "kb_id"), "kb_id": new_id})
            session.add(copy)
            session.flush()
            messages = read.scalars(select(MessageRow).where(MessageRow.session_id == chat.id).order_by(MessageRow.id))
            session.add_all(MessageRow(**{**_columns(m, "session_id"), "session_id": copy.id}) for m in messages)
        session.get_one(KnowledgeBaseRow, new_id).name = kb.name
