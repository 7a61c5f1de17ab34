"""Financial formulas evaluated in code on named operands, never by a language model.

A formula is an expression over operands, each a metric (:mod:`~ragkb.tables.metrics` id) in a
period: ``this`` (the year asked) or ``last`` (the year before; for a balance sheet the previous
year end, i.e. the opening balance). :func:`compute` evaluates it on the values found and returns
the result with the formula written out with its operand values, so that a reader can check it:
"销售费用率 = 销售费用 ÷ 营业收入 = 12,345,678.00 ÷ 234,567,890.12 = 5.26%". A missing operand or a
zero divisor gives a result whose ``error`` says which, never an exception.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Literal, cast

from pydantic import BaseModel

from ragkb.tables.metrics import metric
from ragkb.tables.numbers import Rounding, format_amount, format_number, format_percent
from ragkb.tables.text import find_named, longest_first

Period = Literal["this", "last"]
ResultUnit = Literal["%", "ratio", "元", "元/股"]
Language = Literal["zh", "en"]


class _Arithmetic:
    """Lets expressions be written with + - × ÷: ``(Ref("revenue") - Ref("operating_cost")) / Ref("revenue")``."""

    def __add__(self, other: Expr | int) -> Op:
        return Op("+", cast("Expr", self), _expr(other))

    def __sub__(self, other: Expr | int) -> Op:
        return Op("-", cast("Expr", self), _expr(other))

    def __mul__(self, other: Expr | int) -> Op:
        return Op("*", cast("Expr", self), _expr(other))

    def __truediv__(self, other: Expr | int) -> Op:
        return Op("/", cast("Expr", self), _expr(other))


@dataclass(frozen=True)
class Ref(_Arithmetic):
    """An operand: ``metric`` in ``period``."""

    metric: str
    period: Period = "this"

    def label(self, language: Language, year: int | None) -> str:
        """The operand's name: "2021年营业收入" or "上年营业收入"; "Revenue 2021" or "Revenue (last year)"."""
        name = metric(self.metric).name(language)
        shown_year = None if year is None else (year if self.period == "this" else year - 1)
        if language == "zh":
            if shown_year is not None:
                return f"{shown_year}年{name}"
            return f"上年{name}" if self.period == "last" else name
        if shown_year is not None:
            return f"{name} {shown_year}"
        return f"{name} (last year)" if self.period == "last" else name


@dataclass(frozen=True)
class Const(_Arithmetic):
    value: Decimal


@dataclass(frozen=True)
class Op(_Arithmetic):
    symbol: Literal["+", "-", "*", "/"]
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Abs(_Arithmetic):
    inner: Expr


Expr = Ref | Const | Op | Abs


def _expr(value: Expr | int) -> Expr:
    return Const(Decimal(value)) if isinstance(value, int) else value


def average(metric_id: str) -> Op:
    """The average of a balance at the start and the end of the year."""
    return (Ref(metric_id, "last") + Ref(metric_id)) / 2


class CannotCompute(Exception):
    """An operand is missing or a divisor is zero; the message is the operand's name."""

    def __init__(self, what: Expr, zero: bool):
        super().__init__()
        self.what = what
        self.zero = zero


def evaluate(expr: Expr, values: Mapping[Ref, Decimal]) -> Decimal:
    """The value of ``expr``; raises :class:`CannotCompute` for a missing operand or a zero divisor."""
    if isinstance(expr, Ref):
        value = values.get(expr)
        if value is None:
            raise CannotCompute(expr, zero=False)
        return value
    if isinstance(expr, Const):
        return expr.value
    if isinstance(expr, Abs):
        return abs(evaluate(expr.inner, values))
    left, right = evaluate(expr.left, values), evaluate(expr.right, values)
    if expr.symbol == "+":
        return left + right
    if expr.symbol == "-":
        return left - right
    if expr.symbol == "*":
        return left * right
    if right == 0:
        raise CannotCompute(expr.right, zero=True)
    return left / right


_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}
_SHOWN = {"+": "+", "-": "-", "*": "×", "/": "÷"}


def render(expr: Expr, show: Callable[[Ref], str], parent: int = 0, right_of: str = "") -> str:
    """``expr`` written out, each operand as ``show`` gives it, with only the parentheses needed."""
    if isinstance(expr, Ref):
        return show(expr)
    if isinstance(expr, Const):
        return format_number(expr.value, None)
    if isinstance(expr, Abs):
        return f"|{render(expr.inner, show)}|"
    precedence = _PRECEDENCE[expr.symbol]
    text = f"{render(expr.left, show, precedence)} {_SHOWN[expr.symbol]} {render(expr.right, show, precedence, expr.symbol)}"
    if precedence < parent or (precedence == parent and right_of in ("-", "/")):
        return f"({text})"
    return text


def operands(expr: Expr) -> list[Ref]:
    """The operands of ``expr`` in the order they are written, each once."""
    if isinstance(expr, Ref):
        return [expr]
    if isinstance(expr, Const):
        return []
    if isinstance(expr, Abs):
        return operands(expr.inner)
    return list(dict.fromkeys(operands(expr.left) + operands(expr.right)))


@dataclass(frozen=True)
class Formula:
    """A named formula: ``expression`` over operands, its result in ``unit``; ``note_zh`` /
    ``note_en`` say a choice a reader should know (ROE on average or period-end equity)."""

    id: str
    zh: str
    en: str
    expression: Expr
    unit: ResultUnit
    synonyms: tuple[str, ...] = ()
    note_zh: str = ""
    note_en: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        return (self.zh, self.en, *self.synonyms)

    @property
    def operands(self) -> list[Ref]:
        return operands(self.expression)

    def name(self, language: Language) -> str:
        return self.zh if language == "zh" else self.en

    def definition(self, language: Language = "zh") -> str:
        """The formula in words: "流动比率 = 流动资产合计 ÷ 流动负债合计"."""
        text = f"{self.name(language)} = {render(self.expression, lambda ref: ref.label(language, None))}"
        note = self.note_zh if language == "zh" else self.note_en
        return f"{text}（{note}）" if note and language == "zh" else (f"{text} ({note})" if note else text)


def _ratio(id: str, zh: str, en: str, numerator: str, synonyms: tuple[str, ...] = ()) -> Formula:
    """A share of revenue in percent (销售费用率 = 销售费用 ÷ 营业收入)."""
    return Formula(id, zh, en, Ref(numerator) / Ref("revenue"), "%", synonyms)


FORMULAS: tuple[Formula, ...] = (
    Formula("gross_profit", "毛利", "Gross profit", Ref("revenue") - Ref("operating_cost"), "元", ("毛利润", "毛利额")),
    Formula(
        "gross_margin",
        "毛利率",
        "Gross margin",
        (Ref("revenue") - Ref("operating_cost")) / Ref("revenue"),
        "%",
        ("销售毛利率", "毛利润率", "Gross profit margin", "Gross margin ratio"),
    ),
    _ratio("net_margin", "净利率", "Net profit margin", "net_profit", ("销售净利率", "净利润率", "Net margin")),
    _ratio("operating_margin", "营业利润率", "Operating margin", "operating_profit", ("Operating profit margin",)),
    _ratio(
        "selling_expense_ratio",
        "销售费用率",
        "Selling expense ratio",
        "selling_expenses",
        ("销售费用占营业收入比例", "Selling expenses to revenue"),
    ),
    _ratio(
        "admin_expense_ratio",
        "管理费用率",
        "Administrative expense ratio",
        "admin_expenses",
        ("管理费用占营业收入比例", "Admin expense ratio"),
    ),
    _ratio("rd_expense_ratio", "研发费用率", "R&D expense ratio", "rd_expenses", ("研发费用占营业收入比例", "R&D intensity")),
    _ratio(
        "finance_expense_ratio",
        "财务费用率",
        "Finance expense ratio",
        "finance_expenses",
        ("财务费用占营业收入比例", "Financial expense ratio"),
    ),
    Formula(
        "period_expense_ratio",
        "期间费用率",
        "Period expense ratio",
        (Ref("selling_expenses") + Ref("admin_expenses") + Ref("rd_expenses") + Ref("finance_expenses")) / Ref("revenue"),
        "%",
        ("三费费用率", "Operating expense ratio"),
    ),
    Formula("current_ratio", "流动比率", "Current ratio", Ref("current_assets") / Ref("current_liabilities"), "ratio"),
    Formula(
        "quick_ratio",
        "速动比率",
        "Quick ratio",
        (Ref("current_assets") - Ref("inventory")) / Ref("current_liabilities"),
        "ratio",
        ("酸性测试比率", "Acid-test ratio"),
    ),
    Formula("cash_ratio", "现金比率", "Cash ratio", Ref("cash") / Ref("current_liabilities"), "ratio"),
    Formula(
        "debt_to_asset",
        "资产负债率",
        "Debt-to-asset ratio",
        Ref("total_liabilities") / Ref("total_assets"),
        "%",
        ("负债率", "Debt ratio", "Liability-to-asset ratio", "Debt to asset ratio"),
    ),
    Formula(
        "debt_to_equity",
        "产权比率",
        "Debt-to-equity ratio",
        Ref("total_liabilities") / Ref("equity_total"),
        "%",
        ("Debt to equity ratio",),
    ),
    Formula("equity_multiplier", "权益乘数", "Equity multiplier", Ref("total_assets") / Ref("equity_total"), "ratio"),
    Formula(
        "roe",
        "净资产收益率",
        "Return on equity",
        Ref("net_profit") / average("equity_total"),
        "%",
        ("ROE", "权益净利率", "股东权益收益率", "股东权益报酬率", "净资产报酬率", "Return on average equity"),
        note_zh="按平均所有者权益计算：(年初 + 年末) ÷ 2",
        note_en="on average equity: (opening + closing) ÷ 2",
    ),
    Formula(
        "roe_end",
        "期末净资产收益率",
        "Return on period-end equity",
        Ref("net_profit") / Ref("equity_total"),
        "%",
        ("净资产收益率（期末）", "ROE on period-end equity", "ROE (period-end)"),
        note_zh="按期末所有者权益计算",
        note_en="on period-end equity",
    ),
    Formula(
        "roa",
        "总资产收益率",
        "Return on assets",
        Ref("net_profit") / average("total_assets"),
        "%",
        ("总资产净利率", "资产收益率", "总资产报酬率", "ROA"),
        note_zh="按平均总资产计算：(年初 + 年末) ÷ 2",
        note_en="on average total assets: (opening + closing) ÷ 2",
    ),
    Formula(
        "asset_turnover",
        "总资产周转率",
        "Total asset turnover",
        Ref("revenue") / average("total_assets"),
        "ratio",
        ("Asset turnover",),
    ),
    Formula("inventory_turnover", "存货周转率", "Inventory turnover", Ref("operating_cost") / average("inventory"), "ratio"),
    Formula(
        "receivables_turnover",
        "应收账款周转率",
        "Receivables turnover",
        Ref("revenue") / average("accounts_receivable"),
        "ratio",
        ("Accounts receivable turnover",),
    ),
    Formula(
        "bvps",
        "每股净资产",
        "Net assets per share",
        Ref("equity_parent") / Ref("share_capital"),
        "元/股",
        ("Book value per share", "BVPS"),
        note_zh="股本按每股面值1元折算为股数",
        note_en="share capital at a par value of RMB 1 per share taken as the number of shares",
    ),
    Formula(
        "ocf_per_share",
        "每股经营活动产生的现金流量净额",
        "Operating cash flow per share",
        Ref("operating_cash_flow") / Ref("share_capital"),
        "元/股",
        ("每股经营现金流量", "每股经营现金流", "Cash flow per share"),
        note_zh="股本按每股面值1元折算为股数",
        note_en="share capital at a par value of RMB 1 per share taken as the number of shares",
    ),
)

_BY_ID = {each.id: each for each in FORMULAS}


def growth(metric_id: str) -> Formula:
    """The growth rate of any metric: (this year − last year) ÷ |last year|. The absolute value
    keeps the sign meaningful when last year was a loss (−100 → −50 is growth of +50%)."""
    measured = metric(metric_id)
    return Formula(
        f"growth:{metric_id}",
        f"{measured.zh}增长率",
        f"{measured.en} growth rate",
        (Ref(metric_id) - Ref(metric_id, "last")) / Abs(Ref(metric_id, "last")),
        "%",
    )


def change(metric_id: str) -> Formula:
    """The change of a metric from last year: this year − last year, in the metric's unit."""
    measured = metric(metric_id)
    unit: ResultUnit = "元/股" if measured.unit == "元/股" else ("%" if measured.unit == "%" else "元")
    return Formula(
        f"change:{metric_id}", f"{measured.zh}变动额", f"Change in {measured.en}", Ref(metric_id) - Ref(metric_id, "last"), unit
    )


def formula(formula_id: str) -> Formula:
    """The formula with ``formula_id``, including ``growth:<metric>`` and ``change:<metric>``;
    a ``KeyError`` names an unknown one."""
    kind, _, metric_id = formula_id.partition(":")
    if metric_id and kind == "growth":
        return growth(metric_id)
    if metric_id and kind == "change":
        return change(metric_id)
    return _BY_ID[formula_id]


@dataclass(frozen=True)
class FormulaMention:
    formula: Formula
    text: str
    start: int
    end: int


@lru_cache(maxsize=1)
def _names_longest_first() -> list[tuple[str, Formula]]:
    return longest_first((name, each) for each in FORMULAS for name in each.names)


def find_formulas(text: str) -> list[FormulaMention]:
    """The formulas ``text`` names, in order; the longest name wins where names overlap
    (毛利率 is not 毛利; 期末净资产收益率 is not 净资产收益率)."""
    return [FormulaMention(*mention) for mention in find_named(text, _names_longest_first())]


class OperandValue(BaseModel):
    """One operand as used: which metric and year, its name as shown, and its value (base unit)."""

    metric: str
    period: Period
    year: int | None = None
    name: str
    value: float | None = None


class Computation(BaseModel):
    """The result of a formula: ``value`` in the base unit (a fraction for %), ``display`` with
    the rounding asked, ``expression`` the formula with names and values, or ``error``."""

    formula: str
    name: str
    unit: ResultUnit
    value: float | None = None
    display: str | None = None
    expression: str
    operands: list[OperandValue]
    error: str | None = None


def _decimal(value: Decimal | float | None) -> Decimal | None:
    """``value`` as a Decimal; a missing, NaN, infinite or unreadable value is no value."""
    if value is None:
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _shown_operand(value: Decimal) -> str:
    """An operand's value with the places it was written with, at least two."""
    exponent = value.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < -2 else 2
    shown = format_number(value, places)
    return f"({shown})" if value < 0 else shown


def format_result(value: Decimal, unit: ResultUnit, rounding: Rounding | None = None, language: Language = "zh") -> str:
    """``value`` (base unit) as an answer states it: "5.26%", "1.85", "12,345.68 元" / "RMB 12,345.68"."""
    decimals = 2 if rounding is None or rounding.decimals is None else rounding.decimals
    if unit == "%" or (rounding is not None and rounding.percent and unit == "ratio"):
        return format_percent(value, decimals)
    if unit == "元":
        return format_amount(value, rounding, language)
    number = format_number(value, decimals)
    if unit == "元/股":
        return f"{number} 元/股" if language == "zh" else f"RMB {number} per share"
    return number


def _cannot(problem: CannotCompute, language: Language, year: int | None) -> str:
    what = render(problem.what, lambda ref: ref.label(language, year))
    if language == "zh":
        return f"无法计算：{what}为零" if problem.zero else f"无法计算：未找到{what}"
    return f"cannot compute: {what} is zero" if problem.zero else f"cannot compute: {what} not found"


def compute(
    formula: Formula,
    values: Mapping[tuple[str, Period], Decimal | float | None],
    *,
    year: int | None = None,
    language: Language = "zh",
    rounding: Rounding | None = None,
) -> Computation:
    """Evaluate ``formula`` on ``values`` keyed by (metric id, period), in base units (元, a
    fraction for percentages). ``year`` is the year asked, used to name the operands."""
    known: dict[Ref, Decimal] = {}
    for (metric_id, period), value in values.items():
        number = _decimal(value)
        if number is not None:
            known[Ref(metric_id, period)] = number
    refs = formula.operands
    used = [
        OperandValue(
            metric=ref.metric,
            period=ref.period,
            year=None if year is None else (year if ref.period == "this" else year - 1),
            name=ref.label(language, year),
            value=float(known[ref]) if ref in known else None,
        )
        for ref in refs
    ]
    named = f"{formula.name(language)} = {render(formula.expression, lambda ref: ref.label(language, year))}"
    base = {"formula": formula.id, "name": formula.name(language), "unit": formula.unit, "operands": used}
    try:
        result = evaluate(formula.expression, known)
    except CannotCompute as problem:
        return Computation(**base, expression=named, error=_cannot(problem, language, year))
    display = format_result(result, formula.unit, rounding, language)
    numbers = render(formula.expression, lambda ref: _shown_operand(known[ref]))
    return Computation(**base, value=float(result), display=display, expression=f"{named} = {numbers} = {display}")
