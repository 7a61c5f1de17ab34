"""What a question asks, read without a language model, in Chinese and English.

:func:`analyze` finds the entities (year, company, metrics, formulas, rounding, a comparison, a
statistics shape) and from them the type and the route:

========================  =====================================================  ==========
type                      example                                                route
========================  =====================================================  ==========
``lookup_text``           星海科技的法定代表人是谁？                              text
``lookup_table``          2022年星海科技的营业收入是多少元？                      table
``calculation``           2022年星海科技的销售费用率是多少？保留两位小数          table
``comparison``            与2021年相比，2022年归母净利润是增加了还是减少了？      table
``statistics``            2021年净利润超过1亿元的公司有哪些？                     statistics
``summary``               公司的主营业务是什么？                                  text
``knowledge``             什么是流动比率？                                        both
========================  =====================================================  ==========

A table question that also asks why (原因, why) goes both ways: ``both``; so does a question asking
what a formula is (the text answer, then the formula library's definition). A loss asked of (亏损,
net loss) reads as net profit below zero: ``loss`` names the profit metric.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field

from ragkb.tables.companies import Company, CompanyMention, find_companies
from ragkb.tables.formulas import Formula, change, find_formulas, growth
from ragkb.tables.metrics import Metric, find_metrics, metric
from ragkb.tables.numbers import Quantity, Rounding, find_numbers, rounding_asked, small_number
from ragkb.tables.text import fold, has_chinese
from ragkb.tables.years import find_years

QuestionType = Literal["lookup_text", "lookup_table", "calculation", "comparison", "statistics", "summary", "knowledge"]
Route = Literal["table", "statistics", "text", "both"]
Direction = Literal["increase_or_decrease", "increase", "decrease", "higher", "lower"]


class MetricRef(BaseModel):
    id: str
    name: str
    matched: str


class FormulaRef(BaseModel):
    id: str
    name: str
    definition: str
    matched: str


class Threshold(BaseModel):
    """A condition on a value: ``op`` ``value`` (base unit: 元, a fraction for percentages)."""

    op: Literal[">", ">=", "<", "<="]
    value: float
    text: str


class Statistics(BaseModel):
    """A question over many companies: the ``k`` best (``top_k``, in ``order``), those past a
    ``threshold``, how many (``count``), an ``aggregate`` (average or sum), or a ``list``."""

    shape: Literal["top_k", "threshold", "count", "aggregate", "list"]
    k: int | None = None
    order: Literal["desc", "asc"] | None = None
    threshold: Threshold | None = None
    aggregate: Literal["avg", "sum"] | None = None


class QuestionAnalysis(BaseModel):
    """What a question asks; shown as is in ``--json`` and the web UI."""

    question: str
    language: Literal["zh", "en"]
    type: QuestionType
    route: Route
    year: int | None = None
    years: list[int] = Field(default_factory=list)
    relative_years: list[int] = Field(
        default_factory=list, description="years named relatively, as offsets from the year asked (上年 = -1)"
    )
    companies: list[CompanyMention] = Field(default_factory=list)
    metrics: list[MetricRef] = Field(default_factory=list)
    formulas: list[FormulaRef] = Field(default_factory=list)
    rounding: Rounding = Field(default_factory=Rounding)
    comparison: Direction | None = None
    statistics: Statistics | None = None
    loss: str | None = Field(
        None, description="the profit metric a loss is asked of (亏损 / net loss: net profit below zero), by id"
    )


def _cue(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(patterns), re.IGNORECASE)


_GROWTH = _cue(
    r"增长率|增速|增幅|降幅|涨幅|变动比例|变动幅度|增减幅度|变化率|百分之几|百分之多少|增长百分比",
    r"growth|grow\w*\s+by\s+what\s+percent",
    r"percentage\s+(?:increase|decrease|change)",
    r"year[-\s]on[-\s]year|\byoy\b",
)
_CHANGE = _cue(
    r"(?:增加|减少|增长|下降|变动|变化)了?多少(?!%|百分)",
    r"变动额|变化额|增减额|差额|相差多少",
    r"how\s+much\s+(?:did|has|was)\b.*\b(?:increase|decrease|change|grow|fall|drop)",
    r"\bchange\s+in\b|\bdifference\b",
)
_EITHER_WAY = _cue(
    r"增加了?还是减少|增长了?还是下降|上升了?还是下降|提高了?还是降低|增加还是下降|是增是减",
    r"increase\w*\s+or\s+decrease|rise\s+or\s+fall|rose\s+or\s+fell|up\s+or\s+down|grow\s+or\s+shrink",
)
_INCREASE = _cue(r"是否(?:增加|增长|上升|提高)|有没有(?:增加|增长)", r"\b(?:did|has|was)\b.*\b(?:increase|grow|rise)\b")
_DECREASE = _cue(r"是否(?:减少|下降|降低)|有没有(?:减少|下降)", r"\b(?:did|has|was)\b.*\b(?:decrease|decline|fall|drop)\b")
_HIGHER = _cue(r"更高|更多|更大|较高|较大", r"\b(?:higher|larger|greater|more|bigger)\b")
_LOWER = _cue(r"更低|更少|更小|较低|较小", r"\b(?:lower|smaller|less|fewer)\b")
_COMPARE = _cue(r"相比|比较|对比|较上年|比上年|与上年|同比|哪个|哪家|哪一年", r"compar\w*|\bversus\b|\bvs\.?|\bwhich\b")
_MANY = _cue(
    r"哪些公司|哪几家|哪家公司|[0-9一二两三四五六七八九十几]+\s*家(?:公司|企业)|哪些企业|哪家企业|公司有哪些|企业有哪些|的公司|的企业|多少家|几家|所有公司|各公司|公司中|排名|排序",
    r"\bwhich\s+(?:companies|company|firms?)\b|\bhow\s+many\s+(?:companies|firms)\b|\bcompanies\b|\bfirms\b|\brank\w*",
)
_TOP = _cue(
    r"最高|最多|最大|前\s*[0-9一二两三四五六七八九十]+", r"\b(?:highest|largest|biggest|greatest|top)\b|(?<!at\s)\bmost\b"
)
_BOTTOM = _cue(r"最低|最少|最小|后\s*[0-9一二两三四五六七八九十]+", r"\b(?:lowest|smallest|bottom)\b|(?<!at\s)\bleast\b")
_K = _cue(
    r"(?:最高|最多|最大|最低|最少|最小)的?\s*(?:前)?\s*([0-9一二两三四五六七八九十]+)\s*(?:家|个|名|位)",
    r"[前后]\s*([0-9一二两三四五六七八九十]+)\s*(?:家|个|名|位)?",
    r"\b(?:top|bottom)\s+(\d+|one|two|three|four|five|six|seven|eight|nine|ten)\b",
    r"(?<!\ball\s)(?<!\bthe\s)\b(\d+|two|three|four|five|six|seven|eight|nine|ten)\s+(?:companies|firms)\b",
)
"""How many a top-k question wants: "最高的三家", "top 5", "which three companies"; not the scope
"among all 8 companies", "of the 30 companies"."""
_COUNT = _cue(r"多少家|几家|数量", r"\bhow\s+many\b|\bnumber\s+of\s+(?:companies|firms)\b")
_AVERAGE = _cue(r"平均|均值", r"\baverage\b|\bmean\b")
_SUM = _cue(r"合计|总和|加起来|总共", r"\bsum\b|\bin\s+total\b|\bcombined\b")
_THRESHOLDS: list[tuple[re.Pattern[str], Literal[">", ">=", "<", "<="]]] = [
    (_cue(r"不低于|不少于|至少|达到|不小于", r"\bat\s+least\b|\bno\s+less\s+than\b|\bnot\s+less\s+than\b"), ">="),
    (_cue(r"不超过|不高于|不多于|至多|最多不超过", r"\bat\s+most\b|\bno\s+more\s+than\b|\bnot\s+more\s+than\b"), "<="),
    (
        _cue(
            r"超过|高于|大于|多于|超出",
            r"\bmore\s+than\b|\bover\b|\babove\b|\bexceed\w*|\bgreater\s+than\b|\bhigher\s+than\b|\blarger\s+than\b",
        ),
        ">",
    ),
    (
        _cue(
            r"低于|少于|小于|不足|不到",
            r"\bless\s+than\b|\bbelow\b|\bunder\b|\bfewer\s+than\b|\blower\s+than\b|\bsmaller\s+than\b",
        ),
        "<",
    ),
]
_AFTER_NUMBER: list[tuple[re.Pattern[str], Literal[">=", "<="]]] = [
    (re.compile(r"以上|及以上"), ">="),
    (re.compile(r"以下|及以下"), "<="),
]
_DEFINITION = _cue(
    r"什么是|是什么意思|什么意思|的含义|含义是|的定义|定义是|是指什么|如何计算|怎么计算|怎样计算|怎么算|计算公式|公式是什么",
    r"\bwhat\s+does\b.*\bmean\b|\bdefinition\b|\bdefine\b|\bhow\s+(?:is|are|do\s+you|to)\b.*\bcalculated?\b|\bwhat\s+is\s+meant\s+by\b|\bformula\s+for\b",
)
_ONLY_WHAT_IS = re.compile(r"^(?:什么是|what(?:is|are)an?)?(?:这个|指标|的)*(?:是什么|是啥|是什么意思)?$", re.IGNORECASE)
"""A question that only asks what a metric or formula is ("流动比率是什么？", "What is a quick
ratio?"), once the names are blanked and spaces and punctuation dropped ("whatisa"); "What is the current
ratio?" asks for its value."""
_WHAT_IS = _cue(r"什么是|是什么|是啥", r"\bwhat\s+(?:is|are)\s+an?\b")
_PUNCTUATION = re.compile(r"[\s?？。.!！,，、]+")
_SUMMARY = _cue(
    r"主营业务|主要业务|经营范围|经营情况|经营概况|概述|概况|总结|简述|介绍|发展战略|经营计划|核心竞争力|主要风险|风险因素|业务模式|主要产品|行业地位",
    r"summari[sz]e|\bsummary\b|\boverview\b|main\s+business|principal\s+(?:activities|business)|business\s+model|\bdescribe\b|\bstrategy\b|core\s+competitiveness|\brisks?\b|main\s+products",
)
_WHY = _cue(r"原因|为什么|为何|驱动因素|导致", r"\bwhy\b|\breasons?\b|\bexplain\b|\bdrivers?\b")
_LOSS = _cue(
    r"净亏损|亏损|亏本",
    r"\bnet\s+loss(?:es)?\b|\bloss[-\s]making\b|\bin\s+the\s+red\b",
    r"\b(?:made|make|makes|report(?:ed|s)?|post(?:ed|s)?|incur(?:red|s)?|suffer(?:ed|s)?|record(?:ed|s)?|had|has|have)\s+(?:a\s+)?loss(?:es)?\b",
)
"""A loss asked of ("哪些公司亏损", "which companies reported a net loss"): net profit below zero."""
_PROFITS = ("net_profit", "net_profit_parent", "net_profit_deducted", "total_profit", "operating_profit")


Named = tuple[int, int, Metric | Formula, str]
"""A metric or formula named in a question: start, end, which, and the text that named it."""


def _named_metrics(named: list[Named]) -> list[tuple[Metric, str]]:
    return [(item, matched) for _, _, item, matched in named if isinstance(item, Metric)]


def _named_formulas(named: list[Named]) -> list[tuple[Formula, str]]:
    return [(item, matched) for _, _, item, matched in named if isinstance(item, Formula)]


def _mentions(text: str) -> tuple[list[Named], str]:
    """Metric and formula names in ``text``, the longest first where a metric and a formula name
    overlap (销售费用率 is a formula, not 销售费用; 加权平均净资产收益率 a reported metric, not the
    formula 净资产收益率); and ``text`` with those names blanked, for the cues (资产总计 is no 合计)."""
    candidates: list[Named] = [(m.start, m.end, m.formula, m.text) for m in find_formulas(text)]
    candidates += [(m.start, m.end, m.metric, m.text) for m in find_metrics(text)]
    candidates.sort(key=lambda item: (item[0] - item[1], isinstance(item[2], Metric)))
    kept: list[Named] = []
    for start, end, named, matched in candidates:
        if all(end <= other_start or other_end <= start for other_start, other_end, _, _ in kept):
            kept.append((start, end, named, matched))
    kept.sort(key=lambda item: item[0])
    blanked = fold(text).lower()
    for start, end, _, _ in kept:
        blanked = blanked[:start] + " " * (end - start) + blanked[end:]
    return kept, blanked


def _amounts(text: str) -> list[Quantity]:
    """The numbers in ``text`` that are no year (over 2021 is no threshold)."""
    return [
        number
        for number in find_numbers(text)
        if number.unit.symbol or not (1900 <= number.value <= 2099 and number.value % 1 == 0)
    ]


def _threshold(text: str) -> Threshold | None:
    """The first "超过1亿元" / "more than RMB 100 million" / "1亿元以上" in ``text``."""
    for pattern, op in _THRESHOLDS:
        for found in pattern.finditer(text):
            numbers = _amounts(text[found.end() : found.end() + 30])
            if numbers:
                return Threshold(op=op, value=float(numbers[0].base), text=fold(found.group(0) + " " + numbers[0].raw))
    for pattern, after_op in _AFTER_NUMBER:
        after = pattern.search(text)
        if after:
            numbers = _amounts(text[max(0, after.start() - 30) : after.start()])
            if numbers:
                return Threshold(op=after_op, value=float(numbers[-1].base), text=fold(numbers[-1].raw + after.group(0)))
    return None


def _statistics(text: str, companies: list[CompanyMention]) -> Statistics | None:
    """The statistics shape, when the question is about many companies rather than those it names."""
    if companies or not _MANY.search(text):
        return None
    threshold = _threshold(text)
    k_found = _K.search(text)
    k = small_number(next(group for group in k_found.groups() if group)) if k_found else None
    bottom = bool(_BOTTOM.search(text))
    if k is not None or _TOP.search(text) or bottom:
        return Statistics(shape="top_k", k=k or 1, order="asc" if bottom else "desc", threshold=threshold)
    if _COUNT.search(text):
        return Statistics(shape="count", threshold=threshold)
    if _AVERAGE.search(text) or _SUM.search(text):
        return Statistics(shape="aggregate", aggregate="avg" if _AVERAGE.search(text) else "sum", threshold=threshold)
    return Statistics(shape="threshold" if threshold else "list", threshold=threshold)


_DIRECTIONS: list[tuple[re.Pattern[str], Direction]] = [
    (_INCREASE, "increase"),
    (_DECREASE, "decrease"),
    (_HIGHER, "higher"),
    (_LOWER, "lower"),
]


def _direction(text: str) -> Direction | None:
    if _EITHER_WAY.search(text):
        return "increase_or_decrease"
    for pattern, direction in _DIRECTIONS:
        if pattern.search(text):
            return direction
    return "increase_or_decrease" if _COMPARE.search(text) else None


def _formulas(
    named: list[Named], cues: str, direction: Direction | None, companies: int
) -> tuple[list[tuple[Formula, str]], bool]:
    """The formulas to evaluate, and whether the question asks for a calculation: formulas it
    names, the growth or change of the metrics it names ("营业收入增长率", "增加了多少"), and for a
    comparison of years the change, whose sign answers "增加了还是减少了"."""
    chosen = _named_formulas(named)
    metrics = _named_metrics(named)
    for measured, matched in metrics:
        if _GROWTH.search(cues):
            chosen.append((growth(measured.id), matched))
        if _CHANGE.search(cues):
            chosen.append((change(measured.id), matched))
    calculation = bool(chosen)
    if direction and not calculation and companies < 2:
        chosen = [(change(measured.id), matched) for measured, matched in metrics]
    return chosen, calculation


def _loss(named: list[Named], cues: str) -> tuple[list[Named], str | None]:
    """The named metrics with the one a loss is asked of ("亏损" alone: net profit, added where
    it is said), and that metric's id; ``None`` when the question asks no loss."""
    found = _LOSS.search(cues)
    if found is None:
        return named, None
    profit = next((item.id for item, _ in _named_metrics(named) if item.id in _PROFITS), None)
    if profit is not None:
        return named, profit
    added: Named = (found.start(), found.end(), metric("net_profit"), found.group(0))
    return sorted([*named, added], key=lambda item: item[0]), "net_profit"


def analyze(question: str, companies: list[Company] | None = None) -> QuestionAnalysis:
    """Read ``question``; ``companies`` are those the knowledge base knows (for company mentions)."""
    language: Literal["zh", "en"] = "zh" if has_chinese(question) else "en"
    named, cues = _mentions(question)
    named, loss = _loss(named, cues)
    years = find_years(question)
    mentioned = find_companies(question, companies or [])
    metrics = _named_metrics(named)
    statistics = _statistics(cues, mentioned) if named else None
    direction = _direction(cues) if named and not statistics else None
    if statistics:
        formulas, calculation = _named_formulas(named), False
    else:
        formulas, calculation = _formulas(named, cues, direction, len(mentioned))
    defines = bool(
        _DEFINITION.search(cues) or (named and _WHAT_IS.search(cues) and _ONLY_WHAT_IS.match(_PUNCTUATION.sub("", cues)))
    )
    kind: QuestionType
    if defines and not mentioned and years.year is None and not years.offsets:
        kind = "knowledge"
    elif statistics:
        kind = "statistics"
    elif direction and (len(mentioned) >= 2 or _EITHER_WAY.search(cues) or not calculation):
        kind = "comparison"  # a comparison may compute first (哪家资产负债率更低), but answers which
    elif calculation:
        kind = "calculation"
    elif metrics:
        kind = "lookup_table"
    elif _SUMMARY.search(cues):
        kind = "summary"
    else:
        kind = "lookup_text"
    route: Route = _ROUTES.get(kind, "text")
    if (route == "table" and _WHY.search(cues)) or (kind == "knowledge" and formulas):
        route = "both"  # a formula's definition follows what the documents say of it
    unique = {formula.id: (formula, matched) for formula, matched in formulas}
    return QuestionAnalysis(
        question=question,
        language=language,
        type=kind,
        route=route,
        year=years.year,
        years=years.years,
        relative_years=years.offsets,
        companies=mentioned,
        metrics=[MetricRef(id=m.id, name=m.name(language), matched=matched) for m, matched in metrics],
        formulas=[
            FormulaRef(id=f.id, name=f.name(language), definition=f.definition(language), matched=matched)
            for f, matched in unique.values()
        ],
        rounding=rounding_asked(question),
        comparison=direction,
        statistics=statistics,
        loss=loss,
    )


_ROUTES: dict[str, Route] = {"statistics": "statistics", "lookup_table": "table", "calculation": "table", "comparison": "table"}
