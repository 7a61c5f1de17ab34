"""OCR'd lines as the PDF loader's lines: pieces an engine read on one row joined left to right
(table cells, a label and its number), each with a type size and its characters placed along it,
so that paragraphs, headings and running headers are found as on a text page.

The type size is read from a line's width: a Chinese character is one em wide, a Latin letter
about half of one (:data:`EM_WIDTHS`), and an engine's box hugs the ink left to right, while its
height varies with ascenders, descenders and padding as much as a heading is larger than the body
(measured against the text layer of bench/ocr.py's pages: headings of 11.5 pt over a 9.5 pt body
are found by width, not by height).
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

import pymupdf

from ragkb.ingest.loaders.pdf_text import Char, PageTable
from ragkb.ingest.ocr import OcrLine
from ragkb.ingest.tables import is_unit_line

PADDING = 0.2
"""A detected box is wider than the ink by this share of its height (bench pages, rapidocr)."""
LONG_EMS = 6
"""A row this many ems long or longer is sized by its width alone (within 5% on the bench pages)..."""
SIZE_OF_SHORT_HEIGHT = 0.62
"""...a shorter one by the mean (geometric) of its width's size and this share of its height: a
short Chinese word's box is padded wider than the word, a Latin word's is shorter without
descenders (within 8% of the size on those pages; its width alone is within 14%)."""
EM_WIDTHS = {"upper": 0.68, "digit": 0.556, "lower": 0.52, "narrow": 0.28, "wide": 0.8, "space": 0.278, "other": 0.4}
"""Widths in ems of a proportional font's characters, by kind (Helvetica's, rounded); a Chinese
(wide) character is 1."""
_NARROW = set("fijlrt.,:;'|!")
_WIDE = set("mwMW")
_UNIT_WORD = re.compile(r"单位|\bunits?\b|\bcurrency\b|\bin (?:thousands|millions)", re.IGNORECASE)
SAME_ROW = 0.5
"""Pieces whose vertical centres are closer than this share of their height are on one row."""
BODY_SPREAD = 0.1
"""Lines within this share of the page's most common size are set in it (a paragraph's lines must
keep one size): less than a heading is larger than the body (``pdf.HEADING_SCALE``)."""


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
            if abs(row.size - body) <= BODY_SPREAD * body or states_unit(row.text):
                row.size = body  # a unit line is a table's caption, no heading: its short box reads large
    return scanned


def states_unit(text: str) -> bool:
    """A unit line (单位：万元, Unit: RMB10,000), not a column title with a unit in it (Change (%))."""
    return bool(_UNIT_WORD.search(text)) and is_unit_line(text)


def ocr_blocks(lines: list[ScannedLine], tables: list[PageTable]) -> list[list[ScannedLine]]:
    """The page's lines (top to bottom) as blocks, cut where a table's top is (text above a table
    comes before it, text below after it) and where the type size changes (a heading and the
    smaller heading under it are two, as a text page's blocks are)."""
    tops = sorted(table.rect.y0 for table in tables)
    blocks: list[list[ScannedLine]] = []
    cut = -1
    for line in lines:
        above = sum(1 for top in tops if top <= line.box.y0)
        if not blocks or above != cut or line.size != blocks[-1][-1].size:
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
    size = max(round(type_size(row), 1), 1.0)
    chars = [char for piece in row for char in _chars(piece, size)]
    return ScannedLine(" ".join(piece.text for piece in row), size, box, chars)


def type_size(row: list[OcrLine]) -> float:
    """The type size of a row: its pieces' widths (less the box's padding) over their characters'
    widths in ems; a short row's, with its height (its box is padded more)."""
    ems = sum(_ems(piece.text) for piece in row)
    width = sum(piece.box[2] - piece.box[0] - PADDING * (piece.box[3] - piece.box[1]) for piece in row) / ems
    if ems >= LONG_EMS:
        return width
    heights = sorted(piece.box[3] - piece.box[1] for piece in row)
    return math.sqrt(max(width, 0.0) * heights[len(heights) // 2] * SIZE_OF_SHORT_HEIGHT)


def _ems(text: str) -> float:
    return sum(_em(char) for char in text) or 1.0


def _em(char: str) -> float:
    if _is_wide(char):
        return 1.0
    if char in _WIDE:
        return EM_WIDTHS["wide"]
    if char in _NARROW:
        return EM_WIDTHS["narrow"]
    kind = (
        "space"
        if char.isspace()
        else "upper"
        if char.isupper()
        else "digit"
        if char.isdigit()
        else "lower"
        if char.islower()
        else "other"
    )
    return EM_WIDTHS[kind]


def _is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in "WF"


def _chars(piece: OcrLine, size: float) -> list[Char]:
    """The piece's characters spread over its box by their widths in ems (:func:`_em`)."""
    x0, y0, x1, y1 = piece.box
    weights = [_em(char) for char in piece.text]
    unit = (x1 - x0) / (sum(weights) or 1.0)
    baseline = y1 - 0.2 * (y1 - y0)
    chars, left = [], x0
    for char, weight in zip(piece.text, weights, strict=True):
        right = left + weight * unit
        chars.append(Char(char, left, right, baseline, size, (left + right) / 2, (y0 + y1) / 2))
        left = right
    return chars
