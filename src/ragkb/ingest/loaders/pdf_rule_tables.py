"""Tables ruled only by horizontal lines (三线表: a rule above, one under the header, one below),
which have no cell boxes for a line finder to find.

The rules cut the page into bands. A band whose lines carry numbers right of their label is a body
band; bands that touch (share a rule) make one table, and a short band touching the first one from
above is its header. Columns are the right edges the numbers share (numbers are right-aligned),
plus the label column left of them; other text goes to the column nearest its centre. Lines become
rows where the gap above them is a row's pitch; a smaller gap (a label wrapped onto a second line,
its numbers set between the two) keeps them in one row.
"""

from __future__ import annotations

import re
from itertools import pairwise
from statistics import median

import pymupdf

from ragkb.ingest.loaders.pdf_text import NUMBER, Box, Char, PageTable, cell_text, chars_box, corners, lines, text_of, words

Rule = tuple[float, float, float]
"""A horizontal rule: its y and the x where it starts and ends."""

SAME_EXTENT = 10.0  # rules of one table start and end within this many points of each other
MAX_HEADER_LINES = 3
COLUMN_GAP = 0.8  # a gap wider than this times the type size separates cells on a line
EDGE_TOLERANCE = 4.0  # right edges of one column's numbers agree within this many points
_YEAR = re.compile(r"^(?:19|20)\d{2}$")
ROW_GAP_SHARE = 0.75  # a line starts a new row when the gap above it is this share of the usual pitch
LINE_PITCH = 1.4  # a gap wider than this times the type size is more than a wrapped line's...
PADDED_SHARE = 5  # ...and such gaps are the rows' when at least one gap in this many is one (not a few section breaks)


def rule_tables(rules: list[Rule], chars: list[Char]) -> list[PageTable]:
    bands = _bands(rules, chars)
    tables: list[PageTable] = []
    index = 0
    while index < len(bands):
        if not _is_body(bands[index][1]):
            index += 1
            continue
        first = index
        while index + 1 < len(bands) and bands[index + 1][0].y0 == bands[index][0].y1 and _is_body(bands[index + 1][1]):
            index += 1
        parts = bands[first : index + 1]
        above = bands[first - 1] if first else None
        if above and above[0].y1 == parts[0][0].y0 and _is_header(above[1]):
            parts.insert(0, above)
            header = above[1]
        else:
            header = []
        body = [char for _, band in parts if band is not header for char in band]
        rect = pymupdf.Rect(parts[0][0].x0, parts[0][0].y0, parts[0][0].x1, parts[-1][0].y1)
        tables.append(PageTable(rect, *_grid(header, body)))
        index += 1
    return tables


def _bands(rules: list[Rule], chars: list[Char]) -> list[tuple[pymupdf.Rect, list[Char]]]:
    """The stretches between consecutive rules of the same extent, with the characters in each."""
    merged: list[Rule] = []
    for rule in sorted(rules):
        if merged and rule[0] - merged[-1][0] < 1 and abs(rule[1] - merged[-1][1]) < SAME_EXTENT:
            continue
        merged.append(rule)
    bands = []
    for upper, lower in pairwise(merged):
        if abs(upper[1] - lower[1]) < SAME_EXTENT and abs(upper[2] - lower[2]) < SAME_EXTENT:
            rect = pymupdf.Rect(min(upper[1], lower[1]), upper[0], max(upper[2], lower[2]), lower[0])
            bands.append((rect, [char for char in chars if char.inside(corners(rect))]))
    return bands


def _is_body(chars: list[Char]) -> bool:
    """Whether some line of the band has a number right of its first cell (a year is a header's)."""
    return any(any(_value(text_of(cell)) for cell in _cells(line)[1:]) for line in lines(chars))


def _value(text: str) -> bool:
    return bool(NUMBER.match(text)) and not _YEAR.match(text)


def _cells(line: list[Char]) -> list[list[Char]]:
    return words(line, COLUMN_GAP, spaces=False)


def _is_header(chars: list[Char]) -> bool:
    """A short band with a line of at least two cells (a title or a note above a table has one)."""
    found = lines(chars)
    return 0 < len(found) <= MAX_HEADER_LINES and any(len(_cells(line)) >= 2 for line in found)


def _grid(header: list[Char], body: list[Char]) -> tuple[list[list[str]], list[list[Box | None]]]:
    """The rows' cell texts and, parallel to them, the box of each cell's characters."""
    cells = [word for line in lines(body) for word in _cells(line)]
    edges: list[list[float]] = []  # right edges of number cells, clustered
    for right in sorted(
        word[-1].right for word in cells if word[0].x > min(c.x for c in body) + 1 and NUMBER.match(text_of(word))
    ):
        if edges and right - median(edges[-1]) <= EDGE_TOLERANCE:
            edges[-1].append(right)
        else:
            edges.append([right])
    columns = [median(edge) for edge in edges]
    lefts = [min(word[0].x for word in cells if abs(word[-1].right - right) <= EDGE_TOLERANCE) for right in columns]
    centres = [(left + right) / 2 for left, right in zip(lefts, columns, strict=True)]

    def column(word: list[Char]) -> int:
        for number, right in enumerate(columns, start=1):
            if abs(word[-1].right - right) <= EDGE_TOLERANCE:
                return number
        if not columns or word[-1].right < lefts[0] - EDGE_TOLERANCE:
            return 0
        centre = (word[0].x + word[-1].right) / 2
        return min(range(len(columns)), key=lambda number: abs(centres[number] - centre)) + 1

    rows = [_row(group, column, len(columns) + 1) for group in _rows(header, header=True) + _rows(body)]
    return [[cell_text(chars) for chars in row] for row in rows], [[chars_box(chars) for chars in row] for row in rows]


def _rows(chars: list[Char], header: bool = False) -> list[list[list[Char]]]:
    """The lines of a band grouped into rows by the gaps between their baselines. The row pitch is
    the usual gap of those wider than a line of type: in a table where most labels wrap, most gaps
    are a wrapped label's next line, so the median of all would split every wrapped row. In the
    header, lines a line of type apart are one row (a column title wrapped in its cell)."""
    found = lines(chars)
    if not found:
        return []
    gaps = [below[0].baseline - above[0].baseline for above, below in pairwise(found)]
    size = median(char.size for char in chars)
    padded = [gap for gap in gaps if gap > LINE_PITCH * size]
    if header:
        pitch = LINE_PITCH * size / ROW_GAP_SHARE
    else:
        pitch = median(padded if len(padded) * PADDED_SHARE >= len(gaps) else gaps) if gaps else 0.0
    rows = [[found[0]]]
    for gap, line in zip(gaps, found[1:], strict=True):
        if gap >= ROW_GAP_SHARE * pitch:
            rows.append([line])
        else:
            rows[-1].append(line)
    return rows


def _row(row_lines: list[list[Char]], column, width: int) -> list[list[Char]]:
    """The characters of each column of one row."""
    by_column: list[list[Char]] = [[] for _ in range(width)]
    for line in row_lines:
        for word in _cells(line):
            by_column[column(word)].extend(word)
    return by_column
