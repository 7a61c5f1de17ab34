"""What ingestion and removal change in one knowledge base: its file rows, chunks and index entries.

Every write of chunks happens inside :meth:`IndexWriter.transaction`, which bumps the KB's revision
(caches of the dense index and of retrieval key on it) in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ragkb.catalog.schema import FileRow
from ragkb.index.context import KBContext
from ragkb.index.stores.base import ChunkBatch
from ragkb.index.tables import TableStore
from ragkb.ingest.report import DocumentTables
from ragkb.ingest.sources import Source

FileState = tuple[str, str, str]
"""A catalogued file's (content hash, splitter, status): what decides whether ``add`` skips it."""


class IndexWriter:
    """Writes files into one knowledge base and removes them."""

    def __init__(self, ctx: KBContext) -> None:
        self.ctx = ctx

    def file_states(self) -> dict[str, FileState]:
        """Every catalogued file of the KB: path → :data:`FileState`."""
        with self.ctx.catalog.session() as session:
            rows = session.execute(
                select(FileRow.path, FileRow.content_hash, FileRow.splitter, FileRow.status).where(FileRow.kb_id == self.ctx.id)
            )
            return {path: (content_hash, splitter, status) for path, content_hash, splitter, status in rows}

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One transaction of index writes (see :meth:`ragkb.index.stores.base.Store.transaction`)
        that also bumps the KB's revision."""
        with self.ctx.store.transaction() as session:
            yield session
            self.ctx.store.bump_revision(session, self.ctx.id)

    def write_file(
        self,
        session: Session,
        source: Source,
        loader: str,
        splitter: str,
        batch: ChunkBatch,
        tables: DocumentTables | None = None,
    ) -> None:
        """Replace the file's chunks (a new file row, or the next version of its row) with ``batch``
        and its tables in the table store with ``tables`` (none when not given)."""
        row = existing_file(session, self.ctx.id, source.path)
        if row is None:
            row = FileRow(kb_id=self.ctx.id, path=source.path, version=0)
            session.add(row)
            session.flush()
        else:
            self.ctx.store.delete_file_chunks(session, self.ctx.id, row.id)
        for key, value in file_row_values(source, loader, splitter, len(batch.chunks)).items():
            setattr(row, key, value)
        row.version += 1
        row.ocr_pages = sorted({box.page for chunk in batch.chunks for box in chunk.boxes if box.ocr}) or None
        self.ctx.store.write_chunks(session, self.ctx.id, row.id, batch)
        tables = tables or DocumentTables()
        TableStore().write_file_tables(
            session, self.ctx.id, row.id, tables.tables, company=tables.company, report_year=tables.year
        )

    def record_failure(self, path: str, error: str, source: Source | None) -> None:
        """Mark a file failed; chunks from an earlier good version stay searchable."""
        with self.ctx.catalog.session() as session:
            row = existing_file(session, self.ctx.id, path)
            if row is None:
                row = FileRow(kb_id=self.ctx.id, path=path, extension=Path(path).suffix.lower())
                session.add(row)
            row.status, row.last_error = "failed", error
            if source is not None:
                row.size, row.mtime = source.size, source.mtime

    def move_path(self, old: str, new: str) -> bool:
        """Give a catalogued file its new path (moved or renamed, content unchanged): its chunks,
        vectors and index entries stay as they are, nothing is embedded again. A file catalogued at
        ``new`` (one the move replaced) is removed first. ``False`` when ``old`` is not catalogued."""
        with self.ctx.store.transaction() as session:
            row = existing_file(session, self.ctx.id, old)
            if row is None:
                return False
            replaced = existing_file(session, self.ctx.id, new)
            if replaced is not None and replaced.id != row.id:
                self.ctx.store.delete_file(session, self.ctx.id, replaced.id)
                session.flush()  # the path is unique per KB: the replaced row goes before the moved one takes its path
            row.path = new
            self.ctx.store.bump_revision(session, self.ctx.id)
        return True

    def remove_path(self, path: str) -> None:
        """Remove one catalogued file (by its path as stored) with its chunks and index entries."""
        with self.ctx.store.transaction() as session:
            row = existing_file(session, self.ctx.id, path)
            if row is not None:
                self.ctx.store.delete_file(session, self.ctx.id, row.id)
                self.ctx.store.bump_revision(session, self.ctx.id)


def file_row_values(source: Source, loader: str, splitter: str, chunk_count: int) -> dict:
    return {
        "extension": source.extension,
        "size": source.size,
        "mtime": source.mtime,
        "content_hash": source.content_hash,
        "loader": loader,
        "splitter": splitter,
        "chunk_count": chunk_count,
        "status": "indexed",
        "last_error": None,
    }


def existing_file(session: Session, kb_id: int, path: str) -> FileRow | None:
    return session.scalar(select(FileRow).where(FileRow.kb_id == kb_id, FileRow.path == path))
