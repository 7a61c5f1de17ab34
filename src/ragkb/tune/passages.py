"""A knowledge base's chunks as the tuners read them: id, file, section, language and text."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from ragkb.catalog.schema import ChunkRow, FileRow
from ragkb.kb import KnowledgeBase


@dataclass(frozen=True)
class Passage:
    chunk_id: int
    file_id: int
    title: str
    """The file's name without its extension, as ingest titles a file"""
    headings: tuple[str, ...]
    language: str
    text: str

    @property
    def header(self) -> str:
        return " > ".join([self.title, *self.headings])

    @property
    def indexed(self) -> str:
        """The text the KB's indexes and rerankers read: ``title > section`` then the chunk."""
        return f"{self.header}\n{self.text}"


def kb_passages(kb: KnowledgeBase) -> list[Passage]:
    """Every chunk of the KB, in file and reading order."""
    with kb.store.snapshot() as session:
        rows = session.execute(
            select(ChunkRow.id, ChunkRow.file_id, FileRow.path, ChunkRow.heading_path, ChunkRow.language, ChunkRow.text)
            .join(FileRow, FileRow.id == ChunkRow.file_id)
            .where(ChunkRow.kb_id == kb.id)
            .order_by(ChunkRow.file_id, ChunkRow.ordinal)
        ).all()
    return [
        Passage(cid, fid, Path(path).stem, tuple(heading or []), language or "en", text)
        for cid, fid, path, heading, language, text in rows
    ]
