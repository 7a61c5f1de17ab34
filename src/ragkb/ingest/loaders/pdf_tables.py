"""Tables on a PDF page: where they are, from PyMuPDF's ruling-line finder, and what their cells
say, from the page's own text layer.

PyMuPDF's ``Table.extract()`` groups characters into lines by their boxes; a number drawn one
character at a time with the digits in one font and the commas in another (many reports made with
word processors) comes out as ``129188735 59\\n, , .``. The text layer orders those characters
right, and their baselines agree whatever the font, so a cell here is the characters whose centre
lies in it, grouped into lines by baseline and read left to right; lines wrapped inside a cell are
joined the way a layout wrapped them.

Detection runs only on pages that can hold a table (bench/RESULTS.md, "PDF tables"): ruling lines
(cell rectangles or horizontal rules) or columns of right-aligned numbers. The line finder runs
without PyMuPDF's layout model, which costs about 0.5 s a page; the model runs only on a page
whose aligned numbers no ruled table covers (tables ruled only above and below).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from itertools import groupby

import pymupdf

from ragkb.ingest.headings import join_wrapped

MIN_ROWS, MIN_COLUMNS = 2, 2
ALIGNED_NUMBERS = 3  # numbers sharing a right edge that make a column
ALIGNED_COLUMNS = 2
RULE_SHARE = 0.15  # a horizontal rule spans at least this share of the page width
_NUMBER = re.compile(r"^[(（]?[-−+]?[\d,，]*\d(?:\.\d+)?%?[)）]?$")


@dataclass(frozen=True)
class Char:
    text: str
    x: float  # left of its box
    right: float
    baseline: float
    size: float

    @property
    def center(self) -> tuple[float, float]:
        return (self.x + self.right) / 2, self.baseline - self.size / 3


@dataclass
class PageTable:
    rect: pymupdf.Rect
    rows: list[list[str]]


def page_chars(text: dict) -> list[Char]:
    """Every character of a ``rawdict`` extraction, in the text layer's order."""
    return [
        Char(char["c"], char["bbox"][0], char["bbox"][2], char["origin"][1], span["size"])
        for block in text["blocks"]
        for line in block.get("lines", [])
        for span in line["spans"]
        for char in span["chars"]
    ]


def cell_text(chars: list[Char]) -> str:
    """The text of characters inside one cell: lines by baseline, each read left to right, wrapped
    lines joined (no space between Chinese characters, one between words)."""
    if not chars:
        return ""
    lines: list[list[Char]] = []
    for char in sorted(chars, key=lambda char: char.baseline):
        if lines and abs(char.baseline - lines[-1][0].baseline) <= 0.4 * max(char.size, lines[-1][0].size):
            lines[-1].append(char)
        else:
            lines.append([char])
    texts = [_line_text(sorted(line, key=lambda char: char.x)) for line in lines]
    return join_wrapped([text for text in texts if text])


def _line_text(chars: list[Char]) -> str:
    text = ""
    previous: Char | None = None
    for char in chars:
        if previous is not None and char.x - previous.right > 0.25 * char.size and not text.endswith(" "):
            text += " "
        text += char.text
        previous = char
    return " ".join(text.split())


def _rules(page: pymupdf.Page) -> tuple[int, int]:
    """Cell rectangles and long horizontal rules drawn on the page."""
    rects = rules = 0
    long = RULE_SHARE * page.rect.width
    for drawing in page.get_drawings():
        for item in drawing["items"]:
            if item[0] == "re" and max(item[1].width, item[1].height) > 4:  # a cell, or a border drawn as a thin box
                rects += 1
            elif item[0] == "l" and abs(item[1].y - item[2].y) < 1 and abs(item[1].x - item[2].x) > long:
                rules += 1
    return rects, rules


def aligned_columns(chars: list[Char]) -> int:
    """How many columns of at least :data:`ALIGNED_NUMBERS` right-aligned numbers the page has."""
    edges: Counter[int] = Counter()
    for _, line in groupby(chars, key=lambda char: round(char.baseline)):
        words: list[list[Char]] = [[]]
        for char in line:
            if char.text.isspace():
                words.append([])
                continue
            if words[-1] and char.x - words[-1][-1].right > 0.25 * char.size:
                words.append([])
            words[-1].append(char)
        for word in words:
            if word and _NUMBER.match("".join(char.text for char in word)):
                edges[round(word[-1].right / 2)] += 1
    return sum(1 for count in edges.values() if count >= ALIGNED_NUMBERS)


def may_hold_table(page: pymupdf.Page, chars: list[Char]) -> bool:
    """Whether table detection is worth running: ruled cells, rules, or aligned number columns."""
    rects, rules = _rules(page)
    return rects >= 4 or rules >= 3 or aligned_columns(chars) >= ALIGNED_COLUMNS


def find_tables(page: pymupdf.Page, chars: list[Char]) -> list[PageTable]:
    """The page's tables of at least two rows and two columns (a one-cell "table" is usually a
    framed paragraph), with cell text from ``chars``."""
    if not may_hold_table(page, chars):
        return []
    found = _detect(page, use_layout=False)
    covered = [pymupdf.Rect(table.bbox) for table in found]
    loose = [char for char in chars if not any(pymupdf.Point(char.center) in rect for rect in covered)]
    if aligned_columns(loose) >= ALIGNED_COLUMNS:  # numbers in columns no ruled table holds
        found = _detect(page, use_layout=True) or found
    tables = []
    for table in found:
        rows = _rows(table, chars)
        if len(rows) >= MIN_ROWS and max(len(row) for row in rows) >= MIN_COLUMNS:
            tables.append(PageTable(pymupdf.Rect(table.bbox), rows))
    return tables


def _detect(page: pymupdf.Page, use_layout: bool) -> list:
    try:
        return list(page.find_tables(use_layout=use_layout).tables)
    except Exception:  # table detection is a heuristic; a page it trips over still has its text
        return []


def _rows(table, chars: list[Char]) -> list[list[str]]:
    """Cell texts row by row; a cell merged with its neighbour (``None``) is empty."""
    inside = pymupdf.Rect(table.bbox)
    boxes = [row.cells for row in table.rows]
    if table.header.external:
        boxes.insert(0, table.header.cells)
        inside |= table.header.bbox
    mine = [char for char in chars if pymupdf.Point(char.center) in inside]
    rows = []
    for cells in boxes:
        texts = []
        for box in cells:
            if box is None:
                texts.append("")
                continue
            x0, y0, x1, y1 = box
            texts.append(cell_text([char for char in mine if x0 <= char.center[0] < x1 and y0 <= char.center[1] < y1]))
        if any(texts):
            rows.append(texts)
    return rows
