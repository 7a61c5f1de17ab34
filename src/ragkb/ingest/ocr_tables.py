"""Tables on a page read by OCR, from where the engine found each piece of text: a scan has no
text layer and no drawings for :mod:`~ragkb.ingest.loaders.pdf_tables` to read.

An OCR engine reads a table cell by cell: each cell's text is a piece with its box, and the pieces
of a table row share a row (:func:`~ragkb.ingest.loaders.pdf_ocr.ocr_rows`). A table is a run of
rows that carry values (a number, or a dash for none) right of their first piece, with at most
:data:`MAX_BETWEEN` other rows between two of them (a section label, 流动资产：), and the rows of
column titles just above. Its columns are where the pieces right of the row labels line up: pieces
of different rows whose extents overlap are one column (numbers right-aligned, centred or left:
any alignment overlaps), the row labels the column left of them; a piece that spans columns
(a title over two) is placed by its centre. A row label wrapped onto a second line is one row with
the line it belongs to: the two lie between the same horizontal rules of the image
(:mod:`~ragkb.ingest.ocr_rules`) with the values of one row at most, or, unruled, closer than
rows are. The rows of cell texts then go the way of a text page's tables
(:class:`~ragkb.ingest.loaders.pdf_text.PageTable`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise
from statistics import median

import pymupdf

from ragkb.ingest.headings import join_wrapped
from ragkb.ingest.loaders.pdf_ocr import LONG_EMS, ocr_rows, states_unit, type_size
from ragkb.ingest.loaders.pdf_text import NUMBER, PageTable
from ragkb.ingest.ocr import Box, OcrLine, OcrPage
from ragkb.ingest.ocr_rules import Rule

MIN_VALUE_ROWS = 2
"""Rows with values a table has at least."""
MIN_COLUMNS = 2
"""Columns of values a table without rules has at least (one column of numbers beside labels is
as often a list with page numbers)."""
MAX_BETWEEN = 5
"""Rows without values that may stand between two rows of a table (section labels, a label's wrapped lines)."""
MAX_HEADER_ROWS = 3
MAX_GAP = 2.0
"""A row further below the row above than this many times the type's height is not the same table's."""
WRAP_SHARE = 0.7
"""An unruled row holding only a label, closer than this share of the table's row pitch to a row, is its label's next line."""
TITLE_SCALE = 1.12
"""A line between two rows set this much larger than their labels is a title (as a heading is larger than the body)."""
TOLERANCE = 2.0
"""Points by which the extents of two pieces of one column may miss each other."""
_DASH = re.compile(r"^[-–—－]+$")


@dataclass
class _Row:
    pieces: list[OcrLine]

    @property
    def top(self) -> float:
        return min(piece.box[1] for piece in self.pieces)

    @property
    def bottom(self) -> float:
        return max(piece.box[3] for piece in self.pieces)

    @property
    def centre(self) -> float:
        return (self.top + self.bottom) / 2

    ruled: bool = False
    """Whether a rule runs right above it and one right below (a cell row of a ruled table)."""

    @property
    def valued(self) -> bool:
        """Whether a value (a number, a dash) stands right of its first piece, or, between rules,
        any text does (a ruled table of words: 释义, a list of subsidiaries)."""
        return self.numbers or (self.ruled and len(self.pieces) > 1)

    @property
    def numbers(self) -> bool:
        """Whether a value (a number, a dash) stands right of its first piece."""
        return any(_is_value(piece.text) for piece in self.pieces[1:])


def _is_value(text: str) -> bool:
    text = "".join(text.split())
    return bool(NUMBER.match(text) or _DASH.match(text))


def ocr_tables(page: OcrPage) -> list[PageTable]:
    """The tables of a page read by OCR, in points of the upright page (as its lines)."""
    height = median(piece.box[3] - piece.box[1] for piece in page.lines) if page.lines else 0.0
    rows = [_Row(pieces, _between_rules(pieces, page.rules, height)) for pieces in ocr_rows(page.lines)]
    taken: set[int] = set()  # rows already in a table: the next one's column titles start below them
    return [table for run in _runs(rows, height) for table in _tables(rows, run, height, page.rules, taken)]


def _between_rules(pieces: list[OcrLine], rules: list[Rule], height: float) -> bool:
    """Whether rules spanning the pieces (give or take a line's height) run within a line's height
    above and below them."""
    left, right = pieces[0].box[0] + height, pieces[-1].box[2] - height
    top, bottom = min(piece.box[1] for piece in pieces), max(piece.box[3] for piece in pieces)
    spanning = [y for y, x0, x1 in rules if x0 <= left and x1 >= right]
    return any(top - height <= y <= top + TOLERANCE for y in spanning) and any(
        bottom - TOLERANCE <= y <= bottom + height for y in spanning
    )


def _runs(rows: list[_Row], height: float) -> list[list[int]]:
    """Indexes of rows with values, grouped into the runs that may be one table each."""
    runs: list[list[int]] = []
    for index, row in enumerate(rows):
        if not row.valued:
            continue
        if runs and _same_table(rows, runs[-1][-1], index, height):
            runs[-1].append(index)
        else:
            runs.append([index])
    return [run for run in runs if len(run) >= MIN_VALUE_ROWS]


def _same_table(rows: list[_Row], above: int, below: int, height: float) -> bool:
    """Whether two rows with values belong to one table: close, most of their values in the same
    columns, and between them at most :data:`MAX_BETWEEN` rows without values whose pieces are a
    section label left of the values or wrapped lines of the cells above them (of text cells only
    when they are several: no column titles over the numbers of a next table; no unit line, no title
    set larger)."""
    if below - above > MAX_BETWEEN + 1 or not _close(rows, above, below, height):
        return False
    one, other = sorted((rows[above].pieces[1:], rows[below].pieces[1:]), key=len)
    if 2 * sum(1 for piece in one if any(_overlap(piece, match) > 0 for match in other)) < len(one):
        return False
    values_left = min(piece.box[0] for piece in rows[above].pieces[1:] + rows[below].pieces[1:])
    cells = rows[above].pieces[1:]
    texts = [piece for piece in cells if not _is_value(piece.text)]
    sized = [row.pieces[0] for row in (rows[above], rows[below]) if _readable(row.pieces[0])]
    labels = max((type_size([piece]) for piece in sized), default=float("inf"))
    return all(
        not row.numbers
        and not any(states_unit(piece.text) for piece in row.pieces)
        and not (len(row.pieces) == 1 and _is_title(row.pieces[0], labels))
        and all(
            (number == 0 and piece.box[0] < values_left - TOLERANCE)  # a section label
            or any(_overlap(piece, cell) > 0 for cell in (cells if len(row.pieces) == 1 else texts))  # a cell's wrapped line
            for number, piece in enumerate(row.pieces)
        )
        for row in rows[above + 1 : below]
    )


def _is_title(piece: OcrLine, labels: float) -> bool:
    """A line set larger than the labels of the rows around it: a title, which starts the next table."""
    return _readable(piece) and type_size([piece]) >= TITLE_SCALE * labels


def _readable(piece: OcrLine) -> bool:
    """Whether the piece is long enough for its type size to be read (:data:`~ragkb.ingest.loaders.pdf_ocr.LONG_EMS`)."""
    return len(piece.text) >= LONG_EMS and not _is_value(piece.text)


def _overlap(piece: OcrLine, other: OcrLine) -> float:
    return min(piece.box[2], other.box[2]) - max(piece.box[0], other.box[0])


def _close(rows: list[_Row], first: int, last: int, height: float) -> bool:
    """Whether no gap between consecutive rows from ``first`` to ``last`` is wider than a table's."""
    return all(rows[index + 1].top - rows[index].bottom <= MAX_GAP * height for index in range(first, last))


@dataclass
class _Grid:
    columns: list[tuple[float, float]]
    """The value columns' extents, left to right."""
    labels: tuple[float, float]
    """Where the row labels start and end, left of the values."""

    def column(self, piece: OcrLine) -> int:
        """0: the row labels; else the value column (1, 2, …) the piece overlaps most, or whose
        centre is nearest to its own."""
        if piece.box[2] <= self.columns[0][0] + TOLERANCE:
            return 0
        overlaps = [min(piece.box[2], x1) - max(piece.box[0], x0) for x0, x1 in self.columns]
        best = max(range(len(self.columns)), key=lambda number: overlaps[number])
        if overlaps[best] > 0:
            return best + 1
        centre = (piece.box[0] + piece.box[2]) / 2
        return min(range(len(self.columns)), key=lambda number: abs(sum(self.columns[number]) / 2 - centre)) + 1

    def fits(self, row: _Row) -> bool:
        """Whether the row can be a table row: no piece starts where labels start and runs past
        the middle of the first value column (a paragraph, a note across the table)."""
        start = sum(self.labels) / 2
        middle = sum(self.columns[0]) / 2
        return not any(piece.box[0] < start and piece.box[2] > middle for piece in row.pieces)

    def is_header(self, row: _Row) -> bool:
        """Column titles above the values: a row without values that fits the columns, of two
        pieces or more or one right of the labels (a title at the left margin is a caption); a
        unit line (单位：元, set at the right) is none."""
        if row.numbers or not self.fits(row) or any(states_unit(piece.text) for piece in row.pieces):
            return False
        return len(row.pieces) >= 2 or row.pieces[0].box[0] > self.labels[1]

    def is_label(self, row: _Row) -> bool:
        """A row label alone (a section, 流动资产：; a row whose cells are empty), no unit line."""
        return _label_only([row]) and self.column(row.pieces[0]) == 0 and not states_unit(row.pieces[0].text)


def _tables(rows: list[_Row], run: list[int], height: float, rules: list[Rule], taken: set[int]) -> list[PageTable]:
    """The table of a run of rows with values; a row across its columns (a note, a paragraph)
    cuts it in two runs."""
    grid = _grid([rows[index] for index in run])
    if grid is None:
        return []
    cut = next((index for index in range(run[0], run[-1] + 1) if not grid.fits(rows[index])), None)
    if cut is not None:
        parts = [[index for index in run if index < cut], [index for index in run if index > cut]]
        return [table for part in parts if len(part) >= MIN_VALUE_ROWS for table in _tables(rows, part, height, rules, taken)]
    body = run[0]  # label rows above the first values (cells left empty) belong to the table if column titles stand above them
    while _above(rows, body, taken, height) and run[0] - body < MAX_BETWEEN and grid.is_label(rows[body - 1]):
        body -= 1
    first = body
    while _above(rows, first, taken, height) and body - first < MAX_HEADER_ROWS and grid.is_header(rows[first - 1]):
        first -= 1
    if first == body:
        first = body = run[0]
    run_left = min(piece.box[0] for index in run for piece in rows[index].pieces)
    run_right = max(piece.box[2] for index in run for piece in rows[index].pieces)
    ruled = sorted(rule[0] for rule in rules if rule[1] < run_right and rule[2] > run_left)
    last = run[-1]
    pitch = _pitch(rows[run[0] : run[-1] + 1])
    while last + 1 < len(rows) and _trails(rows[last], rows[last + 1], grid, pitch, ruled):
        last += 1
    table_rows = rows[first : last + 1]
    left = min(piece.box[0] for row in table_rows for piece in row.pieces)
    right = max(piece.box[2] for row in table_rows for piece in row.pieces)
    top, bottom = table_rows[0].top, table_rows[-1].bottom
    ruled = [y for y in ruled if top - height <= y <= bottom + height]
    if len(grid.columns) < MIN_COLUMNS and not ruled:
        return []
    taken.update(range(first, last + 1))
    groups = _row_groups(table_rows, ruled, body - first, grid)
    rect = pymupdf.Rect(left, top, right, bottom)
    return [PageTable(rect, [_cells(group, grid) for group in groups], [_boxes(group, grid) for group in groups])]


def _above(rows: list[_Row], index: int, taken: set[int], height: float) -> bool:
    """Whether the row above ``index`` may join its table: there, close, and in no table before."""
    return index > 0 and index - 1 not in taken and _close(rows, index - 1, index, height)


def _trails(last: _Row, row: _Row, grid: _Grid, pitch: float, rules: list[float]) -> bool:
    """Whether ``row``, below the table's last row of values, is the rest of that row: a label's
    wrapped line closer than rows are, or any text without values between the same rules."""
    if row.valued or not grid.fits(row):
        return False
    if rules and _band(last, rules) == _band(row, rules):
        return True
    return grid.is_label(row) and row.centre - last.centre < WRAP_SHARE * pitch


def _band(row: _Row, rules: list[float]) -> int:
    return sum(1 for y in rules if y <= row.centre)


def _grid(valued: list[_Row]) -> _Grid | None:
    """The value columns: pieces right of the row labels clustered by overlapping extents; a piece
    that would join two pieces of one row into a column spans columns and is left out. A column
    has pieces in at least two rows."""
    start = min(row.pieces[0].box[0] for row in valued)
    anchors = [  # a row's first piece is its label, unless it is a value right of where labels start
        piece
        for row in valued
        for number, piece in enumerate(row.pieces)
        if number or (_is_value(piece.text) and piece.box[0] > start + TOLERANCE)
    ]
    while True:
        clusters = _clusters(anchors)
        spanning = [
            max(cluster, key=lambda piece: piece.box[2] - piece.box[0])
            for cluster in clusters
            if any(sum(1 for piece in row.pieces if piece in cluster) > 1 for row in valued)
        ]
        if not spanning:
            break
        anchors = [piece for piece in anchors if piece not in spanning]
    rows_of = {id(piece): number for number, row in enumerate(valued) for piece in row.pieces}
    columns = [
        (min(piece.box[0] for piece in cluster), max(piece.box[2] for piece in cluster))
        for cluster in clusters
        if len({rows_of[id(piece)] for piece in cluster}) >= MIN_VALUE_ROWS
    ]
    if not columns:
        return None
    labels = [row.pieces[0] for row in valued if row.pieces[0].box[2] <= columns[0][0] + TOLERANCE]
    if not labels:
        return _Grid(columns, (columns[0][0], columns[0][0]))
    return _Grid(columns, (min(piece.box[0] for piece in labels), max(piece.box[2] for piece in labels)))


def _clusters(pieces: list[OcrLine]) -> list[list[OcrLine]]:
    clusters: list[list[OcrLine]] = []
    end = float("-inf")
    for piece in sorted(pieces, key=lambda piece: piece.box[0]):
        if clusters and piece.box[0] < end:  # overlapping: cells of neighbouring columns may touch
            clusters[-1].append(piece)
            end = max(end, piece.box[2])
        else:
            clusters.append([piece])
            end = piece.box[2]
    return clusters


def _row_groups(rows: list[_Row], rules: list[float], headers: int, grid: _Grid) -> list[list[_Row]]:
    """The table's rows as the OCR rows each is made of: lines between the same rules that make one
    row (:func:`_by_bands`), and a label's wrapped line closer to its row than rows are to each other."""
    head: list[list[_Row]] = [[row] for row in rows[:headers]]
    body: list[list[_Row]] = [[row] for row in rows[headers:]]
    if rules:
        head, body = _by_bands(head, rules, grid), _by_bands(body, rules, grid)
    pitch = _pitch(rows[headers:])
    merged: list[list[_Row]] = []
    for group in body:
        above = merged[-1] if merged else None
        if (
            above is not None
            and (_label_only(group) or _label_only(above))
            and group[0].centre - above[-1].centre < WRAP_SHARE * pitch
            and (not rules or _band(group[0], rules) == _band(above[-1], rules))
        ):
            above.extend(group)
        else:
            merged.append(group)
    return head + merged


def _pitch(rows: list[_Row]) -> float:
    """The usual distance between the centres of two rows of values, next to each other if any are."""
    valued = [row for row in rows if row.valued]
    pitches = [below.centre - above.centre for above, below in pairwise(rows) if above.valued and below.valued]
    pitches = pitches or [below.centre - above.centre for above, below in pairwise(valued)]
    return median(pitches) if pitches else 0.0


def _label_only(group: list[_Row]) -> bool:
    return len(group) == 1 and len(group[0].pieces) == 1 and not group[0].valued


def _by_bands(groups: list[list[_Row]], rules: list[float], grid: _Grid) -> list[list[_Row]]:
    """Rows between the same two rules are one row when no column has two values among them (a
    label wrapped in its ruled cell, the values set beside either line); a band with more (a
    三线表's body) keeps its rows."""
    merged: list[list[_Row]] = []
    for key in dict.fromkeys(_band(group[0], rules) for group in groups):
        inside = [group for group in groups if _band(group[0], rules) == key]
        rows = [row for group in inside for row in group]
        columns = [grid.column(piece) for row in rows for piece in row.pieces if _is_value(piece.text)]
        if len(columns) == len(set(columns)):
            merged.append(rows)
        else:
            merged.extend(inside)
    return merged


def _cells(group: list[_Row], grid: _Grid) -> list[str]:
    """One table row's cell texts: each column's pieces, a line's joined by a space, lines wrapped."""
    cells: list[list[str]] = [[] for _ in range(len(grid.columns) + 1)]
    for row in group:
        line: dict[int, list[str]] = {}
        for piece in row.pieces:
            line.setdefault(grid.column(piece), []).append(piece.text)
        for number, texts in line.items():
            cells[number].append(" ".join(texts))
    return [join_wrapped(texts) for texts in cells]


def _boxes(group: list[_Row], grid: _Grid) -> list[Box | None]:
    """Where each of one table row's cells is: the box around its column's pieces (``None``: empty)."""
    boxes: list[Box | None] = [None] * (len(grid.columns) + 1)
    for row in group:
        for piece in row.pieces:
            number = grid.column(piece)
            known = boxes[number]
            boxes[number] = piece.box if known is None else _union(known, piece.box)
    return boxes


def _union(one: Box, other: Box) -> Box:
    return min(one[0], other[0]), min(one[1], other[1]), max(one[2], other[2]), max(one[3], other[3])
