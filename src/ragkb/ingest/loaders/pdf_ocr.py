"""OCR'd lines as the PDF loader's lines: pieces an engine read on one row joined left to right
(table cells, a label and its number), each with a type size from its height and its characters
placed along it, so that paragraphs, headings and running headers are found as on a text page.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import pymupdf

from ragkb.ingest.loaders.pdf_text import Char, PageTable
from ragkb.ingest.ocr import OcrLine

SIZE_OF_HEIGHT = 0.75
"""A detected line box is about this much taller than the type: the box pads the glyphs."""
SAME_ROW = 0.5
"""Pieces whose vertical centres are closer than this share of their height are on one row."""
BODY_SPREAD = 0.2
"""Lines within this share of the page's most common size are set in it: a line's box is taller when
its letters have ascenders and descenders, and a paragraph's lines must keep one size."""


@dataclass
class ScannedLine:
    text: str
    size: float
    box: pymupdf.Rect
    chars: list[Char]


def ocr_rows(lines: list[OcrLine]) -> list[list[OcrLine]]:
    """The pieces in rows (vertical centres close, side by side), top to bottom, each row left to right."""
    rows: list[list[OcrLine]] = []
    for line in sorted(lines, key=lambda line: (line.box[1] + line.box[3]) / 2):
        if rows and _same_row(rows[-1][-1], line) and not any(_over(piece, line) for piece in rows[-1]):
            rows[-1].append(line)
        else:
            rows.append([line])
    return [sorted(row, key=lambda line: line.box[0]) for row in rows]


def ocr_lines(lines: list[OcrLine]) -> list[ScannedLine]:
    """Rows of pieces (:func:`ocr_rows`), each row's pieces joined by a space."""
    scanned = [_scanned(row) for row in ocr_rows(lines)]
    if scanned:
        body = sorted(row.size for row in scanned)[len(scanned) // 2]
        for row in scanned:
            if abs(row.size - body) <= BODY_SPREAD * body:
                row.size = body
    return scanned


def ocr_blocks(lines: list[ScannedLine], tables: list[PageTable]) -> list[list[ScannedLine]]:
    """The page's lines (top to bottom) as blocks that a table's top cuts, so that text above a
    table comes before it and text below after it."""
    tops = sorted(table.rect.y0 for table in tables)
    blocks: list[list[ScannedLine]] = []
    cut = -1
    for line in lines:
        above = sum(1 for top in tops if top <= line.box.y0)
        if not blocks or above != cut:
            blocks.append([])
            cut = above
        blocks[-1].append(line)
    return blocks


def _same_row(above: OcrLine, line: OcrLine) -> bool:
    height = min(above.box[3] - above.box[1], line.box[3] - line.box[1])
    return abs((above.box[1] + above.box[3]) / 2 - (line.box[1] + line.box[3]) / 2) < SAME_ROW * height


def _over(one: OcrLine, other: OcrLine) -> bool:
    """Whether the two pieces overlap left to right by more than a sliver: lines of one column, not one row's."""
    overlap = min(one.box[2], other.box[2]) - max(one.box[0], other.box[0])
    return overlap > 0.25 * min(one.box[2] - one.box[0], other.box[2] - other.box[0])


def _scanned(row: list[OcrLine]) -> ScannedLine:
    box = pymupdf.Rect(row[0].box)
    for piece in row[1:]:
        box |= pymupdf.Rect(piece.box)
    heights = sorted(piece.box[3] - piece.box[1] for piece in row)
    size = max(round(heights[len(heights) // 2] * SIZE_OF_HEIGHT, 1), 1.0)
    chars = [char for piece in row for char in _chars(piece, size)]
    return ScannedLine(" ".join(piece.text for piece in row), size, box, chars)


def _chars(piece: OcrLine, size: float) -> list[Char]:
    """The piece's characters spread over its box, a Chinese (wide) character twice a narrow one's width."""
    x0, y0, x1, y1 = piece.box
    weights = [2.0 if unicodedata.east_asian_width(char) in "WF" else 1.0 for char in piece.text]
    unit = (x1 - x0) / (sum(weights) or 1.0)
    baseline = y1 - 0.2 * (y1 - y0)
    chars, left = [], x0
    for char, weight in zip(piece.text, weights, strict=True):
        right = left + weight * unit
        chars.append(Char(char, left, right, baseline, size, (left + right) / 2, (y0 + y1) / 2))
        left = right
    return chars
