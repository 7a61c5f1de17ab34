"""Plain data passed between the stages: loaders → chunker → index → retrieval."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

BlockKind = Literal["heading", "paragraph", "table", "code"]


@dataclass
class Block:
    """One structural unit of a parsed document.

    ``level`` is the heading depth (1 = top) for headings and 0 otherwise; ``page`` is the
    1-based page number for paged formats (PDF) and ``None`` elsewhere. Tables carry their
    Markdown rendering as ``text`` so that a chunk holding a table stays readable.
    """

    text: str
    kind: BlockKind = "paragraph"
    level: int = 0
    page: int | None = None


@dataclass
class ParsedDocument:
    blocks: list[Block]
    loader: str
    metadata: dict = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n\n".join(block.text for block in self.blocks)


@dataclass
class Chunk:
    """A retrievable piece of a document, with everything needed to cite it."""

    text: str
    ordinal: int
    heading_path: list[str]
    page: int | None
    char_start: int
    char_end: int


@dataclass
class SearchHit:
    chunk_id: int
    score: float
    text: str
    file: str
    page: int | None
    heading_path: list[str]
    ordinal: int
    char_start: int = 0
    char_end: int = 0
    scores: dict[str, float] = field(default_factory=dict)

    @property
    def section(self) -> str:
        return " > ".join(self.heading_path)

    def to_dict(self) -> dict:
        return {
            "chunk_id": self.chunk_id,
            "score": self.score,
            "file": self.file,
            "page": self.page,
            "section": self.heading_path,
            "ordinal": self.ordinal,
            "char_start": self.char_start,
            "char_end": self.char_end,
            "scores": self.scores,
            "text": self.text,
        }
