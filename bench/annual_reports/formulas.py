"""The ratios and growth rates that calculation questions ask for, each with its operands and its rounding.

Results are percentages or ratios rounded half up to two decimals, computed from the exact
figures; a formula gives None where its denominator is zero.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from annual_reports.finance import REPORT_YEAR, growth, ratio

THIS, LAST = REPORT_YEAR, REPORT_YEAR - 1


@dataclass(frozen=True)
class Formula:
    zh: str  # question templates: {n} company, {y} year, {p} the year before
    en: str
    formula_zh: str
    formula_en: str
    operands: Callable[[int], list[tuple[str, int]]]
    compute: Callable[..., Decimal | None]
    years: tuple[int, ...] = (THIS, LAST)
    unit: str = "%"


def _share(a: Decimal, b: Decimal) -> Decimal | None:
    return ratio(a, b, 2, 100) if b else None


def _quotient(a: Decimal, b: Decimal) -> Decimal | None:
    return ratio(a, b, 2) if b else None


def _growth(now: Decimal, before: Decimal) -> Decimal | None:
    return growth(now, before) if before else None


FORMULAS = {
    "selling_ratio": Formula(
        "在{y}年的财务数据中，{n}的销售费用率是多少？保留两位小数。",
        "What was the selling expense ratio of {n} in {y} (selling expenses / operating revenue)? Round to two decimal places.",
        "销售费用 / 营业收入 × 100%",
        "selling expenses / operating revenue × 100%",
        lambda y: [("selling_expenses", y), ("revenue", y)],
        _share,
    ),
    "admin_ratio": Formula(
        "{n}{y}年的管理费用率是多少？（管理费用/营业收入，保留两位小数）",
        "What was the administrative expense ratio of {n} in {y}? Round to two decimal places.",
        "管理费用 / 营业收入 × 100%",
        "administrative expenses / operating revenue × 100%",
        lambda y: [("admin_expenses", y), ("revenue", y)],
        _share,
    ),
    "rd_ratio": Formula(
        "{n}{y}年的研发费用率是多少？（研发费用/营业收入，保留两位小数）",
        "What was the R&D expense ratio of {n} in {y} (R&D expenses / operating revenue)? Round to two decimal places.",
        "研发费用 / 营业收入 × 100%",
        "research and development expenses / operating revenue × 100%",
        lambda y: [("rd_expenses", y), ("revenue", y)],
        _share,
    ),
    "gross_margin": Formula(
        "{n}{y}年的毛利率是多少？保留两位小数。",
        "What was the gross margin of {n} in {y}? Round to two decimal places.",
        "(营业收入 − 营业成本) / 营业收入 × 100%",
        "(operating revenue − cost of sales) / operating revenue × 100%",
        lambda y: [("revenue", y), ("cost_of_sales", y)],
        lambda r, c: _share(r - c, r),
    ),
    "net_margin": Formula(
        "{n}{y}年的净利率（净利润/营业收入）是多少？保留两位小数。",
        "What was the net profit margin of {n} in {y} (net profit / operating revenue)? Round to two decimal places.",
        "净利润 / 营业收入 × 100%",
        "net profit / operating revenue × 100%",
        lambda y: [("net_profit", y), ("revenue", y)],
        _share,
    ),
    "revenue_growth": Formula(
        "{n}{y}年的营业收入增长率是多少？保留两位小数。",
        "What was the operating revenue growth rate of {n} in {y}? Round to two decimal places.",
        "(本年营业收入 − 上年营业收入) / 上年营业收入 × 100%",
        "(revenue this year − revenue last year) / revenue last year × 100%",
        lambda y: [("revenue", y), ("revenue", y - 1)],
        _growth,
        (LAST,),
    ),
    "np_growth": Formula(
        "{n}{y}年归属于上市公司股东的净利润同比增长率是多少？保留两位小数。",
        "What was the year-on-year growth rate of net profit attributable to shareholders of the listed company of {n} in {y}? Round to two decimal places.",
        "(本年 − 上年) / |上年| × 100%",
        "(this year − last year) / |last year| × 100%",
        lambda y: [("np_parent", y), ("np_parent", y - 1)],
        _growth,
        (THIS, LAST),
    ),
    "current_ratio": Formula(
        "{n}{y}年末的流动比率是多少？保留两位小数。",
        "What was the current ratio of {n} at the end of {y}? Round to two decimal places.",
        "流动资产合计 / 流动负债合计",
        "total current assets / total current liabilities",
        lambda y: [("current_assets", y), ("current_liabilities", y)],
        _quotient,
        unit="",
    ),
    "quick_ratio": Formula(
        "{n}{y}年末的速动比率是多少？（(流动资产−存货)/流动负债，保留两位小数）",
        "What was the quick ratio of {n} at the end of {y} ((current assets − inventories) / current liabilities)? Round to two decimal places.",
        "(流动资产合计 − 存货) / 流动负债合计",
        "(total current assets − inventories) / total current liabilities",
        lambda y: [("current_assets", y), ("inventory", y), ("current_liabilities", y)],
        lambda assets, inventory, liabilities: _quotient(assets - inventory, liabilities),
        unit="",
    ),
    "debt_ratio": Formula(
        "{n}{y}年末的资产负债率是多少？保留两位小数。",
        "What was the debt-to-asset ratio of {n} at the end of {y}? Round to two decimal places.",
        "负债合计 / 资产总计 × 100%",
        "total liabilities / total assets × 100%",
        lambda y: [("total_liabilities", y), ("total_assets", y)],
        _share,
    ),
    "roe_end": Formula(
        "按期末归属于上市公司股东的净资产计算，{n}{y}年的净资产收益率是多少？保留两位小数。",
        "Using net assets attributable to shareholders at the year end, what was the return on equity of {n} in {y}? Round to two decimal places.",
        "归属于上市公司股东的净利润 / 期末归属于上市公司股东的净资产 × 100%",
        "net profit attributable to shareholders / net assets attributable to shareholders at the year end × 100%",
        lambda y: [("np_parent", y), ("equity_parent", y)],
        _share,
    ),
    "cfo_to_np": Formula(
        "{n}{y}年经营活动产生的现金流量净额是归属于上市公司股东的净利润的多少倍？保留两位小数。",
        "In {y}, how many times the net profit attributable to shareholders of the listed company were the net cash flows from operating activities of {n}? Round to two decimal places.",
        "经营活动产生的现金流量净额 / 归属于上市公司股东的净利润",
        "net cash flows from operating activities / net profit attributable to shareholders",
        lambda y: [("cfo", y), ("np_parent", y)],
        _quotient,
        unit="",
    ),
}
