"""Rows of cell text, as any loader reads a table, into an :class:`~ragkb.models.ExtractedTable`:
which leading rows are column headers, and the header a table repeats where it goes on."""

from __future__ import annotations

import re

from ragkb.index.table_cells import header_like
from ragkb.models import ExtractedTable
from ragkb.tables.numbers import find_unit
from ragkb.tables.statements import classify_statement

MAX_HEADER_ROWS = 3

CellBox = tuple[float, float, float, float] | None
"""Where a cell's text is on its page, in fractions of the page (``None``: an empty cell)."""


def split_header(rows: list[list[str]]) -> tuple[list[str], list[list[str]]]:
    """The column headers (stacked header rows joined per column) and the body rows.

    The first row is the header when it is :func:`header_like`; a following row joins it when it
    is too, leaves the label column empty as a second header level does, and names at least two
    columns (a row with only a label, 流动资产：, is a section of the body)."""
    width = max((len(row) for row in rows), default=0)
    rows = [row + [""] * (width - len(row)) for row in rows]
    count = 0
    while count < min(MAX_HEADER_ROWS, len(rows) - 1) and header_like(rows[count]):
        if count and (rows[count][0].strip() or sum(1 for cell in rows[count] if cell.strip()) < 2):
            break
        count += 1
    stacked = rows[:count]
    header = [" ".join(dict.fromkeys(row[column].strip() for row in stacked if row[column].strip())) for column in range(width)]
    return header, rows[count:]


def extracted_table(
    rows: list[list[str]], *, page: int | None = None, title: str = "", unit: str = "", boxes: list[list[CellBox]] | None = None
) -> ExtractedTable | None:
    """The table of ``rows`` (first the header rows), or ``None`` when it has no body row;
    ``boxes``, parallel to ``rows``, place the cells on the page."""
    rows, boxes = _kept([[" ".join(cell.split()) for cell in row] for row in rows], boxes)
    if len(rows) < 2:
        return None
    header, body = split_header(rows)
    if not body:
        return None
    return ExtractedTable(
        header,
        body,
        page=page,
        page_end=page,
        row_pages=[page] * len(body),
        title=title,
        unit=unit,
        cell_boxes=boxes[len(rows) - len(body) :],
    )


def _kept(rows: list[list[str]], boxes: list[list[CellBox]] | None) -> tuple[list[list[str]], list[list[CellBox]]]:
    """The rows with some text, and their cells' boxes (none when ``boxes`` does not match ``rows``)."""
    places = boxes if boxes is not None and len(boxes) == len(rows) else [[] for _ in rows]
    kept = [(row, place) for row, place in zip(rows, places, strict=True) if any(row)]
    return [row for row, _ in kept], ([place for _, place in kept] if boxes else [])


def continues(previous: ExtractedTable, rows: list[list[str]]) -> bool:
    """Whether ``rows`` (a table at the top of a page) carry on ``previous`` (the last thing on the
    page before): as many columns, and the same header repeated or no header at all."""
    width = len(previous.header)
    if not rows or max(len(row) for row in rows) != width:
        return False
    header, _ = split_header(rows)
    return header == previous.header or not any(header)


def append_continuation(
    previous: ExtractedTable, rows: list[list[str]], page: int | None, boxes: list[list[CellBox]] | None = None
) -> None:
    """Add the body rows of a continuation (its repeated header dropped) to ``previous``."""
    rows, boxes = _kept([[" ".join(cell.split()) for cell in row] for row in rows], boxes)
    _, body = split_header(rows)
    if len(previous.cell_boxes) == len(previous.rows) and boxes:
        previous.cell_boxes.extend(boxes[len(rows) - len(body) :])
    else:
        previous.cell_boxes = []
    previous.rows.extend(body)
    previous.row_pages.extend([page] * len(body))
    previous.page_end = page


CAPTION_LINES = 4
MAX_TITLE_CHARS = 40
MAX_STATEMENT_TITLE_CHARS = 80
"""A line naming a statement may be longer than other titles ("IV. Key Accounting Data and
Financial Indicators", "4. Income Statement of the Parent Company")."""


_SHARE = re.compile(r"\d\s*%")


def is_unit_line(text: str) -> bool:
    """Whether ``text``, a line above a table, states the table's unit (单位：元, Unit: RMB10,000):
    a short line with a unit, and no share in it (持股5%以上的股东 is a title)."""
    return len(text) <= MAX_TITLE_CHARS * 2 and find_unit(text) is not None and not _SHARE.search(text)


def caption(above: list[str]) -> tuple[str, str]:
    """A table's title and unit line from the texts just above it (nearest last): the unit line
    is one that states a unit (:func:`is_unit_line`); the title the nearest text naming a
    statement, else the nearest short one."""
    texts = [text for text in above[-CAPTION_LINES:][::-1] if text.strip()]
    unit = next((text for text in texts if is_unit_line(text)), "")
    titles = [text for text in texts if text != unit and len(text) <= MAX_STATEMENT_TITLE_CHARS]
    short = [text for text in titles if len(text) <= MAX_TITLE_CHARS]
    title = next((text for text in titles if classify_statement(text).kind is not None), short[0] if short else "")
    return title, unit
