"""Tables on a PDF page: where they are, and what their cells say, from the page's own text
layer (:mod:`~ragkb.ingest.loaders.pdf_text`).

Detection runs only on pages that can hold a table (bench/RESULTS.md, "PDF tables"): ruling lines
(cell rectangles or horizontal rules) or columns of right-aligned numbers, not counting the lines of
a table of contents (:func:`~ragkb.ingest.loaders.pdf_contents.contents_lines`), whose right-aligned page numbers and section numbers
would otherwise open it, and the layout model with it, on every contents page. Ruled cells are found by
PyMuPDF's line finder without its layout model, which costs about 0.5 s a page; tables ruled only
above, under the header and below (三线表) by :mod:`~ragkb.ingest.loaders.pdf_rule_tables`; the
layout model runs only on a page whose aligned numbers neither holds.
"""

from __future__ import annotations

from collections import Counter

import pymupdf

from ragkb.ingest.loaders.pdf_contents import contents_lines
from ragkb.ingest.loaders.pdf_rule_tables import Rule, rule_tables
from ragkb.ingest.loaders.pdf_text import NUMBER, Box, Char, PageTable, cell_text, chars_box, corners, lines, text_of, words

MIN_ROWS, MIN_COLUMNS = 2, 2
ALIGNED_NUMBERS = 3  # numbers sharing a right edge that make a column
ALIGNED_COLUMNS = 2
RULE_SHARE = 0.15  # a horizontal rule spans at least this share of the page width
MIN_RECTS, MIN_RULES = 4, 3  # cell boxes, or horizontal rules, that make a page worth looking at


def _rules(page: pymupdf.Page) -> tuple[int, list[Rule]]:
    """Cell rectangles and long horizontal rules (y, x0, x1) drawn on the page."""
    rects, rules = 0, []
    long = RULE_SHARE * page.rect.width
    for drawing in page.get_drawings():
        for item in drawing["items"]:
            if item[0] == "re" and max(item[1].width, item[1].height) > 4:  # a cell, or a border drawn as a thin box
                rects += 1
            elif item[0] == "l" and abs(item[1].y - item[2].y) < 1 and abs(item[1].x - item[2].x) > long:
                rules.append((item[1].y, min(item[1].x, item[2].x), max(item[1].x, item[2].x)))
    return rects, rules


def aligned_columns(chars: list[Char]) -> int:
    """How many columns of at least :data:`ALIGNED_NUMBERS` right-aligned numbers the page has,
    the lines of a table of contents left out."""
    edges: Counter[int] = Counter()
    page_lines = lines(chars)
    contents = contents_lines(page_lines)
    for index, line in enumerate(page_lines):
        if index in contents:
            continue
        for word in words(line):
            if NUMBER.match(text_of(word)):
                edges[round(word[-1].right / 2)] += 1
    return sum(1 for count in edges.values() if count >= ALIGNED_NUMBERS)


def may_hold_table(page: pymupdf.Page, chars: list[Char]) -> bool:
    """Whether table detection is worth running: ruled cells, rules, or aligned number columns."""
    return _worth(*_rules(page), chars)


def _worth(rects: int, rules: list[Rule], chars: list[Char]) -> bool:
    return rects >= MIN_RECTS or len(rules) >= MIN_RULES or aligned_columns(chars) >= ALIGNED_COLUMNS


def find_tables(page: pymupdf.Page, chars: list[Char]) -> list[PageTable]:
    """The page's tables of at least two rows and two columns (a one-cell "table" is usually a
    framed paragraph), with cell text from ``chars``."""
    rects, rules = _rules(page)
    if not _worth(rects, rules, chars):
        return []
    ruled = _detect(page, use_layout=False)
    tables = [PageTable(pymupdf.Rect(table.bbox), *_rows(table, chars)) for table in ruled]
    loose = [char for char in chars if not any(char.inside(corners(table.rect)) for table in tables)]
    if len(rules) >= MIN_RULES:
        tables += rule_tables(rules, loose)
        loose = [char for char in loose if not any(char.inside(corners(table.rect)) for table in tables)]
    if aligned_columns(loose) >= ALIGNED_COLUMNS:  # numbers in columns no table found holds
        layout = _detect(page, use_layout=True)
        tables = [PageTable(pymupdf.Rect(table.bbox), *_rows(table, chars)) for table in layout] or tables
    return [table for table in tables if len(table.rows) >= MIN_ROWS and max(len(row) for row in table.rows) >= MIN_COLUMNS]


def _detect(page: pymupdf.Page, use_layout: bool) -> list:
    try:
        return list(page.find_tables(use_layout=use_layout).tables)
    except Exception:  # table detection is a heuristic; a page it trips over still has its text
        return []


def _rows(table, chars: list[Char]) -> tuple[list[list[str]], list[list[Box | None]]]:
    """Cell texts row by row, and the box of each cell's characters; a cell merged with its
    neighbour (``None``) is empty. (PyMuPDF's ``Table.header`` is not asked: it extracts the
    table's text again, a fifth of the loader's time.)"""
    mine = [char for char in chars if char.inside(table.bbox)]
    rows, boxes = [], []
    for cells in (row.cells for row in table.rows):
        texts, places = [], []
        known = [box for box in cells if box is not None]
        top, bottom = min((box[1] for box in known), default=0), max((box[3] for box in known), default=0)
        in_row = [char for char in mine if top <= char.cy < bottom]
        for box in cells:
            inside = [] if box is None else [char for char in in_row if char.inside(box)]
            texts.append(cell_text(inside))
            places.append(chars_box(inside))
        if any(texts):
            rows.append(texts)
            boxes.append(places)
    return rows, boxes
