"""The embedded store: chunk rows, their FTS5 entries and their vectors, written together.

Every write goes through one SQLAlchemy session, so a file's chunks, sparse entries and vectors
commit in one transaction with its catalog row: a crash leaves either the old version of the
file or the new one, never a mix.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from ragkb.catalog.schema import ChunkRow, FileRow, KnowledgeBaseRow
from ragkb.index.language import detect_language
from ragkb.index.sparse import SqliteFtsIndex
from ragkb.index.vectors import SqliteVectorIndex
from ragkb.models import Chunk


def indexed_text(title: str, chunk: Chunk) -> str:
    """What the sparse and dense indexes see: the chunk with its document title and section.

    Headings and titles often hold the words a question uses while the paragraph does not.
    """
    header = " > ".join([title, *chunk.heading_path]) if title else " > ".join(chunk.heading_path)
    return f"{header}\n{chunk.text}" if header else chunk.text


class EmbeddedStore:
    def __init__(self) -> None:
        self.sparse = SqliteFtsIndex()
        self.dense = SqliteVectorIndex()

    def create_kb(self, session: Session, kb_id: int) -> None:
        self.sparse.create(session, kb_id)

    def drop_kb(self, session: Session, kb_id: int) -> None:
        self.sparse.drop(session, kb_id)
        self.dense.drop(session, kb_id)

    def delete_file_chunks(self, session: Session, kb_id: int, file_id: int) -> None:
        chunk_ids = list(session.scalars(select(ChunkRow.id).where(ChunkRow.file_id == file_id)))
        self.sparse.delete(session, kb_id, chunk_ids)
        self.dense.delete(session, kb_id, chunk_ids)
        session.execute(delete(ChunkRow).where(ChunkRow.file_id == file_id))

    def write_chunks(
        self,
        session: Session,
        kb_id: int,
        file_id: int,
        chunks: list[Chunk],
        texts: list[str],
        vectors: np.ndarray | None,
        language: str = "auto",
    ) -> None:
        """Insert a file's chunks; ``texts`` are their :func:`indexed_text`, ``vectors`` their embeddings.

        ``language`` is the KB's document language; ``auto`` detects it per chunk.
        """
        if not chunks:
            return
        rows = [
            {
                "kb_id": kb_id,
                "file_id": file_id,
                "ordinal": chunk.ordinal,
                "text": chunk.text,
                "page": chunk.page,
                "heading_path": chunk.heading_path,
                "char_start": chunk.char_start,
                "char_end": chunk.char_end,
                "language": detect_language(chunk.text) if language == "auto" else language,
            }
            for chunk in chunks
        ]
        chunk_ids = list(session.scalars(insert(ChunkRow).returning(ChunkRow.id, sort_by_parameter_order=True), rows))
        self.sparse.add(session, kb_id, chunk_ids, texts)
        if vectors is not None:
            self.dense.add(session, kb_id, chunk_ids, vectors)

    def bump_revision(self, session: Session, kb_id: int) -> None:
        session.execute(
            update(KnowledgeBaseRow).where(KnowledgeBaseRow.id == kb_id).values(revision=KnowledgeBaseRow.revision + 1)
        )

    def delete_file(self, session: Session, kb_id: int, file_id: int) -> None:
        self.delete_file_chunks(session, kb_id, file_id)
        session.execute(delete(FileRow).where(FileRow.id == file_id))
