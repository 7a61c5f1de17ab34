"""Statistics questions answered by SQL that a language model writes (NL2SQL).

The model sees one small table, ``financials``: a row per company and year, and only the metric
columns the question needs (those it names, the operands of the formulas it names, the metrics
whose names are closest to its words by jieba words and edit distance, and, when the KB's
embedder reads the question, the few whose names are closest to it in meaning: "paid the most
tax" finds 税金及附加 and 所得税费用, which share no word with it). The table is built
for the question in a private in-memory SQLite database from the KB's table store (each value the
consolidated cell :func:`ragkb.answer.table_cells.pick` chooses), and the model's SQL runs there
through :mod:`ragkb.answer.sql_guard`: one read-only SELECT, time and row limits. Anything that
goes wrong (the server, the SQL, no rows where some were expected) gives ``None``, and the
templates answer instead. ``ragkb eval sql`` (:mod:`ragkb.eval.sql`) scores :func:`write_sql` by
execution accuracy: its SQL's result against a gold SQL's, both run on the same table.
"""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from decimal import Decimal
from functools import lru_cache

from ragkb.answer.sql_guard import Result, UnsafeSQL, check_select, run_select
from ragkb.answer.table_cells import Cell, Citations, TableAnswer, TableSource, pick
from ragkb.answer.table_text import display_name
from ragkb.errors import RagkbError
from ragkb.llms import Generator
from ragkb.tables.companies import Company
from ragkb.tables.formulas import format_result, formula
from ragkb.tables.metrics import METRICS, Metric, metric
from ragkb.tables.numbers import format_number
from ragkb.tables.question import QuestionAnalysis
from ragkb.tables.text import similarity, squeeze, words

TABLE = "financials"
MAX_COLUMNS = 8
MIN_SIMILARITY = 0.6
MIN_COSINE = 0.3
"""all-MiniLM-L6-v2 puts a paraphrase's metric at 0.33–0.47 ("spent the most on research" →
研发投入 0.33, "paid the most tax" → 税金及附加 0.47) and unrelated ones mostly below 0.3."""
MEANING_COLUMNS = 3
"""At most this many columns found by meaning alone, so the schema stays small."""
ROW_LIMIT = 200
TIMEOUT_S = 2.0
MAX_SQL_TOKENS = 300
SERVER_BACKENDS = ("openai:", "ollama:")


def writes_sql(generator: Generator) -> bool:
    """Only a model server's model is asked for SQL; the bundled tiny models cannot write it."""
    return generator.name.startswith(SERVER_BACKENDS)


@lru_cache(maxsize=256)
def _closeness(question: str, metric_id: str) -> float:
    """How close the question's words come to one of the metric's names (1: it names it)."""
    folded = squeeze(question)
    best = 0.0
    for name in metric(metric_id).names:
        name = squeeze(name)
        if name in folded:
            return 1.0
        best = max([best, *(similarity(word, name) for word in words(folded) if len(word) >= 2)])
    return best


def relevant_metrics(analysis: QuestionAnalysis, source: TableSource | None = None) -> list[str]:
    """The metric columns to show the model: named ones, formula operands, the closest others by
    words, then (with ``source``'s embedder) by meaning."""
    named = [ref.id for ref in analysis.metrics]
    named += [ref.metric for each in analysis.formulas for ref in formula(each.id).operands]
    chosen = list(dict.fromkeys(named))
    scored = sorted(((_closeness(analysis.question, m.id), m.id) for m in METRICS if m.id not in chosen), reverse=True)
    chosen += [metric_id for score, metric_id in scored if score >= MIN_SIMILARITY][: max(0, MAX_COLUMNS - len(chosen))]
    cosines = source.similarity(analysis.question, [m.name(analysis.language) for m in METRICS]) if source else None
    if cosines:
        by_meaning = sorted(zip(cosines, (m.id for m in METRICS), strict=True), reverse=True)
        closest = [metric_id for cosine, metric_id in by_meaning if cosine >= MIN_COSINE and metric_id not in chosen]
        chosen += closest[: min(MEANING_COLUMNS, max(0, MAX_COLUMNS - len(chosen)))]
    return chosen


def _column(measured: Metric, last: bool) -> str:
    unit = {"元": "in 元 (yuan)", "%": "a fraction (12.5% is 0.125)", "元/股": "元 per share", "股": "shares"}[measured.unit]
    return f"  {measured.id} REAL{'' if last else ','} -- {measured.zh} / {measured.en}, {unit}"


def schema(metric_ids: list[str]) -> str:
    """The table's CREATE statement with a comment on each column, as the model sees it."""
    columns = "\n".join(_column(metric(metric_id), i == len(metric_ids) - 1) for i, metric_id in enumerate(metric_ids))
    year = "  year INTEGER" + (", -- fiscal year\n" if metric_ids else " -- fiscal year\n")
    return (
        f"CREATE TABLE {TABLE} (\n  company TEXT, -- full name\n  short_name TEXT, -- short name (股票简称); name companies by it\n"
        f"  stock_code TEXT,\n{year}{columns}\n);"
    )


PROMPT = """You write one SQLite SELECT statement that answers a question about company annual reports.
The only table:

{schema}

One row per company and fiscal year, consolidated figures. Amounts are in 元 (1亿元 = 100000000,
1 billion = 1000000000); ratios are fractions. A missing figure is NULL. Name companies by short_name.
Answer with the SQL only, no explanation.

Question: {question}"""


FinancialsRow = tuple[object, ...]
"""company, short_name, stock_code, year, then one value (``float | None``) per metric column."""


class Financials:
    """A ``financials`` table in a private in-memory database, and the cell behind each value
    (company, metric, year) for the citations when it was read from a KB's table store."""

    def __init__(self, metric_ids: list[str], rows: list[FinancialsRow]):
        self.metric_ids = metric_ids
        self.cells: dict[tuple[str, str, int], Cell] = {}
        self.names: dict[str, str] = {}
        self.connection = sqlite3.connect(":memory:", check_same_thread=False)
        columns = ", ".join(f"{metric_id} REAL" for metric_id in metric_ids)
        self.connection.execute(f"CREATE TABLE {TABLE} (company TEXT, short_name TEXT, stock_code TEXT, year INTEGER, {columns})")
        marks = ", ".join("?" for _ in range(4 + len(metric_ids)))
        self.connection.executemany(f"INSERT INTO {TABLE} VALUES ({marks})", rows)

    @classmethod
    def from_store(cls, source: TableSource, known: list[Company], metric_ids: list[str]) -> Financials:
        """The table of the KB's consolidated cells: a row per company and year it reports."""
        cells_of: dict[tuple[str, str, int], Cell] = {}
        names: dict[str, str] = {}
        by_company: dict[str, list[Cell]] = {}
        for cell in source.cells(metrics=metric_ids):
            by_company.setdefault(cell.company or cell.file, []).append(cell)
        rows: list[FinancialsRow] = []
        for company, cells in by_company.items():
            found = next((c for c in known if c.name == company), None)
            short = display_name(company, known)
            names.update({name: company for name in (company, short, found.code if found else None) if name})
            for year in sorted({cell.year for cell in cells if cell.year is not None}):
                values: list[float | None] = []
                for metric_id in metric_ids:
                    picked = pick(cells, metric_id, year)
                    if picked is not None:
                        cells_of[(company, metric_id, year)] = picked
                    values.append(picked.value if picked is not None else None)
                rows.append((company, short, found.code if found else None, year, *values))
        table = cls(metric_ids, rows)
        table.cells, table.names = cells_of, names
        return table

    def run(self, sql: str) -> Result:
        """``sql`` run through the guard: one read-only SELECT of this table, time and row limits."""
        return run_select(self.connection, sql, frozenset({TABLE}), timeout_s=TIMEOUT_S, row_limit=ROW_LIMIT)

    def close(self) -> None:
        self.connection.close()

    def cited(self, sql: str, rows: list[tuple], years: list[int]) -> list[Cell]:
        """The cells behind the result: of the companies in its rows, the metrics and years its SQL names."""
        companies = list(dict.fromkeys(self.names[v] for row in rows for v in row if isinstance(v, str) and v in self.names))
        named = [m for m in self.metric_ids if re.search(rf"\b{m}\b", sql)]
        asked = [int(y) for y in re.findall(r"\b(?:19|20)\d{2}\b", sql)] or years
        return [self.cells[key] for c in companies for m in named for y in asked if (key := (c, m, y)) in self.cells]


def extract_sql(reply: str) -> str:
    """The SQL in a model's reply: inside a ``` fence if there is one, from its SELECT or WITH on."""
    fenced = re.search(r"```(?:sql)?\s*(.*?)```", reply, re.DOTALL | re.IGNORECASE)
    text = fenced.group(1) if fenced else reply
    start = re.search(r"\b(?:select|with)\b", text, re.IGNORECASE)
    return (text[start.start() :] if start else text).strip()


def write_sql(analysis: QuestionAnalysis, metric_ids: list[str], generator: Generator) -> str:
    """The model's SELECT for the question over a ``financials`` table of ``metric_ids``; raises
    :class:`RagkbError` (the server failed) or :class:`UnsafeSQL` (its reply is not one SELECT)."""
    prompt = PROMPT.format(schema=schema(metric_ids), question=analysis.question)
    reply = "".join(generator.stream([{"role": "user", "content": prompt}], max_tokens=MAX_SQL_TOKENS, temperature=0.0))
    return check_select(extract_sql(reply))


def answer(analysis: QuestionAnalysis, source: TableSource, known: list[Company], generator: Generator) -> TableAnswer | None:
    metric_ids = relevant_metrics(analysis, source)
    if not metric_ids:
        return None
    figures = Financials.from_store(source, known, metric_ids)
    with closing(figures):
        try:
            sql = write_sql(analysis, metric_ids, generator)
            result = figures.run(sql)
        except (RagkbError, UnsafeSQL, sqlite3.Error):
            return None
    if not result.rows or not result.columns:
        return None
    citations = Citations(analysis.language)
    cells = figures.cited(sql, result.rows, [analysis.year] if analysis.year else [])
    markers = citations.markers(cells)
    lines = [_rows_text(result.columns, result.rows, analysis) + (f" {markers}" if markers else "")]
    if result.truncated:
        lines.append(f"（只列出前 {ROW_LIMIT} 行）" if analysis.language == "zh" else f"(the first {ROW_LIMIT} rows)")
    lines.append(("查询：" if analysis.language == "zh" else "Query: ") + sql)
    return TableAnswer("\n".join(lines), "statistics", citations.cited, sql=sql)


_PLAIN_COLUMN = re.compile(r"^(?:(?:sum|avg|min|max|total)\s*\(\s*)?(\w+)\s*\)?$", re.IGNORECASE)


def _shown(value: object, column: str, analysis: QuestionAnalysis) -> str:
    """A result value: an amount or ratio column in the unit and rounding asked, else as it is."""
    if value is None:
        return "—"
    if not isinstance(value, float):
        return str(value)
    plain = _PLAIN_COLUMN.match(column.strip())
    measured = metric(plain.group(1)) if plain and plain.group(1) in {m.id for m in METRICS} else None
    if measured is not None and measured.unit in ("元", "%"):
        return format_result(Decimal(str(value)), measured.unit, analysis.rounding, analysis.language)
    decimals = analysis.rounding.decimals if analysis.rounding.decimals is not None else 2
    return format_number(value, decimals)


def _rows_text(columns: list[str], rows: list[tuple], analysis: QuestionAnalysis) -> str:
    separator = "、" if analysis.language == "zh" else ", "
    shown = [[_shown(value, column, analysis) for value, column in zip(row, columns, strict=False)] for row in rows]
    if len(columns) == 1:
        return separator.join(values[0] for values in shown) + ("。" if analysis.language == "zh" else ".")
    lines = ["；".join(values) if analysis.language == "zh" else "; ".join(values) for values in shown]
    return "\n".join(lines)
