"""Heading-aware recursive chunking for Chinese and English.

A document is cut into sections at its headings; a chunk never crosses a section boundary and
carries the section's heading path. Inside a section, text is split recursively on the coarsest
separator that works (paragraphs, lines, Chinese and English sentence ends, clauses, spaces),
then the small pieces are packed greedily up to ``size`` characters, repeating trailing pieces of
up to ``overlap`` characters at the start of the next chunk. Tables are never split mid-row:
an oversized table becomes row groups that each repeat the header.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from ragkb.ingest.regions import locate_chunks
from ragkb.models import Block, Chunk, ParsedDocument

SEPARATORS = ("\n\n", "\n", "。", "！", "？", "；", "! ", "? ", "; ", ". ", "，", "、", ", ", " ")
BLOCK_GAP = "\n\n"
SPLITTER_NAME = "recursive-heading-v1"


@dataclass
class _Piece:
    text: str
    start: int
    end: int
    page: int | None
    is_table: bool = False


def splitter_id(size: int, overlap: int) -> str:
    return f"{SPLITTER_NAME}:{size}/{overlap}"


def chunk_document(document: ParsedDocument, size: int, overlap: int) -> list[Chunk]:
    """Cut ``document`` into chunks; character spans index into ``document.text``."""
    chunks: list[Chunk] = []
    headings: list[tuple[int, str]] = []
    section: list[_Piece] = []
    offset = 0
    for block in document.blocks:
        if block.kind == "heading":
            _pack(section, [h for _, h in headings], size, overlap, chunks)
            section = []
            while headings and headings[-1][0] >= block.level:
                headings.pop()
            headings.append((block.level, block.text.strip()))
        elif block.kind == "table":
            section.extend(_table_pieces(block, offset, size))
        else:
            section.extend(
                _Piece(block.text[s:e], offset + s, offset + e, block.page) for s, e in _split(block.text, 0, SEPARATORS, size)
            )
        offset += len(block.text) + len(BLOCK_GAP)
    _pack(section, [h for _, h in headings], size, overlap, chunks)
    locate_chunks(document, chunks)
    return chunks


def _split(text: str, start: int, separators: tuple[str, ...], size: int) -> list[tuple[int, int]]:
    """Spans (relative to the original text) of pieces no longer than ``size``."""
    if len(text) <= size:
        return [(start, start + len(text))] if text.strip() else []
    for index, separator in enumerate(separators):
        if separator not in text:
            continue
        spans: list[tuple[int, int]] = []
        position = 0
        while position < len(text):
            cut = text.find(separator, position)
            end = len(text) if cut == -1 else cut + len(separator)
            spans.extend(_split(text[position:end], start + position, separators[index + 1 :], size))
            position = end
        return spans
    return [(start + i, start + min(i + size, len(text))) for i in range(0, len(text), size)]


def _table_pieces(block: Block, offset: int, size: int) -> list[_Piece]:
    """A table as one piece, or as row groups that each repeat the header rows."""
    if len(block.text) <= size:
        return [_Piece(block.text, offset, offset + len(block.text), block.page, is_table=True)]
    lines = block.text.split("\n")
    header_count = 2 if len(lines) > 1 and set(lines[1].replace("|", "").strip()) <= set("-: ") else 1
    header = "\n".join(lines[:header_count])
    pieces: list[_Piece] = []
    row_start = len(header) + 1
    group: list[str] = []
    group_start = row_start
    position = row_start
    for row in lines[header_count:]:
        if group and len(header) + sum(len(r) + 1 for r in group) + len(row) > size:
            pieces.append(_Piece(header + "\n" + "\n".join(group), offset + group_start, offset + position - 1, block.page, True))
            group, group_start = [], position
        group.append(row)
        position += len(row) + 1
    if group:
        pieces.append(_Piece(header + "\n" + "\n".join(group), offset + group_start, offset + position - 1, block.page, True))
    return pieces


def _pack(pieces: list[_Piece], heading_path: list[str], size: int, overlap: int, chunks: list[Chunk]) -> None:
    """Greedily merge pieces into chunks of at most ``size`` characters, with overlap (never of table rows)."""
    current: list[_Piece] = []
    for piece in pieces:
        if current and _length([*current, piece]) > size:
            chunks.append(_make_chunk(current, heading_path, len(chunks)))
            current = _tail(current, overlap)
            while current and _length([*current, piece]) > size:
                current.pop(0)
        current.append(piece)
    if current:
        chunks.append(_make_chunk(current, heading_path, len(chunks)))


def _length(pieces: list[_Piece]) -> int:
    return sum(len(piece.text) for piece in pieces) + max(len(pieces) - 1, 0)


def _tail(pieces: list[_Piece], overlap: int) -> list[_Piece]:
    tail: list[_Piece] = []
    for piece in reversed(pieces):
        if piece.is_table or _length([piece, *tail]) > overlap:
            break
        tail.insert(0, piece)
    return tail


def _make_chunk(pieces: list[_Piece], heading_path: list[str], ordinal: int) -> Chunk:
    text = pieces[0].text
    for previous, piece in itertools.pairwise(pieces):
        gap = "\n" if piece.start - previous.end >= len(BLOCK_GAP) else ""
        text += gap + piece.text
    return Chunk(
        text=text.strip(),
        ordinal=ordinal,
        heading_path=list(heading_path),
        page=pieces[0].page,
        char_start=pieces[0].start,
        char_end=pieces[-1].end,
    )
