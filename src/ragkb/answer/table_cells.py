"""Which table cell holds a figure, and how a computed answer cites it.

A report prints one figure in several tables: 主要会计数据和财务指标 (key figures), the consolidated
statement, the parent company's statement (母公司, another figure), and the next year's report
prints it again as its comparative column. :func:`pick` chooses the cell a reader means: the scope
asked (consolidated unless the question says 母公司), from the report of that year ("this year"
column) before a later report's comparative column, from the metric's own statement before key
figures before any other table (a quarterly or segment table reuses row labels).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from ragkb.models import Answer, Citation, CitedCell, PageBox
from ragkb.tables.companies import Company
from ragkb.tables.formulas import Computation, Formula, Language, Period, compute
from ragkb.tables.metrics import metric
from ragkb.tables.numbers import Rounding, find_unit
from ragkb.tables.question import Route
from ragkb.tables.statements import Scope
from ragkb.tables.text import fold


class Cell(Protocol):
    """A table cell as the table store gives it (:class:`ragkb.models.TableCell`)."""

    file: str
    file_id: int | None
    page: int | None
    boxes: list[PageBox]
    row_label: str
    column_header: str
    raw_text: str
    value: float | None
    unit: str | None
    metric: str | None
    year: int | None
    period: str | None
    scope: str | None
    statement: str | None
    company: str | None


class TableSource(Protocol):
    """The KB's table store as answers read it."""

    def any(self) -> bool: ...

    def companies(self) -> list[Company]: ...

    def cells(self, *, metrics: list[str], companies: list[str] | None = None) -> list[Cell]: ...

    def similarity(self, question: str, texts: list[str]) -> list[float] | None:
        """Cosine similarity of the question with each text by the KB's embedder; ``None`` when the
        KB has none or it does not read the question's language."""
        ...


@dataclass
class TableAnswer:
    """An answer from the tables: its text (with [n] markers), the cells cited, what was computed."""

    text: str
    route: Route
    citations: list[Citation] = field(default_factory=list)
    computations: list[Computation] = field(default_factory=list)
    sql: str | None = None


def _rank(cell: Cell) -> tuple[int, int, int]:
    own = metric(cell.metric).statement if cell.metric else None
    statement = 0 if cell.statement == own else 1 if cell.statement == "key_figures" else 2 if cell.statement else 3
    return (0 if cell.period == "this" else 1, statement, cell.page or 0)


def pick(cells: Iterable[Cell], metric_id: str, year: int, scope: Scope = "consolidated") -> Cell | None:
    """The cell holding ``metric_id`` of ``year`` in ``scope``: a table that says consolidated
    first, then one that does not say, unless its file states the metric in a consolidated table
    (for another year: then an untitled table with the row is more likely the parent company's);
    a parent company's figure only when it is asked for."""
    cells = [c for c in cells if c.metric == metric_id]
    fitting = [c for c in cells if c.year == year and c.value is not None]
    if scope == "parent":
        fitting = [c for c in fitting if c.scope == "parent"]
    else:
        stated = {c.file for c in cells if c.scope == "consolidated"}
        fitting = [c for c in fitting if c.scope == "consolidated" or (c.scope is None and c.file not in stated)]
    if not fitting:
        return None
    return min(fitting, key=lambda c: (c.scope != scope, *_rank(c)))


def latest_year(cells: Iterable[Cell], metric_ids: Iterable[str]) -> int | None:
    """The latest year that a report states as its own ("this year" column) for the metrics."""
    wanted = set(metric_ids)
    years = [c.year for c in cells if c.metric in wanted and c.year is not None and c.period in ("this", None)]
    return max(years) if years else None


def value(cell: Cell) -> Decimal:
    """The cell's value (base unit) as a Decimal, exactly as the float prints."""
    return Decimal(str(cell.value))


def printed_text(cell: Cell) -> str:
    """The cell as the page prints it, with its table's unit line when the cell has no unit."""
    raw = fold(cell.raw_text)
    unit = getattr(cell, "table_unit", None)
    return f"{raw} {unit}" if unit and find_unit(raw) is None and not raw.endswith(unit) else raw


def evaluate(
    chosen: Formula, cells: list[Cell], year: int | None, scope: Scope, language: Language, rounding: Rounding
) -> tuple[Computation, list[Cell]]:
    """``chosen`` on the cells of one company for ``year`` (``None``: the latest the cells state),
    and the cells it used: "this" operands from ``year``, "last" ones from the year before."""
    year = year or latest_year(cells, [ref.metric for ref in chosen.operands if ref.period == "this"])
    used: list[Cell] = []
    values: dict[tuple[str, Period], Decimal | float | None] = {}
    for ref in chosen.operands:
        cell = pick(cells, ref.metric, year if ref.period == "this" else year - 1, scope) if year is not None else None
        if cell is not None:
            used.append(cell)
            values[(ref.metric, ref.period)] = value(cell)
    return compute(chosen, values, year=year, language=language, rounding=rounding), used


_STATEMENTS = {
    "zh": {
        "balance_sheet": "资产负债表",
        "income_statement": "利润表",
        "cash_flow": "现金流量表",
        "equity_changes": "所有者权益变动表",
        "key_figures": "主要会计数据和财务指标",
    },
    "en": {
        "balance_sheet": "Balance sheet",
        "income_statement": "Income statement",
        "cash_flow": "Cash flow statement",
        "equity_changes": "Statement of changes in equity",
        "key_figures": "Key accounting data",
    },
}
_SCOPES = {
    "zh": {"consolidated": "合并", "parent": "母公司"},
    "en": {"consolidated": "Consolidated ", "parent": "Parent company "},
}


def table_name(cell: Cell, language: str) -> str:
    """The table a cell is in, as a citation names it: its title, else its statement kind."""
    title = getattr(cell, "title", None)
    if title:
        return str(title)
    if cell.statement is None:
        return "表格" if language == "zh" else "Table"
    name = _STATEMENTS[language][cell.statement]
    scope = _SCOPES[language].get(cell.scope or "", "") if cell.statement != "key_figures" else ""
    return scope + (name if language == "zh" or not scope else name[0].lower() + name[1:])


def cite(cell: Cell, number: int, language: str) -> Citation:
    """A citation of ``cell`` as source ``[number]``: file, page, table, and row | column: text;
    the file's id and the cell's box on its page when the table store knows them."""
    return Citation(
        number=number,
        file=cell.file,
        page=cell.page,
        section=[table_name(cell, language)],
        quote=f"{cell.row_label} | {cell.column_header}: {printed_text(cell)}",
        chunk_id=None,
        cell=CitedCell.model_validate(cell, from_attributes=True),
        file_id=cell.file_id,
        boxes=list(cell.boxes),
    )


class Citations:
    """The cells an answer cites, each numbered once in the order first used."""

    def __init__(self, language: str, start: int = 1):
        self.language = language
        self.start = start
        self.cited: list[Citation] = []
        self._numbers: dict[int, int] = {}

    def marker(self, cell: Cell) -> str:
        """``[n]`` for ``cell``, citing it on first use."""
        key = id(cell)
        if key not in self._numbers:
            number = self.start + len(self.cited)
            self._numbers[key] = number
            self.cited.append(cite(cell, number, self.language))
        return f"[{self._numbers[key]}]"

    def markers(self, cells: Iterable[Cell]) -> str:
        return "".join(self.marker(cell) for cell in cells)


def renumbered(table: TableAnswer, offset: int) -> TableAnswer:
    """``table`` with its sources numbered from ``offset + 1`` (it follows a text answer's sources)."""
    if not offset:
        return table
    text = re.sub(r"\[(\d+)\]", lambda found: f"[{int(found.group(1)) + offset}]", table.text)
    citations = [c.model_copy(update={"number": c.number + offset}) for c in table.citations]
    return TableAnswer(text, table.route, citations, table.computations, table.sql)


def sources_text(answer: Answer) -> str:
    """The table cells an answer cites as lines of plain text ("来源：" / "Sources:", then
    "[n] file, table: row | column: text"), for front ends that show text only (``/v1``); "" if none."""
    cells = [c for c in answer.citations if c.cell is not None]
    if not cells:
        return ""
    head = "来源：" if answer.analysis is not None and answer.analysis.language == "zh" else "Sources:"
    return "\n".join([head, *(f"[{c.number}] {c.label}: {c.quote}" for c in cells)])
