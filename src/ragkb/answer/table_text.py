"""How computed answers word their numbers, in Chinese and English.

A value is stated in the unit the question asks for (多少亿元, in RMB millions) with the rounding
it asks for, and a figure read from a table also as the table prints it when that looks different
("12.35 亿元（报表数：123,456.78 万元）"), so a reader can find it on the page.
"""

from __future__ import annotations

from ragkb.answer.table_cells import Cell, printed_text, value
from ragkb.tables.companies import Company
from ragkb.tables.formulas import Formula, Language, Op, Ref, ResultUnit, format_result
from ragkb.tables.metrics import metric
from ragkb.tables.numbers import Rounding, format_amount, format_number

_RESULT_UNITS: dict[str, ResultUnit] = {"元": "元", "%": "%", "元/股": "元/股", "股": "ratio"}


def measure(metric_id: str) -> Formula:
    """A metric as a formula of one operand, so that statistics treat metrics and ratios alike."""
    measured = metric(metric_id)
    return Formula(metric_id, measured.zh, measured.en, Ref(metric_id), _RESULT_UNITS[measured.unit])


def describe(chosen: Formula, language: Language) -> str:
    """A formula as a definition: "流动比率是流动资产合计与流动负债合计之比：流动比率 = 流动资产合计 ÷
    流动负债合计。" (a quotient of two figures is named as such first), "Gross margin = …"."""
    definition = chosen.definition(language)
    expression = chosen.expression
    if (
        isinstance(expression, Op)
        and expression.symbol == "/"
        and isinstance(expression.left, Ref)
        and isinstance(expression.right, Ref)
    ):
        a, b = (ref.label(language, None) for ref in (expression.left, expression.right))
        if language == "zh":
            return f"{chosen.zh}是{a}与{b}之比：{definition}。"
        return f"The {lower_first(chosen.en)} is the ratio of {lower_first(a)} to {lower_first(b)}: {definition}."
    return f"{definition}。" if language == "zh" else f"{definition}."


def lower_first(name: str) -> str:
    """ "Operating revenue" → "operating revenue" inside an English sentence; "R&D expenses", "ROE" stay."""
    return name[0].lower() + name[1:] if len(name) > 1 and name[1].islower() else name


def display_name(name: str | None, known: list[Company]) -> str:
    """A company as an answer names it: its short name (股票简称) when the KB knows one."""
    if not name:
        return ""
    for company in known:
        if company.name == name:
            return company.short_names[0] if company.short_names else company.name
    return name


def cell_value(cell: Cell, rounding: Rounding, language: Language) -> str:
    """A cell's value in the unit and rounding asked, and as printed when that reads differently
    (a table in 万元: "12.35 亿元（报表数：123,456.78 万元）")."""
    number = value(cell)
    measured = metric(cell.metric).unit if cell.metric else None
    base = cell.unit or ("ratio" if measured == "%" else measured) or ""
    if base == "ratio":
        percent = "%" in cell.raw_text or measured == "%"
        return format_result(number, "%" if percent else "ratio", rounding, language)
    if base == "元/股":
        return format_result(number, "元/股", rounding, language)
    if base != "元":
        decimals = rounding.decimals if rounding.decimals is not None else None
        return f"{format_number(number, decimals)}{' 股' if base == '股' and language == 'zh' else ''}"
    shown = format_amount(number, rounding, language)
    printed = printed_text(cell)
    if _digits(printed) == _digits(shown):
        return shown
    return f"{shown}（报表数：{printed}）" if language == "zh" else f"{shown} (as reported: {printed})"


def _digits(text: str) -> str:
    return "".join(char for char in text if char.isdigit() or char in ".-()")
