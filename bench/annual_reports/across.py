"""Statistics questions: one question over all the reports of a run (threshold, top-k, count, sum, average).

A question is only asked when its answer is clear from the printed figures: no company within 2 %
of a threshold, a gap of at least 1 % after the k-th company, no growth rate within 0.5 % of zero.
The gold answer is a list of short names (``gold_list``; ordered for top-k) or a number, and the
evidence lists the cells of every company that the answer depends on. Each question also has
``gold_sql``: the SELECT that answers it over ``financials`` (a row per company and year, a column
per metric id, amounts in 元; the table ragkb's NL2SQL writes for), for execution accuracy
(``ragkb eval sql``).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from annual_reports.finance import ratio
from annual_reports.questions import LAST, THIS, TWO, Asker, Question
from annual_reports.report import Report

YI = Decimal(100_000_000)
RAGKB_METRICS = {
    "revenue": "revenue", "cost_of_sales": "operating_cost", "total_cost": "total_operating_cost",
    "taxes_surcharges": "taxes_and_surcharges", "selling_expenses": "selling_expenses", "admin_expenses": "admin_expenses",
    "rd_expenses": "rd_expenses", "financial_expenses": "finance_expenses", "interest_expense": "interest_expense",
    "interest_income": "interest_income", "investment_income": "investment_income", "operating_profit": "operating_profit",
    "non_operating_income": "non_operating_income", "non_operating_expenses": "non_operating_expenses",
    "total_profit": "total_profit", "income_tax": "income_tax", "net_profit": "net_profit", "np_parent": "net_profit_parent",
    "np_deducted": "net_profit_deducted", "minority_profit": "minority_profit", "cash": "cash", "notes_rec": "notes_receivable",
    "accounts_rec": "accounts_receivable", "inventory": "inventory", "current_assets": "current_assets",
    "fixed_assets": "fixed_assets", "total_assets": "total_assets", "st_loans": "short_term_loans",
    "accounts_pay": "accounts_payable", "current_liabilities": "current_liabilities",
    "noncurrent_liabilities": "non_current_liabilities", "total_liabilities": "total_liabilities",
    "share_capital": "share_capital", "total_equity": "equity_total", "equity_parent": "equity_parent",
    "total_liab_equity": "liabilities_and_equity", "cfo": "operating_cash_flow", "cfi": "investing_cash_flow",
    "cff": "financing_cash_flow", "cash_increase": "net_increase_in_cash", "cash_end": "cash_equivalents_end",
}  # fmt: skip
"""The generator's figure keys → ragkb's metric ids (src/ragkb/tables/metrics.py), the column names
of the ``financials`` table that gold SQL and ``financials.jsonl`` use."""
ZERO = Decimal(0)


@dataclass
class Spec:
    """What each company contributes: ``combine`` over ``metrics``, and the same as SQL over the
    ``financials`` row ``f`` (and ``p``, the row of the year before, when ``joins_last_year``)."""

    metrics: list[tuple[str, int]]
    combine: Callable[..., Decimal | None]
    sql: str
    joins_last_year: bool = False

    def source(self, year: int) -> str:
        """The FROM and WHERE of a query over the companies' rows of ``year``."""
        join = " JOIN financials p ON p.company = f.company AND p.year = f.year - 1" if self.joins_last_year else ""
        return f"FROM financials f{join} WHERE f.year = {year}"


@dataclass
class Figure:
    asker: Asker
    value: Decimal
    evidence: list[dict]

    @property
    def name(self) -> str:
        return self.asker.c.short_name


def _figures(askers: list[Asker], spec: Spec) -> list[Figure] | None:
    """Each company's value of the spec (None if one company lacks one of its metrics)."""
    figures = []
    for asker in askers:
        try:
            operands = [asker.operand(metric, year) for metric, year in spec.metrics]
        except LookupError:
            return None
        value = spec.combine(*(exact for exact, _, _ in operands))
        if value is None:
            return None
        figures.append(Figure(asker, value, [e for _, _, ev in operands for e in ev]))
    return figures


def _single(metric: str, year: int) -> Spec:
    return Spec([(metric, year)], lambda value: value, f"f.{RAGKB_METRICS[metric]}")


def _share(a: str, b: str, year: int) -> Spec:
    return Spec(
        [(a, year), (b, year)],
        lambda x, y: Decimal(x) * 100 / Decimal(y) if y else None,
        f"f.{RAGKB_METRICS[a]} * 100.0 / f.{RAGKB_METRICS[b]}",
    )


def _listing(figures: list[Figure], lang: str) -> str:
    return ("、" if lang == "zh" else ", ").join(f.name for f in figures)


def _evidence(figures: list[Figure]) -> list[dict]:
    return [e for f in figures for e in f.evidence]


class Statistics:
    """The statistics questions over one run's reports (each skipped when its answer would not be clear)."""

    def __init__(self, reports: list[Report], rng: random.Random):
        self.askers = [Asker(r.company, r, rng) for r in reports]
        self.n = len(reports)

    def scope(self, lang: str) -> str:
        return f"在全部{self.n}家公司中，" if lang == "zh" else f"Among all {self.n} companies, "

    def listed(
        self, subtype: str, lang: str, question: str, chosen: list[Figure], figures: list[Figure], year: int, sql: str
    ) -> Question:
        answer = _listing(chosen, lang) if chosen else ("没有" if lang == "zh" else "None")
        return Question(
            self.scope(lang) + question,
            "statistics",
            subtype,
            lang,
            answer,
            [answer],
            _evidence(figures),
            year=year,
            gold_list=[f.name for f in chosen],
            extra={"gold_codes": [f.asker.c.code for f in chosen], "gold_sql": sql},
        )

    def threshold(
        self, subtype: str, lang: str, spec: Spec, year: int, candidates: list[tuple[Decimal, str]], template: str
    ) -> Question | None:
        figures = _figures(self.askers, spec)
        if not figures:
            return None
        low = 1 if self.n < 6 else 2
        best: tuple[int, list[Figure], str, Decimal] | None = None
        for limit, words in candidates:
            above = sorted((f for f in figures if f.value > limit), key=lambda f: -f.value)
            clear = all(abs(f.value - limit) >= abs(limit) * Decimal("0.02") for f in figures)
            distance = abs(len(above) - max(low, self.n // 5))  # a short list: about a fifth of the companies
            if clear and low <= len(above) <= self.n - low and (best is None or distance < best[0]):
                best = (distance, above, words, limit)
        if best is None:
            return None
        _, above, words, limit = best
        sql = f"SELECT f.short_name {spec.source(year)} AND {spec.sql} > {limit:f}"
        return self.listed(subtype, lang, template.format(y=year, x=words), above, figures, year, sql)

    def top(self, subtype: str, lang: str, spec: Spec, year: int, k: int, template: str, lowest: bool = False) -> Question | None:
        figures = _figures(self.askers, spec)
        if not figures or len(figures) <= k:
            return None
        ranked = sorted(figures, key=lambda f: f.value if lowest else -f.value)
        gaps = [abs(a.value - b.value) for a, b in itertools.pairwise(ranked[: k + 1])]
        if min(gaps) < abs(ranked[k].value) * Decimal("0.01") or min(gaps) == 0:
            return None  # a near tie would make the order depend on rounding
        sql = f"SELECT f.short_name {spec.source(year)} ORDER BY {spec.sql} {'ASC' if lowest else 'DESC'} LIMIT {k}"
        return self.listed(subtype, lang, template.format(y=year, k=k), ranked[:k], figures, year, sql)

    def count(
        self,
        subtype: str,
        lang: str,
        spec: Spec,
        year: int,
        sign: str,
        template: str,
        margin: Callable[[Decimal], bool] = lambda v: True,
    ) -> Question | None:
        """How many companies' value is below (``sign`` "<") or above (">") zero."""
        figures = _figures(self.askers, spec)
        if not figures or not all(margin(f.value) for f in figures):
            return None
        chosen = sorted((f for f in figures if (f.value < 0 if sign == "<" else f.value > 0)), key=lambda f: -f.value)
        if not chosen:
            return None  # "none" is a poor test of counting
        sql = f"SELECT COUNT(*) {spec.source(year)} AND {spec.sql} {sign} 0"
        question = self.listed(subtype, lang, template.format(y=year, p=year - 1), chosen, figures, year, sql)
        question.answer = f"{len(chosen)}家：{question.answer}" if lang == "zh" else f"{len(chosen)}: {question.answer}"
        question.answers = [f"{len(chosen)}家"] if lang == "zh" else [f"{len(chosen)} companies"]
        question.value, question.unit, question.tolerance = Decimal(len(chosen)), "家", Decimal(0)
        return question

    def total(self, subtype: str, lang: str, spec: Spec, year: int, template: str, mean: bool = False) -> Question | None:
        figures = _figures(self.askers, spec)
        if not figures:
            return None
        values = [f.value for f in figures]
        unit = "%" if mean else ("亿元" if lang == "zh" else "RMB billion")
        exact = sum(values, ZERO) / len(values) if mean else sum(values, ZERO) / (YI if lang == "zh" else YI * 10)
        value = exact.quantize(TWO, rounding=ROUND_HALF_UP)
        answer = {"%": f"{value}%", "亿元": f"{value}亿元", "RMB billion": f"RMB {value} billion"}[unit]
        total = f"AVG({spec.sql})" if mean else f"SUM({spec.sql}) / {YI if lang == 'zh' else YI * 10}.0"
        return Question(
            self.scope(lang) + template.format(y=year),
            "statistics",
            subtype,
            lang,
            answer,
            [answer],
            _evidence(figures),
            year=year,
            value=value,
            unit=unit,
            tolerance=TWO,
            extra={"gold_sql": f"SELECT ROUND({total}, 2) {spec.source(year)}"},
        )

    def all(self) -> list[Question]:
        yi = [(YI * n, f"{n}亿元") for n in (1, 2, 3, 5, 10)] + [(YI / 2, "5000万元")]
        billion = [(YI * 10 * n, f"RMB {n} billion") for n in (1, 2, 3, 5, 10)]
        made = [
            self.threshold("threshold", "zh", _single("net_profit", LAST), LAST, yi, "{y}年净利润超过{x}的公司有哪些？"),
            self.threshold(
                "threshold",
                "en",
                _single("revenue", THIS),
                THIS,
                billion,
                "which companies reported operating revenue above {x} in {y}?",
            ),
            self.top("top_k", "zh", _single("revenue", THIS), THIS, 3, "{y}年营业收入最高的三家公司是？"),
            self.top(
                "top_k",
                "en",
                _single("np_parent", LAST),
                LAST,
                3,
                "which three companies had the highest net profit attributable to shareholders of the listed company in {y}?",
            ),
            self.top(
                "top_k",
                "zh",
                _share("total_liabilities", "total_assets", THIS),
                THIS,
                3,
                "{y}年末资产负债率最低的三家公司是？",
                lowest=True,
            ),
            self.top("top_1", "en", _gross(THIS), THIS, 1, "which company had the highest gross margin in {y}?"),
            self.top(
                "top_1",
                "zh",
                _share("rd_expenses", "revenue", THIS),
                THIS,
                1,
                "{y}年研发费用率（研发费用/营业收入）最高的公司是哪家？",
            ),
            self.top(
                "top_1",
                "en",
                _quotient("current_assets", "current_liabilities", THIS),
                THIS,
                1,
                "which company had the lowest current ratio at the end of {y}?",
                lowest=True,
            ),
            self.count(
                "count",
                "zh",
                _growth("revenue", THIS),
                THIS,
                "<",
                "{y}年营业收入同比下降的公司有几家？",
                lambda v: abs(v) >= Decimal("0.5"),
            ),
            self.count(
                "count",
                "zh",
                _single("np_parent", THIS),
                THIS,
                "<",
                "{y}年归属于上市公司股东的净利润为负（亏损）的公司有几家？",
            ),
            self.count(
                "count",
                "en",
                _single("net_profit", LAST),
                LAST,
                "<",
                "how many companies reported a net loss in {y}?",
            ),
            self.count(
                "count",
                "zh",
                _growth("np_parent", THIS),
                THIS,
                ">",
                "与{p}年相比，{y}年归属于上市公司股东的净利润增加的公司有几家？",
                lambda v: abs(v) >= Decimal("0.5"),
            ),
            self.total("sum", "zh", _single("revenue", THIS), THIS, "{y}年营业收入合计是多少亿元？保留两位小数。"),
            self.total(
                "sum",
                "en",
                _single("np_parent", THIS),
                THIS,
                "what was the combined net profit attributable to shareholders of the listed company in {y}, in RMB billion? "
                "Round to two decimal places.",
            ),
            self.total(
                "average",
                "zh",
                _share("rd_expenses", "revenue", THIS),
                THIS,
                "{y}年各公司研发费用率（研发费用/营业收入×100%）的平均值是多少？保留两位小数。",
                mean=True,
            ),
            self.filtered_top(),
        ]
        return [q for q in made if q is not None]

    def filtered_top(self) -> Question | None:
        """营业收入超过 X 的公司中研发费用率最高的: a filter, then a ranking."""
        share = _share("rd_expenses", "revenue", THIS)
        revenue = _figures(self.askers, _single("revenue", THIS))
        rd = _figures(self.askers, share)
        if not revenue or not rd:
            return None
        for n in (50, 30, 20, 10, 5, 3, 2, 1):
            limit = YI * n
            if any(abs(f.value - limit) < limit * Decimal("0.02") for f in revenue):
                continue
            kept = [r for f, r in zip(revenue, rd, strict=True) if f.value > limit]
            if not 2 <= len(kept) <= max(2, self.n // 2):
                continue
            ranked = sorted(kept, key=lambda f: -f.value)
            if ranked[0].value - ranked[1].value < ranked[1].value * Decimal("0.01"):
                continue
            return self.listed(
                "filter_top",
                "zh",
                f"{THIS}年营业收入超过{n}亿元的公司里，研发费用率（研发费用/营业收入）最高的是哪家？",
                ranked[:1],
                revenue + rd,
                THIS,
                f"SELECT f.short_name {share.source(THIS)} AND f.revenue > {limit:f} ORDER BY {share.sql} DESC LIMIT 1",
            )
        return None


def _gross(year: int) -> Spec:
    return Spec(
        [("revenue", year), ("cost_of_sales", year)],
        lambda r, c: (r - c) * 100 / r if r else None,
        "(f.revenue - f.operating_cost) * 100.0 / f.revenue",
    )


def _quotient(a: str, b: str, year: int) -> Spec:
    return Spec(
        [(a, year), (b, year)],
        lambda x, y: Decimal(x) / Decimal(y) if y else None,
        f"f.{RAGKB_METRICS[a]} * 1.0 / f.{RAGKB_METRICS[b]}",
    )


def _growth(metric: str, year: int) -> Spec:
    column = RAGKB_METRICS[metric]
    return Spec(
        [(metric, year), (metric, year - 1)],
        lambda now, before: ratio(now - before, abs(before), 4, 100) if before else None,
        f"(f.{column} - p.{column}) * 100.0 / ABS(p.{column})",
        joins_last_year=True,
    )


def statistics_questions(reports: list[Report], rng: random.Random) -> list[Question]:
    return Statistics(reports, rng).all()
