"""Financial metrics by name: a synonym dictionary with canonical ids, and matching a table row
label or a question to a metric.

A row label is matched in three steps: exactly; normalized (:func:`normalize_label` strips
numbering such as "一、" or "(1)", "其中：", notes markers, units in parentheses, spaces and
full-width forms); then fuzzily (:func:`~ragkb.tables.text.similarity`, edit distance and jieba
words together) above a threshold, and only when one metric is clearly the closest. Labels that
look like a metric but are another one (营业外收入, 营业总成本, 归属于少数股东的净利润) are metrics of
their own here, so they match themselves instead of their neighbours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from ragkb.tables.statements import StatementKind
from ragkb.tables.text import find_named, fold, has_chinese, longest_first, similarity

MetricUnit = Literal["元", "元/股", "%", "股"]


@dataclass(frozen=True)
class Metric:
    """A financial metric: ``id`` is stable (used by formulas and the table store), ``zh`` and
    ``en`` are the names shown, ``synonyms`` other names a report or a question uses."""

    id: str
    zh: str
    en: str
    synonyms: tuple[str, ...] = ()
    statement: StatementKind | None = None
    unit: MetricUnit = "元"

    @property
    def names(self) -> tuple[str, ...]:
        return (self.zh, self.en, *self.synonyms)

    def name(self, language: str) -> str:
        return self.zh if language == "zh" else self.en


def _m(id: str, zh: str, en: str, *synonyms: str, statement: StatementKind | None = None, unit: MetricUnit = "元") -> Metric:
    return Metric(id, zh, en, synonyms, statement, unit)


_INCOME: StatementKind = "income_statement"
_BALANCE: StatementKind = "balance_sheet"
_CASH: StatementKind = "cash_flow"
_KEY: StatementKind = "key_figures"

METRICS: tuple[Metric, ...] = (
    # income statement
    _m(
        "revenue",
        "营业收入",
        "Operating revenue",
        "营业总收入",
        "收入",
        "营收",
        "Revenue",
        "Total operating revenue",
        "Total revenue",
        "Sales",
        statement=_INCOME,
    ),
    _m(
        "operating_cost",
        "营业成本",
        "Cost of sales",
        "Operating costs",
        "Operating cost",
        "Cost of revenue",
        "Cost of goods sold",
        statement=_INCOME,
    ),
    _m("total_operating_cost", "营业总成本", "Total operating costs", "Total operating cost", statement=_INCOME),
    _m("taxes_and_surcharges", "税金及附加", "Taxes and surcharges", "营业税金及附加", statement=_INCOME),
    _m(
        "selling_expenses",
        "销售费用",
        "Selling expenses",
        "Selling and distribution expenses",
        "Distribution expenses",
        statement=_INCOME,
    ),
    _m("admin_expenses", "管理费用", "Administrative expenses", "General and administrative expenses", statement=_INCOME),
    _m(
        "rd_expenses",
        "研发费用",
        "R&D expenses",
        "研发支出",
        "Research and development expenses",
        statement=_INCOME,
    ),
    _m(
        "rd_investment",
        "研发投入金额",
        "R&D investment",
        "研发投入",
        "研发投入合计",
        "研发投入总额",
        "Total R&D investment",
        "Research and development investment",
    ),
    _m("finance_expenses", "财务费用", "Finance expenses", "Finance costs", "Financial expenses", statement=_INCOME),
    _m("interest_expense", "利息费用", "Interest expenses", "Interest expense", statement=_INCOME),
    _m("interest_income", "利息收入", "Interest income", statement=_INCOME),
    _m("investment_income", "投资收益", "Investment income", statement=_INCOME),
    _m("operating_profit", "营业利润", "Operating profit", statement=_INCOME),
    _m("non_operating_income", "营业外收入", "Non-operating income", statement=_INCOME),
    _m("non_operating_expenses", "营业外支出", "Non-operating expenses", statement=_INCOME),
    _m("total_profit", "利润总额", "Total profit", "Profit before tax", "Profit before income tax", statement=_INCOME),
    _m("income_tax", "所得税费用", "Income tax expenses", "Income tax expense", "所得税", statement=_INCOME),
    _m("net_profit", "净利润", "Net profit", "Net income", "Profit for the year", "Net profit for the year", statement=_INCOME),
    _m(
        "net_profit_parent",
        "归属于上市公司股东的净利润",
        "Net profit attributable to shareholders of the listed company",
        "归属于母公司股东的净利润",
        "归属于母公司所有者的净利润",
        "归母净利润",
        "Net profit attributable to shareholders of the parent company",
        "Net profit attributable to owners of the parent",
        "Profit attributable to owners of the parent",
        statement=_INCOME,
    ),
    _m(
        "net_profit_deducted",
        "归属于上市公司股东的扣除非经常性损益的净利润",
        "Net profit attributable to shareholders of the listed company after deducting non-recurring gains and losses",
        "归属于上市公司股东的扣除非经常性损益后的净利润",
        "扣除非经常性损益后归属于上市公司股东的净利润",
        "扣除非经常性损益后归属于母公司股东的净利润",
        "扣除非经常性损益的净利润",
        "扣除非经常性损益后的净利润",
        "扣非净利润",
        "扣非归母净利润",
        "Net profit after deducting non-recurring gains and losses",
        "Net profit excluding non-recurring gains and losses",
        statement=_KEY,
    ),
    _m(
        "minority_profit",
        "少数股东损益",
        "Profit attributable to minority interests",
        "归属于少数股东的净利润",
        "Minority interests",
        statement=_INCOME,
    ),
    _m(
        "rd_ratio",
        "研发投入占营业收入比例",
        "R&D investment as a percentage of revenue",
        "研发投入总额占营业收入比例",
        "研发投入占比",
        statement=_KEY,
        unit="%",
    ),
    _m("basic_eps", "基本每股收益", "Basic earnings per share", "每股收益", "Basic EPS", "EPS", statement=_INCOME, unit="元/股"),
    _m("diluted_eps", "稀释每股收益", "Diluted earnings per share", "Diluted EPS", statement=_INCOME, unit="元/股"),
    _m(
        "roe_weighted",
        "加权平均净资产收益率",
        "Weighted average return on equity",
        "Weighted average ROE",
        statement=_KEY,
        unit="%",
    ),
    # balance sheet
    _m("cash", "货币资金", "Cash and bank balances", "Monetary funds", "Cash at bank and on hand", statement=_BALANCE),
    _m("notes_receivable", "应收票据", "Notes receivable", statement=_BALANCE),
    _m("accounts_receivable", "应收账款", "Accounts receivable", statement=_BALANCE),
    _m("inventory", "存货", "Inventories", "Inventory", statement=_BALANCE),
    _m("current_assets", "流动资产合计", "Total current assets", "流动资产", "Current assets", statement=_BALANCE),
    _m("fixed_assets", "固定资产", "Fixed assets", "Property, plant and equipment", statement=_BALANCE),
    _m(
        "non_current_assets", "非流动资产合计", "Total non-current assets", "非流动资产", "Non-current assets", statement=_BALANCE
    ),
    _m("total_assets", "资产总计", "Total assets", "总资产", "资产合计", "资产总额", statement=_BALANCE),
    _m("short_term_loans", "短期借款", "Short-term borrowings", "Short-term loans", statement=_BALANCE),
    _m("accounts_payable", "应付账款", "Accounts payable", statement=_BALANCE),
    _m("current_liabilities", "流动负债合计", "Total current liabilities", "流动负债", "Current liabilities", statement=_BALANCE),
    _m(
        "non_current_liabilities",
        "非流动负债合计",
        "Total non-current liabilities",
        "非流动负债",
        "Non-current liabilities",
        statement=_BALANCE,
    ),
    _m("total_liabilities", "负债合计", "Total liabilities", "总负债", "负债总额", "负债总计", statement=_BALANCE),
    _m("share_capital", "股本", "Share capital", "实收资本", "总股本", "Paid-in capital", "Total shares", statement=_BALANCE),
    _m(
        "equity_total",
        "所有者权益合计",
        "Total equity",
        "股东权益合计",
        "所有者权益",
        "股东权益",
        "净资产",
        "Total shareholders' equity",
        "Total owners' equity",
        "Shareholders' equity",
        statement=_BALANCE,
    ),
    _m(
        "equity_parent",
        "归属于母公司所有者权益合计",
        "Equity attributable to owners of the parent",
        "归属于母公司股东权益合计",
        "归属于上市公司股东的净资产",
        "归属于母公司所有者权益",
        "归母净资产",
        "Net assets attributable to shareholders of the listed company",
        "Equity attributable to shareholders of the parent company",
        statement=_BALANCE,
    ),
    _m(
        "liabilities_and_equity",
        "负债和所有者权益总计",
        "Total liabilities and equity",
        "负债和股东权益总计",
        "负债及所有者权益总计",
        "Total liabilities and shareholders' equity",
        statement=_BALANCE,
    ),
    # cash flow statement
    _m(
        "operating_cash_flow",
        "经营活动产生的现金流量净额",
        "Net cash flows from operating activities",
        "经营活动现金流量净额",
        "经营性现金流量净额",
        "Net cash from operating activities",
        "Operating cash flow",
        statement=_CASH,
    ),
    _m(
        "investing_cash_flow",
        "投资活动产生的现金流量净额",
        "Net cash flows from investing activities",
        "投资活动现金流量净额",
        "Net cash used in investing activities",
        statement=_CASH,
    ),
    _m(
        "financing_cash_flow",
        "筹资活动产生的现金流量净额",
        "Net cash flows from financing activities",
        "筹资活动现金流量净额",
        "Net cash from financing activities",
        statement=_CASH,
    ),
    _m("net_increase_in_cash", "现金及现金等价物净增加额", "Net increase in cash and cash equivalents", statement=_CASH),
    _m(
        "cash_equivalents_end",
        "期末现金及现金等价物余额",
        "Cash and cash equivalents at the end of the year",
        "Cash and cash equivalents at end of year",
        statement=_CASH,
    ),
)

_BY_ID = {metric.id: metric for metric in METRICS}


def metric(metric_id: str) -> Metric:
    """The metric with ``metric_id``; a ``KeyError`` names it when there is none."""
    return _BY_ID[metric_id]


_SUPERSCRIPTS = re.compile(r"[\u00b9\u00b2\u00b3\u2070-\u2079]+")
_CIRCLED = re.compile(r"^\s*[\u2460-\u2473\u24ea\u2776-\u277f]")
"""Footnote superscripts and circled numbering (①), which NFKC would turn into digits."""
_BRACKETED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】")
_NUMBERING = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.]|\(?[一二三四五六七八九十]+\)|\d+(?:\.\d+)*[、.]|\(?\d+\)|[a-z][.)](?=\s))\s*"
)
_PREFIX = re.compile(r"^(?:其中|加|减|less|add|including|of\s+which|incl\.?)\s*:\s*", re.IGNORECASE)
_NOTES = re.compile(r"注\s*\d+|注$|\bnotes?\s*\d+|[*※#]+")
_FOOTNOTE_DIGIT = re.compile(r"(?<=[\u4e00-\u9fff])\d{1,2}$")
_NOT_WORD = re.compile(r"[^\w&']+")


def normalize_label(label: str) -> str:
    """A row label reduced to what names the metric: "一、营业总收入" → "营业总收入",
    "其中：营业收入（注1）" → "营业收入", "基本每股收益（元／股）" → "基本每股收益",
    "营 业 收 入" → "营业收入", "Less: Cost of sales" → "cost of sales"."""
    text = fold(_CIRCLED.sub("", _SUPERSCRIPTS.sub("", label))).lower()
    previous = None
    while previous != text:
        previous = text
        text = _BRACKETED.sub("", text).strip()
        text = _NUMBERING.sub("", text)
        text = _PREFIX.sub("", text)
    text = _FOOTNOTE_DIGIT.sub("", _NOTES.sub("", text))
    if has_chinese(text):
        return _NOT_WORD.sub("", text)
    return " ".join(_singular(word) for word in _NOT_WORD.sub(" ", text).split())


def _singular(word: str) -> str:
    """A crude English singular, applied to labels and names alike (assets → asset)."""
    if len(word) > 3 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


@dataclass(frozen=True)
class MetricMatch:
    """A label matched to ``metric`` through ``name``, ``how``, with a ``score`` from 0 to 1
    (1 for the metric's own name written the same; synonyms and fuzzy matches score less, so a
    table holding both 营业总收入 and 营业收入 gives revenue from the row named 营业收入)."""

    metric: Metric
    name: str
    how: Literal["exact", "normalized", "fuzzy"]
    score: float


def _is_own_name(metric: Metric, name: str) -> bool:
    return name in (metric.zh, metric.en)


@lru_cache(maxsize=1)
def _normalized_names() -> dict[str, tuple[Metric, str]]:
    """Every name of every metric, normalized, with its metric and the name as written."""
    index: dict[str, tuple[Metric, str]] = {}
    for each in METRICS:
        for name in each.names:
            index.setdefault(normalize_label(name), (each, name))
    return index


QUALIFIERS = (
    "非",
    "其他",
    "少数",
    "外",
    "母公司",
    "上市公司",
    "扣除",
    "持续",
    "综合",
    "减值",
    "率",
    "比例",
    "占",
    "每股",
    "平均",
    "期初",
    "期末",
    "年初",
    "资本化",
    "non",
    "other",
    "minority",
    "parent",
    "excluding",
    "per share",
    "rate",
    "ratio",
    "margin",
    "average",
    "beginning",
    "opening",
    "capitalised",
    "capitalized",
)
"""Words that make a label another metric (非流动资产合计 is not 流动资产合计, 营业外收入 not 营业收入):
a fuzzy match must have each as often as the name it matches."""


def _same_qualifiers(label: str, name: str) -> bool:
    return all(label.count(word) == name.count(word) for word in QUALIFIERS)


FUZZY_THRESHOLD = 0.8
FUZZY_MARGIN = 0.05
"""A fuzzy match must be this much closer than the closest name of any other metric."""


@lru_cache(maxsize=8192)
def match_metric(label: str, threshold: float = FUZZY_THRESHOLD) -> MetricMatch | None:
    """The metric a row label names, or ``None``."""
    stripped = fold(label)
    for each in METRICS:
        for name in each.names:
            if stripped == name or stripped.lower() == name.lower():
                return MetricMatch(each, name, "exact", 1.0 if _is_own_name(each, name) else 0.98)
    normalized = normalize_label(label)
    if not normalized:
        return None
    index = _normalized_names()
    if normalized in index:
        found, name = index[normalized]
        return MetricMatch(found, name, "normalized", 0.97 if _is_own_name(found, name) else 0.95)
    if len(normalized) < 3:
        return None
    best: dict[str, tuple[float, str]] = {}
    for key, (each, name) in index.items():
        # a score under the threshold less the margin decides nothing (neither the best nor one too close to it)
        score = similarity(normalized, key, threshold - FUZZY_MARGIN) if _same_qualifiers(normalized, key) else 0.0
        if score > best.get(each.id, (0.0, ""))[0]:
            best[each.id] = (score, name)
    ranked = sorted(best.items(), key=lambda item: item[1][0], reverse=True)
    if not ranked:
        return None
    (top_id, (top_score, top_name)) = ranked[0]
    runner_up = ranked[1][1][0] if len(ranked) > 1 else 0.0
    if top_score < threshold or top_score - runner_up < FUZZY_MARGIN:
        return None
    return MetricMatch(_BY_ID[top_id], top_name, "fuzzy", round(top_score * 0.9, 4))


@dataclass(frozen=True)
class MetricMention:
    """A metric named in running text (a question), at ``start``:``end`` of the folded text."""

    metric: Metric
    text: str
    start: int
    end: int


@lru_cache(maxsize=1)
def _names_longest_first() -> list[tuple[str, Metric]]:
    return longest_first((name, each) for each in METRICS for name in each.names)


def find_metrics(text: str) -> list[MetricMention]:
    """The metrics ``text`` names, in order, longest name first where names overlap
    ("归属于上市公司股东的净利润" is one metric, not also 净利润). English names match whole words."""
    return [MetricMention(*mention) for mention in find_named(text, _names_longest_first())]
