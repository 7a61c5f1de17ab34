"""Questions over many reports answered by templates: top-k, threshold, count, average or sum, list.

Each company contributes one value: the metric or formula asked, evaluated on its consolidated
cells of the year asked (:func:`ragkb.answer.table_cells.evaluate`). A threshold applies to the
value it can measure (超过50亿元 to an amount, 超过10% to a ratio); "同比下降", "增加的公司" and "为负
（亏损）" are conditions on the change from the year before or on the sign (a loss is the
profit's: :attr:`~ragkb.tables.question.QuestionAnalysis.loss`). With a language model
server configured, :mod:`ragkb.answer.nl2sql` is tried first and these templates are its fallback.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from ragkb.answer import nl2sql
from ragkb.answer.table_cells import Cell, Citations, TableAnswer, TableSource, evaluate, latest_year
from ragkb.answer.table_text import display_name, lower_first, measure
from ragkb.llms import Generator
from ragkb.tables.companies import Company
from ragkb.tables.formulas import Computation, Formula, change, format_result, formula, growth
from ragkb.tables.metrics import metric
from ragkb.tables.numbers import find_numbers
from ragkb.tables.question import QuestionAnalysis, Threshold

_GROWTH = re.compile(r"增长率|增速|增幅|growth\s+rate|\bgrowth\b", re.IGNORECASE)
_NEGATIVE = re.compile(r"为负|负数|亏损|小于零|低于零|\bnegative\b|\bnet\s+loss|\bloss-making\b|\ba\s+loss\b", re.IGNORECASE)
_AGAINST_LAST_YEAR = (
    r"(?:同比|较上年|比上年|与上年相比|与\d{4}年相比|相比|year[-\s]on[-\s]year|compared\s+with|than\s+in\s+\d{4})"
)
_DOWN = re.compile(
    rf"{_AGAINST_LAST_YEAR}.{{0,40}}(?:下降|减少|下滑|降低|declin|decreas|fell|dropp?ed)|(?:declin|decreas|fell|dropp?ed).{{0,40}}{_AGAINST_LAST_YEAR}",
    re.IGNORECASE,
)
_UP = re.compile(
    rf"{_AGAINST_LAST_YEAR}.{{0,40}}(?:增加|增长|上升|提高|increas|grew|rose)|(?:increas|grew|rose).{{0,40}}{_AGAINST_LAST_YEAR}",
    re.IGNORECASE,
)
_OPS: dict[str, Callable[[float, float], bool]] = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}


def answer(
    analysis: QuestionAnalysis, source: TableSource, known: list[Company], generator: Generator | None
) -> TableAnswer | None:
    """NL2SQL with a model server's generator, else (or when it fails) the templates."""
    if generator is not None and nl2sql.writes_sql(generator):
        made = nl2sql.answer(analysis, source, known, generator)
        if made is not None:
            return made
    return templates(analysis, source, known)


@dataclass
class _Row:
    company: str | None
    file: str
    value: Computation
    cells: list[Cell]
    subject: Computation | None = None
    trend: Computation | None = None


def _target(analysis: QuestionAnalysis) -> Formula | None:
    """What each company is ranked or listed by: the formula named, else the last metric named
    other than the one a loss is asked of (亏损的公司中营业收入最高的: revenue)."""
    if analysis.formulas:
        return formula(analysis.formulas[0].id)
    ranked = [ref for ref in analysis.metrics if ref.id != analysis.loss] or analysis.metrics
    if not ranked:
        return None
    metric_id = ranked[-1].id
    return growth(metric_id) if _GROWTH.search(analysis.question) else measure(metric_id)


def _kind(threshold: Threshold) -> str:
    """What a threshold measures: an amount (元), a ratio (%), or a plain number."""
    numbers = find_numbers(threshold.text)
    return numbers[0].unit.base if numbers else ""


def _subject(analysis: QuestionAnalysis, target: Formula) -> Formula | None:
    """What the threshold applies to: the target when their units agree, else an amount the
    question names (营业收入超过50亿元的公司里，研发费用率最高的)."""
    threshold = analysis.statistics.threshold if analysis.statistics else None
    if threshold is None:
        return None
    kind = _kind(threshold)
    if not kind or (kind == "元" and target.unit == "元") or (kind == "ratio" and target.unit in ("%", "ratio")):
        return target
    wanted = "元" if kind == "元" else "%"
    for ref in analysis.metrics:
        if metric(ref.id).unit == wanted:
            return measure(ref.id)
    return None


def _trend(analysis: QuestionAnalysis, target: Formula) -> tuple[Formula | None, str | None]:
    """A condition on the change from last year ("同比下降": ``<``) or on the sign: of the profit a
    loss is asked of ("亏损": net profit below zero), or of the target ("为负": ``neg``)."""
    question = analysis.question
    base = target.operands[0].metric if len(target.operands) == 1 else None
    if analysis.loss is not None:
        return (None if analysis.loss == base else measure(analysis.loss)), "neg"
    if _NEGATIVE.search(question):
        return None, "neg"
    if base is not None and _DOWN.search(question):
        return change(base), "<"
    if base is not None and _UP.search(question):
        return change(base), ">"
    return None, None


def templates(analysis: QuestionAnalysis, source: TableSource, known: list[Company]) -> TableAnswer | None:
    statistics = analysis.statistics
    target = _target(analysis)
    if statistics is None or target is None:
        return None
    subject = _subject(analysis, target)
    if statistics.threshold is not None and subject is None:
        return None
    trend, condition = _trend(analysis, target)
    wording = _Wording(analysis, known, target, subject, condition)
    formulas = [f for f in (target, subject, trend) if f is not None]
    cells = source.cells(metrics=list(dict.fromkeys(ref.metric for f in formulas for ref in f.operands)))
    year = analysis.year or latest_year(cells, [ref.metric for ref in target.operands if ref.period == "this"])
    if year is None:
        return None
    rows, missing = _rows(analysis, cells, year, target, subject, trend)
    if not rows:
        return None
    kept = [row for row in rows if _passes(row, statistics.threshold, condition)]
    return wording.text(year, kept, missing)


def _rows(
    analysis: QuestionAnalysis, cells: list[Cell], year: int, target: Formula, subject: Formula | None, trend: Formula | None
) -> tuple[list[_Row], int]:
    """Each company's values (its cells grouped by company), and how many companies lacked one."""
    companies: dict[str, list[Cell]] = {}
    for cell in cells:
        companies.setdefault(cell.company or cell.file, []).append(cell)
    rows, missing = [], 0
    for own in companies.values():
        made = {}
        used: list[Cell] = []
        for key, chosen in (("value", target), ("subject", subject), ("trend", trend)):
            if chosen is None:
                continue
            computation, cited = evaluate(chosen, own, year, "consolidated", analysis.language, analysis.rounding)
            made[key] = computation
            used += [cell for cell in cited if cell not in used]
        if any(c.value is None for c in made.values()):
            missing += 1
            continue
        rows.append(_Row(own[0].company, own[0].file, made["value"], used, made.get("subject"), made.get("trend")))
    return rows, missing


def _passes(row: _Row, threshold: Threshold | None, condition: str | None) -> bool:
    if threshold is not None and row.subject is not None and not _OPS[threshold.op](row.subject.value or 0.0, threshold.value):
        return False
    if condition == "neg":
        return ((row.trend or row.value).value or 0.0) < 0
    if condition and row.trend is not None:
        return _OPS[condition](row.trend.value or 0.0, 0.0)
    return True


_CONDITIONS = {
    "zh": {"neg": "为负", "<": "同比下降", ">": "同比增加", "loss": "为负（亏损）"},
    "en": {
        "neg": "negative",
        "<": "lower than the year before",
        ">": "higher than the year before",
        "loss": "below zero (a net loss)",
    },
}


class _Wording:
    """The answer's sentences for each shape, with a marker after each company's value."""

    def __init__(
        self, analysis: QuestionAnalysis, known: list[Company], target: Formula, subject: Formula | None, condition: str | None
    ):
        self.analysis, self.known, self.target, self.subject = analysis, known, target, subject
        self.zh = analysis.language == "zh"
        self.language = analysis.language
        self.condition = _CONDITIONS[self.language].get("loss" if analysis.loss else condition or "", "")
        self.citations = Citations(analysis.language)
        self.name = target.name(self.language)
        self.year = 0

    def _item(self, row: _Row) -> str:
        who = display_name(row.company, self.known) or Path(row.file).name
        markers = self.citations.markers(row.cells)
        return f"{who}（{row.value.display}）{markers}" if self.zh else f"{who} ({row.value.display}) {markers}"

    def _listing(self, rows: list[_Row]) -> str:
        return ("、" if self.zh else ", ").join(self._item(row) for row in rows)

    def _threshold(self) -> str:
        """ "营业收入超过 50亿元" / "operating revenue above rmb 5 billion": the threshold asked; or
        "净利润为负（亏损）" when a loss is asked of another metric than the target; or ""."""
        threshold = self.analysis.statistics.threshold if self.analysis.statistics else None
        if threshold is not None and self.subject is not None:
            name, condition = self.subject.name(self.language), threshold.text
        elif self.analysis.loss is not None and self.analysis.loss != self.target.id:
            name, condition = metric(self.analysis.loss).name(self.language), self.condition
        else:
            return ""
        return f"{name}{condition}" if self.zh else f"{lower_first(name)} {condition}"

    def text(self, year: int, kept: list[_Row], missing: int) -> TableAnswer:
        statistics = self.analysis.statistics
        assert statistics is not None
        self.year = year
        descending = sorted(kept, key=lambda row: row.value.value or 0.0, reverse=True)
        if statistics.shape == "top_k":
            ranked = descending[::-1] if statistics.order == "asc" else descending
            listed = ranked[: statistics.k or 1]
            lines = [self._top(listed)]
        elif statistics.shape == "aggregate":
            listed = kept
            lines = [self._aggregate(listed)]
        else:
            listed = descending
            lines = [self._count(listed)]
        if missing:
            lines.append(
                f"（另有 {missing} 家公司缺少所需数据，未计入。）"
                if self.zh
                else f"({missing} more companies lack the figures and are left out.)"
            )
        computations = [row.value for row in listed if len(self.target.operands) > 1]
        return TableAnswer("\n".join(lines), "statistics", self.citations.cited, computations)

    def _top(self, rows: list[_Row]) -> str:
        lowest = self.analysis.statistics is not None and self.analysis.statistics.order == "asc"
        among = self._threshold()
        if self.zh:
            among = f"{among}的公司中，" if among else ""
            count = f"{len(rows)}家" if len(rows) > 1 else ""
            return f"{among}{self.year}年{self.name}{'最低' if lowest else '最高'}的{count}公司是：{self._listing(rows)}。"
        among = f"Among the companies with {among}, t" if among else "T"
        which = "lowest" if lowest else "highest"
        count = f"{len(rows)} companies" if len(rows) > 1 else "company"
        return f"{among}he {count} with the {which} {lower_first(self.name)} in {self.year}: {self._listing(rows)}."

    def _count(self, rows: list[_Row]) -> str:
        if self.zh:
            what = self._threshold() or f"{self.name}{self.condition}"
            return f"{len(rows)} 家公司{self.year}年{what}：{self._listing(rows) or '无'}。"
        what = self._threshold() or f"{lower_first(self.name)} {self.condition}".strip()
        many = "company" if len(rows) == 1 else "companies"
        return f"{len(rows)} {many} had {what} in {self.year}: {self._listing(rows) or 'none'}."

    def _aggregate(self, rows: list[_Row]) -> str:
        values = [Decimal(str(row.value.value)) for row in rows]
        mean = self.analysis.statistics is not None and self.analysis.statistics.aggregate == "avg"
        result = sum(values, Decimal(0)) / len(values) if mean and values else sum(values, Decimal(0))
        shown = format_result(result, self.target.unit, self.analysis.rounding, self.language)
        if self.zh:
            return f"{self.year}年{self.name}的{'平均值' if mean else '合计'}为 {shown}（{len(rows)} 家公司：{self._listing(rows)}）。"
        which = "average" if mean else "total"
        return f"The {which} {lower_first(self.name)} in {self.year} was {shown} ({len(rows)} companies: {self._listing(rows)})."
