"""Spreadsheets (.csv, .xlsx) as Markdown tables, plus the Markdown table renderer other loaders share.

Rows go out in groups of :data:`ROWS_PER_BLOCK`, each group its own table block that repeats
the header row, so no chunk ever holds half a row or rows without their column names. Each
sheet (a CSV file: its one sheet) is also one :class:`~ragkb.models.ExtractedTable`, titled by
the sheet's name (the file's name).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from pathlib import Path

from openpyxl import load_workbook

from ragkb.ingest.encoding import read_text
from ragkb.ingest.tables import extracted_table
from ragkb.models import Block, ExtractedTable, ParsedDocument

ROWS_PER_BLOCK = 20
_SNIFF_CHARS = 64 * 1024
_WHITESPACE = re.compile(r"\s+")


def markdown_table(rows: Iterable[Sequence[object]]) -> str:
    """Render rows (the first is the header) as a Markdown table; empty rows are dropped.

    Cells are flattened to one line with ``|`` escaped; trailing empty columns are dropped and
    short rows padded.
    """
    cells = [_trimmed([cell_text(value).replace("|", "\\|") for value in row]) for row in rows]
    cells = [row for row in cells if row]
    if not cells:
        return ""
    width = max(len(row) for row in cells)
    lines = ["| " + " | ".join(row + [""] * (width - len(row))) + " |" for row in cells]
    lines.insert(1, "|" + " --- |" * width)
    return "\n".join(lines)


def table_blocks(rows: Sequence[Sequence[object]], page: int | None = None) -> list[Block]:
    """The first non-empty row as header, then the rest in groups that each repeat it."""
    rows = [row for row in rows if any(cell_text(value) for value in row)]
    if not rows:
        return []
    header, body = rows[0], rows[1:]
    groups = [body[i : i + ROWS_PER_BLOCK] for i in range(0, len(body), ROWS_PER_BLOCK)] or [[]]
    return [Block(markdown_table([header, *group]), "table", page=page) for group in groups]


def _trimmed(row: list[str]) -> list[str]:
    while row and not row[-1]:
        row.pop()
    return row


def cell_text(value: object) -> str:
    """A cell's value as one line of text (dates in ISO form, whole floats without ".0")."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, datetime) and value.time() == time(0):
        value = value.date()
    if isinstance(value, (date, time)):
        value = value.isoformat()
    return _WHITESPACE.sub(" ", str(value)).strip()


def load_csv(path: Path) -> ParsedDocument:
    text = read_text(path)
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:_SNIFF_CHARS], delimiters=",;\t|")
    except csv.Error:  # one column, or too irregular to guess: plain commas
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO(text, newline=""), dialect))
    return ParsedDocument(table_blocks(rows), loader="csv", tables=_tables(rows, path.stem))


def load_xlsx(path: Path) -> ParsedDocument:
    workbook = load_workbook(path, read_only=True, data_only=True)
    blocks: list[Block] = []
    extracted: list[ExtractedTable] = []
    try:
        for sheet in workbook.worksheets:
            rows = [list(row) for row in sheet.iter_rows(values_only=True)]
            tables = table_blocks(rows)
            if tables:
                blocks.append(Block(sheet.title, "heading", 1))
                blocks.extend(tables)
                extracted.extend(_tables(rows, sheet.title))
    finally:
        workbook.close()
    return ParsedDocument(blocks, loader="xlsx", tables=extracted)


def _tables(rows: Sequence[Sequence[object]], title: str) -> list[ExtractedTable]:
    table = extracted_table([[cell_text(value) for value in row] for row in rows], title=title)
    return [table] if table else []
