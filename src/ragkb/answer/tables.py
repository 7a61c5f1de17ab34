"""Answers computed from table cells: lookups, formulas, comparisons and statistics.

:func:`ragkb.tables.question.analyze` says what a question asks; :class:`TableAnswerer` answers the
table routes from the KB's table store: a lookup states the cell, a calculation evaluates the
formula in code (:func:`ragkb.tables.formulas.compute`) and shows it with its operands, a
comparison states the change and the growth, and a question over many reports is answered by
NL2SQL when a language model server is configured (:mod:`ragkb.answer.nl2sql`) or else by
templates (:mod:`ragkb.answer.table_statistics`). Every number cites its cell (file, page, row,
column). Whatever it cannot answer for sure (a quarter, a missing cell, no company named among
several) is ``None``, and the text answer is given instead.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from decimal import Decimal

import numpy as np
from sqlalchemy import select

from ragkb.answer import table_statistics
from ragkb.answer.table_cells import Cell, Citations, TableAnswer, TableSource, evaluate, latest_year, pick
from ragkb.answer.table_text import cell_value, describe, display_name, lower_first, measure
from ragkb.catalog.schema import DocTableRow
from ragkb.index.language import detect_language
from ragkb.index.tables import TableStore
from ragkb.kb import KnowledgeBase
from ragkb.llms import Generator
from ragkb.tables.companies import Company
from ragkb.tables.formulas import Abs, Computation, Expr, Formula, Op, Ref, change, format_result, formula, growth
from ragkb.tables.metrics import metric
from ragkb.tables.question import QuestionAnalysis, Route, analyze
from ragkb.tables.statements import Scope, classify_statement

log = logging.getLogger("ragkb.answer")

_PART_OF_YEAR = re.compile(
    r"第?[一二三四1-4]季度|\bQ[1-4]\b|(?:first|second|third|fourth)\s+quarter|上半年|下半年|半年度|\bhalf[-\s]year|\binterim\b",
    re.IGNORECASE,
)
"""A quarter or half year: the annual columns do not answer it."""
_TIMES = re.compile(r"多少倍|几倍|倍数|\bhow\s+many\s+times\b|\bmultiple\s+of\b", re.IGNORECASE)
_SHARE = re.compile(r"占.{0,20}(?:比例|比重|百分比)|\bas\s+a\s+(?:percentage|share)\s+of\b", re.IGNORECASE)


class KBTables:
    """A knowledge base's table store (:class:`ragkb.index.tables.TableStore`), each read in a snapshot."""

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self.store = TableStore()

    def any(self) -> bool:
        """Whether the KB holds any table (most do not: their questions skip the table route)."""
        with self.kb.catalog.snapshot() as session:
            return session.scalar(select(DocTableRow.id).where(DocTableRow.kb_id == self.kb.id).limit(1)) is not None

    def companies(self) -> list[Company]:
        with self.kb.catalog.snapshot() as session:
            return self.store.companies(session, self.kb.id)

    def cells(self, *, metrics: list[str], companies: list[str] | None = None) -> list[Cell]:
        with self.kb.catalog.snapshot() as session:
            return list(self.store.cells(session, self.kb.id, metrics=metrics, companies=companies))

    def similarity(self, question: str, texts: list[str]) -> list[float] | None:
        context = self.kb.context
        embedder = context.embedder
        if embedder is None or detect_language(question) not in context.embedder_languages:
            return None
        key = (context.settings.embedder, tuple(texts))
        if key not in _TEXT_VECTORS:  # the metric names: embedded once a process, not per question
            _TEXT_VECTORS[key] = _unit(embedder.inner.embed([context.passage_prefix + text for text in texts]))
        return [float(cosine) for cosine in _TEXT_VECTORS[key] @ _unit(context.search_vector(question))]


_TEXT_VECTORS: dict[tuple[str, tuple[str, ...]], np.ndarray] = {}


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


class TableAnswerer:
    def __init__(self, source: TableSource, generator: Generator | None = None):
        self.source = source
        self.generator = generator

    def respond(self, question: str, query: str) -> tuple[QuestionAnalysis | None, TableAnswer | None]:
        """The question's analysis and the tables' answer to it; ``(None, None)`` for a KB without
        tables. A failure here is logged and leaves the question to the text answer."""
        try:
            if not self.source.any():
                return None, None
            analysis = self.understand(question, query)
            return analysis, self.answer(analysis)
        except Exception:
            log.exception("the table answer failed; answering from the text")
            return None, None

    def understand(self, question: str, query: str) -> QuestionAnalysis:
        """What ``question`` asks, with the KB's companies; a follow-up that names no metric or
        company ("那2021年呢？") is read from ``query``, the question rewritten with the history."""
        known = self.source.companies()
        analysis = analyze(question, known)
        if query != question and not (analysis.metrics or analysis.formulas or analysis.companies):
            rewritten = analyze(query, known)
            return rewritten.model_copy(update={"question": question})
        return analysis

    def answer(self, analysis: QuestionAnalysis) -> TableAnswer | None:
        """The answer from the tables, or ``None`` when they do not answer the question for sure."""
        if analysis.type == "knowledge":
            return define(analysis, "both")
        if analysis.route == "text" or _PART_OF_YEAR.search(analysis.question):
            return None
        known = self.source.companies()
        if analysis.route == "statistics":
            return table_statistics.answer(analysis, self.source, known, self.generator)
        names = self._companies(analysis, known)
        if not names:
            return _which_company(analysis, known) if analysis.type == "calculation" else None
        scope: Scope = "parent" if classify_statement(analysis.question).scope == "parent" else "consolidated"
        ask = _Asking(analysis, self.source, known, scope)
        if analysis.type == "comparison":
            return ask.compare(names)
        if analysis.type == "calculation" or _quotient(analysis):
            return ask.calculate(names[0])
        if analysis.type == "lookup_table":
            return ask.look_up(names[0])
        return None

    def _companies(self, analysis: QuestionAnalysis, known: list[Company]) -> list[str | None]:
        """The companies asked about: those named, else the KB's one company (``None``: the KB's
        reports name none, so all its cells are one company's); several and none named: ``[]``."""
        if analysis.companies:
            return [mention.name for mention in analysis.companies]
        if len(known) > 1:
            return []
        return [known[0].name] if known else [None]


def define(analysis: QuestionAnalysis, route: Route) -> TableAnswer | None:
    """The definitions of the formulas the question names, from the formula library."""
    lines = [describe(formula(ref.id), analysis.language) for ref in analysis.formulas]
    return TableAnswer("\n".join(lines), route) if lines else None


def _which_company(analysis: QuestionAnalysis, known: list[Company]) -> TableAnswer | None:
    """A calculation asked of no company in a KB of several reports: the formula, and which
    company and year to name so that it can be computed."""
    defined = define(analysis, "table")
    if defined is None:
        return None
    names = "、".join(display_name(company.name, known) for company in known[:_LISTED])
    more = len(known) > _LISTED
    if analysis.language == "zh":
        ask = f"知识库中有 {len(known)} 家公司的报告（{names}{'等' if more else ''}），请指明公司和年度，以便按上式计算。"
    else:
        listed = ", ".join(display_name(company.name, known) for company in known[:_LISTED])
        ask = f"The knowledge base holds the reports of {len(known)} companies ({listed}{', …' if more else ''}); name the company and the year to compute it."
    defined.text = f"{defined.text}\n{ask}"
    return defined


_LISTED = 5


_PERIOD_END = re.compile(r"期末|年末|period[-\s]end|year[-\s]end|at\s+the\s+end", re.IGNORECASE)
_ATTRIBUTABLE = {"equity_total": "equity_parent", "net_profit": "net_profit_parent"}
"""Operands a question may ask for as the part attributable to the parent's shareholders."""


def _substituted(expr: Expr, names: dict[str, str]) -> Expr:
    if isinstance(expr, Ref):
        return Ref(names.get(expr.metric, expr.metric), expr.period)
    if isinstance(expr, Abs):
        return Abs(_substituted(expr.inner, names))
    if isinstance(expr, Op):
        return Op(expr.symbol, _substituted(expr.left, names), _substituted(expr.right, names))
    return expr


def _asked(chosen: Formula, analysis: QuestionAnalysis) -> Formula:
    """The formula as the question defines it: ROE on period-end equity when it says 期末, and on
    the figures attributable to the parent's shareholders when it names them (归属于上市公司股东的净资产)."""
    if chosen.id == "roe" and _PERIOD_END.search(analysis.question):
        chosen = formula("roe_end")
    named = {ref.id for ref in analysis.metrics}
    if named & set(_ATTRIBUTABLE.values()) and {ref.metric for ref in chosen.operands} & set(_ATTRIBUTABLE):
        chosen = replace(chosen, expression=_substituted(chosen.expression, _ATTRIBUTABLE))
    return chosen


def _quotient(analysis: QuestionAnalysis) -> Formula | None:
    """ "A是B的多少倍" / "A占B的比例": the ratio of the two metrics the question names."""
    if analysis.formulas or len(analysis.metrics) != 2:
        return None
    percent = bool(_SHARE.search(analysis.question))
    if not percent and not _TIMES.search(analysis.question):
        return None
    a, b = (metric(ref.id) for ref in analysis.metrics)
    return Formula(
        f"ratio:{a.id}:{b.id}",
        f"{a.zh}与{b.zh}之比",
        f"{a.en} to {lower_first(b.en)}",
        Ref(a.id) / Ref(b.id),
        "%" if percent else "ratio",
    )


class _Asking:
    """One question about one or two companies, answered from their cells."""

    def __init__(self, analysis: QuestionAnalysis, source: TableSource, known: list[Company], scope: Scope):
        self.analysis = analysis
        self.source = source
        self.known = known
        self.scope = scope
        self.zh = analysis.language == "zh"
        self.citations = Citations(analysis.language)

    def _cells(self, metric_ids: list[str], company: str | None) -> list[Cell]:
        return self.source.cells(metrics=metric_ids, companies=[company] if company else None)

    def _who(self, company: str | None) -> str:
        return display_name(company, self.known)

    def _year(self, cells: list[Cell], metric_ids: list[str]) -> int | None:
        return self.analysis.year or latest_year(cells, metric_ids)

    def _done(self, lines: list[str], computations: list[Computation] | None = None) -> TableAnswer:
        route: Route = "both" if self.analysis.route == "both" else "table"
        return TableAnswer("\n".join(lines), route, self.citations.cited, computations or [])

    def look_up(self, company: str | None) -> TableAnswer | None:
        ids = [ref.id for ref in self.analysis.metrics]
        cells = self._cells(ids, company)
        year = self._year(cells, ids)
        if year is None:
            return None
        lines = []
        for metric_id in dict.fromkeys(ids):
            cell = pick(cells, metric_id, year, self.scope)
            if cell is None:
                return None
            name = metric(metric_id).name(self.analysis.language)
            shown = cell_value(cell, self.analysis.rounding, self.analysis.language)
            marker = self.citations.marker(cell)
            who = self._who(company)
            loss = None if metric_id != self.analysis.loss or cell.value is None else cell.value < 0
            if self.zh:
                verdict = "" if loss is None else "，亏损" if loss else "，未亏损"
                lines.append(f"{who}{year}年的{name}为 {shown}{marker}{verdict}。")
            else:
                verdict = "" if loss is None else "; a net loss" if loss else "; no loss"
                lines.append(f"The {lower_first(name)} of {who or 'the company'} in {year} was {shown} {marker}{verdict}.")
        return self._done(lines)

    def evaluate(self, chosen: Formula, company: str | None, year: int | None = None) -> tuple[Computation, list[Cell]]:
        """``chosen`` for ``company`` in ``year`` (the year asked or the latest), and the cells used."""
        cells = self._cells(list(dict.fromkeys(ref.metric for ref in chosen.operands)), company)
        return evaluate(chosen, cells, year or self.analysis.year, self.scope, self.analysis.language, self.analysis.rounding)

    def calculate(self, company: str | None) -> TableAnswer | None:
        chosen = [_asked(formula(ref.id), self.analysis) for ref in self.analysis.formulas]
        chosen = chosen or [f for f in [_quotient(self.analysis)] if f]
        lines, computations = [], []
        who = self._who(company)
        for each in chosen:
            computation, used = self.evaluate(each, company)
            if computation.error or computation.value is None:
                return None
            computations.append(computation)
            year = next((o.year for o in computation.operands if o.period == "this"), None)
            markers = self.citations.markers(used)
            note = each.note_zh if self.zh else each.note_en
            if self.zh:
                lines.append(f"{who}{year}年的{computation.name}为 {computation.display}{markers}。")
                lines.append(f"计算：{computation.expression}" + (f"（{note}）" if note else ""))
            else:
                lines.append(
                    f"The {lower_first(computation.name)} of {who or 'the company'} in {year} was {computation.display} {markers}."
                )
                lines.append(f"Calculation: {computation.expression}" + (f" ({note})" if note else ""))
        return self._done(lines, computations) if lines else None

    def compare(self, companies: list[str | None]) -> TableAnswer | None:
        if len(companies) >= 2:
            return self._compare_companies(companies)
        years = sorted(set(self.analysis.years))
        if len(years) > 2 or (len(years) == 2 and years[1] - years[0] != 1):
            return None  # the formulas compare a year with the one before
        lines, computations = [], []
        for ref in self.analysis.metrics:
            made = self._compare_years(ref.id, companies[0])
            if made is None:
                return None
            lines += made[0]
            computations += made[1]
        return self._done(lines, computations) if lines else None

    def _compare_years(self, metric_id: str, company: str | None) -> tuple[list[str], list[Computation]] | None:
        changed, used = self.evaluate(change(metric_id), company)
        if changed.error or changed.value is None:
            return None
        grew, _ = self.evaluate(growth(metric_id), company)
        now, before = (next(o for o in changed.operands if o.period == period) for period in ("this", "last"))
        cells = {cell.year: cell for cell in used}
        shown = {o.year: cell_value(cells[o.year], self.analysis.rounding, self.analysis.language) for o in (now, before)}
        markers = {o.year: self.citations.marker(cells[o.year]) for o in (now, before)}
        difference = format_result(abs(Decimal(str(changed.value))), changed.unit, self.analysis.rounding, self.analysis.language)
        who, name = self._who(company), metric(metric_id).name(self.analysis.language)
        up = changed.value > 0
        rate = grew.display if not grew.error else None
        if self.zh:
            verb = "增加" if up else ("减少" if changed.value < 0 else "持平")
            head = f"与{before.year}年相比，{who}{now.year}年的{name}{verb}了 {difference}：{now.year}年为 {shown[now.year]}{markers[now.year]}，{before.year}年为 {shown[before.year]}{markers[before.year]}"
            lines = [head + (f"，增长率 {rate}。" if rate else "。"), f"计算：{changed.expression}"]
        else:
            verb = "increased" if up else ("decreased" if changed.value < 0 else "stayed the same")
            head = f"Compared with {before.year}, the {lower_first(name)} of {who or 'the company'} {verb} by {difference} in {now.year}: {shown[now.year]} {markers[now.year]} against {shown[before.year]} {markers[before.year]}"
            lines = [head + (f" (growth rate {rate})." if rate else "."), f"Calculation: {changed.expression}"]
        if rate:
            lines.append(("计算：" if self.zh else "Calculation: ") + grew.expression)
        return lines, [changed] + ([grew] if rate else [])

    def _compare_companies(self, companies: list[str | None]) -> TableAnswer | None:
        named = [formula(ref.id) for ref in self.analysis.formulas] or [measure(ref.id) for ref in self.analysis.metrics[:1]]
        if not named:
            return None
        chosen = named[0]
        results = []
        for company in companies:
            computation, used = self.evaluate(chosen, company, self.analysis.year)
            if computation.error or computation.value is None:
                return None
            results.append((company, computation, used))
        lower = self.analysis.comparison == "lower"
        best = (min if lower else max)(results, key=lambda item: item[1].value or 0.0)
        parts = [
            f"{self._who(c)}{'的' if self.zh else ' '}{'' if self.zh else 'was '}{r.display}{self.citations.markers(u)}"
            for c, r, u in results
        ]
        name = chosen.name(self.analysis.language)
        year = self.analysis.year or next((o.year for o in best[1].operands if o.year), None)
        if self.zh:
            which = "更低" if lower else "更高"
            text = f"{year}年{name}：" + "，".join(parts) + f"；{self._who(best[0])}{which}。"
        else:
            which = "lower" if lower else "higher"
            text = f"{chosen.name('en')} in {year}: " + "; ".join(parts) + f". {self._who(best[0])} is {which}."
        computations = [r for _, r, _ in results if r.formula == chosen.id and len(chosen.operands) > 1]
        lines = [text] + [("计算：" if self.zh else "Calculation: ") + r.expression for r in computations]
        return self._done(lines, computations)
