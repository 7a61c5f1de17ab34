"""An :class:`~ragkb.models.ExtractedTable` as cells with meaning: the row label's metric, the
column header's year, the cell's number in base units (:mod:`ragkb.tables`).

A column header names its year as "2022年", "2022年12月31日", "2022年度", "December 31, 2022", or
relative to the report's year: 本期/本年/期末 (this year), 上期/上年/期初 (last year). A body row
that is itself a header (a second header row inside the table, 2022年末 / 2021年末) gives the
columns below it new headers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ragkb.models import ExtractedTable
from ragkb.tables.metrics import Metric, match_metric
from ragkb.tables.numbers import find_unit, first_unit, parse_number
from ragkb.tables.statements import classify_statement
from ragkb.tables.text import fold

_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_THIS = re.compile(
    r"本期|本年|本报告期|期末|this\s+(?:year|period)|current\s+(?:year|period)|end\s+of\s+(?:the\s+)?(?:year|period)",
    re.IGNORECASE,
)
_LAST = re.compile(
    r"上期|上年|去年|期初|上年同期|last\s+(?:year|period)|prior\s+(?:year|period)|previous\s+(?:year|period)|beginning\s+of",
    re.IGNORECASE,
)
_CHANGE = re.compile(r"增减|变动|变化|同比|比上年|change|increase|decrease|growth", re.IGNORECASE)
_YEAR_CELL = re.compile(r"^(?:FY\s*)?(?:19|20)\d{2}\s*年?$", re.IGNORECASE)


def header_like(row: list[str]) -> bool:
    """A row of column names: something beside the first cell, and no number there but years."""
    values = [cell for cell in row[1:] if cell.strip()]
    return bool(values) and all(_YEAR_CELL.match(cell.strip()) or parse_number(cell) is None for cell in values)


@dataclass(frozen=True)
class CellValues:
    page: int | None
    row_index: int
    column_index: int
    row_label: str
    metric: str | None
    column_header: str
    year: int | None
    period: str | None
    raw_text: str
    value: float | None
    unit: str | None
    boxes: list[list[float]] | None
    """Where the cell is: ``[[page, x0, y0, x1, y1]]`` in fractions of the page, as stored; ``None`` when unknown."""


def header_year(header: str, report_year: int | None) -> tuple[int | None, str | None]:
    """The year a column header names and its period (this | last) relative to ``report_year``;
    a change column (本年比上年增减) names none."""
    text = fold(header)
    if not text or _CHANGE.search(text):
        return None, None
    found = _YEAR.findall(text)
    year = int(found[-1]) if len(set(found)) == 1 else None
    if year is None and report_year is not None:
        if _THIS.search(text):
            year = report_year
        elif _LAST.search(text):
            year = report_year - 1
    if year is None or report_year is None:
        return year, None
    return year, {report_year: "this", report_year - 1: "last"}.get(year)


_STATEMENTS = frozenset({"balance_sheet", "income_statement", "cash_flow"})


def row_metric(label: str, statement: str | None) -> Metric | None:
    """The metric a row label names in a table of ``statement``: none of another statement's
    ("Minority interests" in a balance sheet is the minority's equity, not its share of profit)."""
    found = match_metric(label) if label else None
    if found is None:
        return None
    own = found.metric.statement
    if statement in _STATEMENTS and own in _STATEMENTS and own != statement:
        return None
    return found.metric


def table_cells(table: ExtractedTable, report_year: int | None) -> list[CellValues]:
    """Every non-empty cell right of the row label, body row by body row."""
    headers = list(table.header)
    table_unit = find_unit(table.unit) or find_unit(table.title)
    statement = classify_statement(table.title).kind
    cells: list[CellValues] = []
    for row_index, row in enumerate(table.rows):
        if row_index and header_like(row) and not row[0].strip():
            headers = [text or old for text, old in zip(row, headers, strict=False)] + headers[len(row) :]
            continue
        label = row[0] if row else ""
        found = row_metric(label, statement)
        page = table.row_pages[row_index] if row_index < len(table.row_pages) else table.page
        places = table.cell_boxes[row_index] if len(table.cell_boxes) == len(table.rows) else []
        for column, raw in enumerate(row[1:], start=1):
            if not raw.strip():
                continue
            header = headers[column] if column < len(headers) else ""
            year, period = header_year(header, report_year)
            quantity = parse_number(raw, first_unit(label, header) or table_unit)
            cells.append(
                CellValues(
                    page=page,
                    row_index=row_index,
                    column_index=column,
                    row_label=label,
                    metric=found.id if found else None,
                    column_header=header,
                    year=year,
                    period=period,
                    raw_text=raw,
                    value=float(quantity.base) if quantity else None,
                    unit=(quantity.unit.base or None) if quantity else None,
                    boxes=_stored_box(page, places[column] if column < len(places) else None),
                )
            )
    return cells


def _stored_box(page: int | None, box: tuple[float, float, float, float] | None) -> list[list[float]] | None:
    return None if page is None or box is None else [[page, *(round(value, 5) for value in box)]]
