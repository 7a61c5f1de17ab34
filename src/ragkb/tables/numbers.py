"""A table cell's text as a number with its unit, and a number back to text with the rounding asked.

Annual reports write numbers many ways: ``129,188,735.59``, ``(1,234.56)`` and ``-1,234.56`` for
negatives, ``12.5%``, ``—`` for none, full-width ``１２３，４５６``, units in the cell (``1.23亿元``), in
the column or row header (``营业收入（万元）``, ``基本每股收益（元/股）``) or on a line above the table
(``单位：元``, ``Unit: RMB'000``, ``in thousands``). :func:`parse_number` reads one cell given the unit
around it; :func:`find_unit` finds that unit. Values are :class:`~decimal.Decimal`, so ``0.1 + 0.2``
is ``0.3`` and rounding half up is exact; :attr:`Quantity.base` scales to the base unit (元, a
fraction for percentages).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation

from pydantic import BaseModel

from ragkb.tables.text import fold

ONE = Decimal(1)
PERCENT_SCALE = Decimal("0.01")


@dataclass(frozen=True)
class Unit:
    """A unit as written (``symbol``), the base unit it measures in and the factor to get there:
    万元 is 10,000 元; % is 0.01 of a ratio; ``base`` is ``""`` when the text names no quantity."""

    symbol: str
    base: str
    scale: Decimal = ONE


PLAIN = Unit("", "")
YUAN = Unit("元", "元")
PERCENT = Unit("%", "ratio", PERCENT_SCALE)
POINTS = Unit("个百分点", "ratio", PERCENT_SCALE)
PER_SHARE = Unit("元/股", "元/股")
TIMES = Unit("倍", "ratio")

_SCALES = {
    "": ONE,
    "千": Decimal(10**3),
    "万": Decimal(10**4),
    "十万": Decimal(10**5),
    "百万": Decimal(10**6),
    "千万": Decimal(10**7),
    "亿": Decimal(10**8),
    "十亿": Decimal(10**9),
    "thousand": Decimal(10**3),
    "thousands": Decimal(10**3),
    "'000": Decimal(10**3),
    "k": Decimal(10**3),
    "million": Decimal(10**6),
    "millions": Decimal(10**6),
    "mn": Decimal(10**6),
    "m": Decimal(10**6),
    "'000,000": Decimal(10**6),
    "billion": Decimal(10**9),
    "billions": Decimal(10**9),
    "bn": Decimal(10**9),
}
_CURRENCIES = {
    "元": "元",
    "人民币": "元",
    "rmb": "元",
    "cny": "元",
    "renminbi": "元",
    "yuan": "元",
    "¥": "元",
    "美元": "USD",
    "usd": "USD",
    "us$": "USD",
    "$": "USD",
    "港元": "HKD",
    "港币": "HKD",
    "hkd": "HKD",
    "hk$": "HKD",
}


_ZH_SCALES = frozenset({"千", "万", "十万", "百万", "千万", "亿", "十亿"})
_ZH_CURRENCIES = frozenset({"元", "美元", "港元", "港币"})


def _money(scale_word: str, currency_word: str) -> Unit:
    """The unit for a scale word (万, thousand, '000 or none) and a currency word (元, RMB or none)."""
    base = _CURRENCIES.get(currency_word.lower(), "") if currency_word else ""
    scale = _SCALES[scale_word.lower()] if scale_word else ONE
    if base == "元" and (not scale_word or scale_word in _ZH_SCALES):
        symbol = f"{scale_word}元"
    elif currency_word in _ZH_CURRENCIES:
        symbol = f"{scale_word}{currency_word}"
    else:
        symbol = " ".join(part for part in (currency_word, scale_word) if part).replace(" '", "'")
    return Unit(symbol, base, scale)


_ZH_SCALE = r"(?P<scale>十万|百万|千万|十亿|千|万|亿)"
_ZH_MONEY = rf"(?:人民币)?{_ZH_SCALE}?(?P<currency>元|美元|港元|港币)"
_ZH_UNIT_LINE = re.compile(rf"单位\s*[:]?\s*(?:人民币)?\s*{_ZH_MONEY}")
_ZH_BRACKETED = re.compile(rf"\(\s*{_ZH_MONEY}\s*\)")
_ZH_SHARES = re.compile(r"(?:单位\s*:?\s*|\(\s*)(?P<scale>万|亿)?股\b")
_EN_CURRENCY = r"(?P<currency>RMB|CNY|Renminbi|yuan|USD|US\$|HKD|HK\$)"
_EN_THOUSANDS = re.compile(rf"{_EN_CURRENCY}\s*(?P<scale>'000,000|'000)", re.IGNORECASE)
_EN_SCALE_AFTER = re.compile(rf"{_EN_CURRENCY}\s*(?:in\s+)?(?P<scale>thousands?|millions?|billions?|mn|bn)\b", re.IGNORECASE)
_EN_SCALE_BEFORE = re.compile(rf"\b(?P<scale>thousands?|millions?|billions?)\s+(?:of\s+)?{_EN_CURRENCY}", re.IGNORECASE)
_EN_IN_SCALE = re.compile(r"\bin\s+(?P<scale>thousands|millions|billions)\b", re.IGNORECASE)
_EN_MYRIAD = r"(?P<scale>10,?000|ten[\s-]+thousands?|100,?000,?000|100\s+millions?|hundred[\s-]+millions?)"
_EN_UNIT_START = r"(?:\bunit\s*:\s*|\bin\s+|\(\s*|^\s*)"
_EN_MYRIADS = (
    re.compile(rf"{_EN_UNIT_START}{_EN_CURRENCY}\s*(?:in\s+)?{_EN_MYRIAD}\s*(?:\)|$)", re.IGNORECASE),
    re.compile(rf"{_EN_UNIT_START}{_EN_MYRIAD}\s+(?:of\s+)?{_EN_CURRENCY}(?:\s+yuan)?\s*(?:\)|$)", re.IGNORECASE),
)
"""English units in the Chinese scales 万 and 亿 ("Unit: RMB10,000", "(in RMB ten thousand)", "Unit:
10,000 yuan"), only as a whole unit line or bracket: "a fine of RMB 10,000" is an amount."""
_EN_CURRENCY_ONLY = re.compile(rf"(?:\bunit\s*:\s*|\bcurrency\s*:\s*|\(\s*|^\s*){_EN_CURRENCY}\s*(?:\)|$|\b)", re.IGNORECASE)
_PER_SHARE = re.compile(r"元\s*/\s*股|(?:RMB|yuan)\s*(?:per|/)\s*share", re.IGNORECASE)
_POINTS = re.compile(r"百分点|percentage points?|\bppts?\b", re.IGNORECASE)
_PERCENT = re.compile(r"%|\(\s*percent\s*\)|\bin percent\b", re.IGNORECASE)
_TIMES = re.compile(r"\(\s*倍\s*\)|单位\s*:?\s*倍")


def find_unit(text: str | None) -> Unit | None:
    """The unit a header, a row label or a unit line states, or ``None``.

    Chinese money units count only where a unit is written (``单位：万元``, ``（元）``, a whole
    text of ``元``), so that 多元化 or 元旦 in a title is no unit."""
    if not text:
        return None
    folded = fold(text).translate(_MARKS)
    if _PER_SHARE.search(folded):
        return PER_SHARE
    if _POINTS.search(folded):
        return POINTS
    if _PERCENT.search(folded):
        return PERCENT
    if _TIMES.search(folded):
        return TIMES
    for pattern in (_ZH_UNIT_LINE, _ZH_BRACKETED):
        found = pattern.search(folded)
        if found:
            return _money(found["scale"] or "", found["currency"])
    whole = re.fullmatch(_ZH_MONEY, folded)
    if whole:
        return _money(whole["scale"] or "", whole["currency"])
    shares = _ZH_SHARES.search(folded)
    if shares:
        scale = shares["scale"] or ""
        return Unit(f"{scale}股", "股", _SCALES[scale])
    for pattern in _EN_MYRIADS:
        found = pattern.search(folded)
        if found:
            return _money("万" if re.match(r"10,?000$|ten", found["scale"], re.IGNORECASE) else "亿", found["currency"])
    for pattern in (_EN_THOUSANDS, _EN_SCALE_AFTER, _EN_SCALE_BEFORE):
        found = pattern.search(folded)
        if found:
            return _money(found["scale"], found["currency"])
    in_scale = _EN_IN_SCALE.search(folded)
    if in_scale:
        currency = re.search(_EN_CURRENCY, folded, re.IGNORECASE)
        return _money(in_scale["scale"], currency["currency"] if currency else "")
    currency_only = _EN_CURRENCY_ONLY.search(folded)
    if currency_only:
        return _money("", currency_only["currency"])
    return None


def first_unit(*texts: str | None) -> Unit | None:
    """The first unit stated among ``texts``, most specific first: pass a row label, then the
    column header, then the table's unit line (a row "基本每股收益（元/股）" in a table "单位：元")."""
    for text in texts:
        unit = find_unit(text)
        if unit is not None:
            return unit
    return None


@dataclass(frozen=True)
class Quantity:
    """A number read from text: ``value`` as written (12.5 for "12.5%"), in ``unit``."""

    value: Decimal
    unit: Unit
    raw: str

    @property
    def base(self) -> Decimal:
        """The value in the base unit: 元 for 1.5 万元 → 15000, a fraction for 12.5% → 0.125."""
        return self.value * self.unit.scale


NONE_TEXTS = frozenset({"", "-", "--", "—", "——", "–", "―", "/", "\\", "不适用", "无", "n/a", "na", "nil", "none", "*"})
"""Cells that say "no value" (the dash of an empty cell, 不适用 "not applicable")."""

_INCREASE = r"增加|增长|上升|提高|上涨|increased?\s+by|up\s+by|grew\s+by|rose\s+by|up"
_DECREASE = r"减少|下降|降低|下跌|减少了|decreased?\s+by|down\s+by|fell\s+by|dropped\s+by|down"
_SUFFIX = (
    r"个百分点|百分点|(?:percentage\s+points?|ppts?)(?![a-z])|%|元/股|倍"
    r"|(?:十万|百万|千万|十亿|千|万|亿)?(?:元|美元|港元|港币)|(?:万|亿)?股"
    r"|十万|百万|千万|十亿|千|万|亿|(?:thousands?|millions?|billions?|mn|bn|k|m)(?![a-z])"
)
_NUMBER = re.compile(
    rf"(?P<direction>{_INCREASE}|{_DECREASE})?\s*"
    r"(?P<open>\()?\s*(?P<sign>[-+])?\s*"
    r"(?P<currency>人民币|RMB|CNY|USD|US\$|HK\$|HKD|¥|\$)?\s*(?P<sign2>[-+])?\s*"
    r"(?P<number>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?(?:e[-+]?\d{1,3})?|\.\d+)\s*"
    rf"(?P<suffix>{_SUFFIX})?\s*(?:\s(?P<currency2>yuan|RMB|CNY|USD|HKD))?\s*(?P<close>\))?\s*[*※]?",
    re.IGNORECASE,
)
_MARKS = str.maketrans({"−": "-", "﹣": "-", "‒": "-", "’": "'", "‘": "'", "′": "'", "`": "'"})
"""Minus signs and apostrophes NFKC leaves alone (U+2212, RMB’000)."""


def _suffix_unit(suffix: str, currency: str, default: Unit | None) -> Unit | None:
    """The unit written next to the number, or ``None`` for none (then the default applies)."""
    if not suffix:
        return _money("", currency) if currency else None
    lowered = re.sub(r"\s+", " ", suffix.lower())
    if lowered in ("%",):
        return PERCENT
    if "百分点" in lowered or lowered.startswith(("percentage", "ppt", "pp")):
        return POINTS
    if lowered == "元/股":
        return PER_SHARE
    if lowered == "倍":
        return TIMES
    if lowered.endswith("股"):
        scale = lowered[:-1]
        return Unit(lowered, "股", _SCALES[scale])
    money = re.fullmatch(r"(?P<scale>十万|百万|千万|十亿|千|万|亿)?(?P<currency>元|美元|港元|港币)", lowered)
    if money:
        return _money(money["scale"] or "", money["currency"])
    # a bare scale (万, million): the currency comes from the cell or the table's unit
    if currency:
        return _money(lowered, currency)
    if default is not None and default.base not in ("", "ratio", "元/股"):
        symbol = f"{lowered}{default.base}" if lowered in _ZH_SCALES else f"{default.base} {lowered}"
        return Unit(symbol, default.base, _SCALES[lowered])
    return Unit(lowered, "", _SCALES[lowered])


def parse_number(text: str | None, unit: Unit | None = None) -> Quantity | None:
    """``text`` as a number, or ``None`` when it is empty, a dash, or not one number.

    ``unit`` is the unit around the cell (see :func:`first_unit`); a unit written in the cell wins.
    A negative is written ``-1.5``, ``−1.5`` or ``(1.5)``; 减少/下降/decreased by make a change
    negative ("减少2.1个百分点" is −2.1 points)."""
    if text is None:
        return None
    folded = fold(text).translate(_MARKS)
    if folded.lower() in NONE_TEXTS:
        return None
    found = _NUMBER.fullmatch(folded)
    if found is None or bool(found["open"]) != bool(found["close"]):
        return None
    try:
        value = Decimal(found["number"].replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern only lets digits through
        return None
    negative = (found["sign"] == "-") != (found["sign2"] == "-")
    if found["open"] and not negative:
        negative = True
    direction = (found["direction"] or "").lower()
    if direction and re.fullmatch(_DECREASE, direction):
        negative = not negative
    stated = _suffix_unit(found["suffix"] or "", found["currency"] or found["currency2"] or "", unit)
    return Quantity(-value if negative else value, stated or unit or PLAIN, text)


def find_numbers(text: str, unit: Unit | None = None) -> list[Quantity]:
    """Every number with its unit in running text ("超过1亿元", "more than RMB 100 million")."""
    folded = fold(text).translate(_MARKS)
    found: list[Quantity] = []
    for match in _NUMBER.finditer(folded):
        if not match["number"] or bool(match["open"]) != bool(match["close"]):
            continue
        quantity = parse_number(match.group(0).strip(), unit)
        if quantity is not None:
            found.append(quantity)
    return found


def quantize(value: Decimal, decimals: int) -> Decimal:
    """``value`` rounded half up (2.675 → 2.68; binary floats would give 2.67), with the precision
    its digits need (the default context stops at 28)."""
    digits = max(value.adjusted(), 0) + decimals + 2
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP, context=Context(prec=max(28, digits)))


def format_number(value: Decimal | float, decimals: int | None = 2, *, grouping: bool = True) -> str:
    """``value`` with ``decimals`` places (``None``: as it is) and thousands separators:
    ``format_number(Decimal("12345678"))`` is ``"12,345,678.00"``."""
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if decimals is not None:
        number = quantize(number, decimals)
    if number == 0:
        number = abs(number)  # no "-0.00"
    return f"{number:,f}" if grouping else f"{number:f}"


def format_percent(fraction: Decimal | float, decimals: int | None = 2) -> str:
    """A fraction as a percentage: ``format_percent(Decimal("0.05263"))`` is ``"5.26%"``."""
    number = fraction if isinstance(fraction, Decimal) else Decimal(str(fraction))
    return f"{format_number(number * 100, decimals, grouping=False)}%"


class Rounding(BaseModel):
    """The rounding a question asks for: ``decimals`` places (``None``: not said), whether the
    result is wanted as a percentage, and the unit an amount is wanted in (万元, 亿元, RMB million)."""

    decimals: int | None = None
    percent: bool = False
    unit: str | None = None


def format_amount(value: Decimal, rounding: Rounding | None = None, language: str = "zh", base: str = "元") -> str:
    """An amount in ``base`` units as an answer states it, in the unit asked: "1.29 亿元",
    "129,188,735.59 元", "RMB 129.19 million"."""
    decimals = 2 if rounding is None or rounding.decimals is None else rounding.decimals
    unit = find_unit(rounding.unit) if rounding is not None and rounding.unit else None
    if unit is None or unit.base != base:
        unit = Unit(base, base)
    number = format_number(value / unit.scale, decimals)
    english_scale = _ENGLISH_SCALES.get(unit.scale) if unit.scale != 1 else ""
    if language == "zh" or english_scale is None:
        return f"{number} {unit.symbol}"
    currency = "RMB" if base == "元" else base
    return f"{currency} {number} {english_scale}".rstrip()


_ENGLISH_SCALES = {Decimal(10**3): "thousand", Decimal(10**6): "million", Decimal(10**9): "billion"}


_CHINESE_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ENGLISH_DIGITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}


def small_number(word: str) -> int | None:
    """A count written in digits, Chinese (三, 十, 十二, 二十) or English (three) up to 99."""
    word = word.strip().lower()
    if word.isdigit():
        return int(word)
    if word in _ENGLISH_DIGITS:
        return _ENGLISH_DIGITS[word]
    if word and all(char in _CHINESE_DIGITS or char == "十" for char in word):
        if "十" not in word:
            return _CHINESE_DIGITS[word] if len(word) == 1 else None
        tens, _, units = word.partition("十")
        if (tens and tens not in _CHINESE_DIGITS) or (units and units not in _CHINESE_DIGITS):
            return None
        return (_CHINESE_DIGITS[tens] if tens else 1) * 10 + (_CHINESE_DIGITS[units] if units else 0)
    return None


_COUNT = r"(\d+|[零〇一二两三四五六七八九十]+|zero|one|two|three|four|five|six|seven|eight|nine|ten)"
_DECIMALS = [
    re.compile(rf"保留\s*(?:到)?\s*(?:小数点后)?\s*{_COUNT}\s*位(?:小数|有效数字)?"),
    re.compile(rf"精确到\s*(?:小数点后)?\s*{_COUNT}\s*位"),
    re.compile(rf"\b{_COUNT}\s+decimal(?:s|\s+places?|\s+points?|\s+digits?)?\b", re.IGNORECASE),
    re.compile(rf"\b{_COUNT}\s+(?:places?|digits?)\s+after\s+the\s+decimal", re.IGNORECASE),
]
_WHOLE = re.compile(
    r"保留整数|取整|精确到个位|四舍五入到整数|(?:nearest|a)\s+(?:whole\s+number|integer)|no\s+decimals", re.IGNORECASE
)
_NEAREST = {"tenth": 1, "hundredth": 2, "thousandth": 3}
_AS_PERCENT = re.compile(
    r"百分比|百分数|以\s*%\s*表示|用\s*%\s*表示|as\s+a\s+percent(?:age)?|in\s+percent(?:age)?|percentage\s+form", re.IGNORECASE
)


_ZH_AMOUNT_UNIT = re.compile(r"(?:多少|以|用|单位\s*:?\s*|折合|换算成|换算为)\s*(?:人民币)?\s*(千|万|百万|千万|亿)?元")
_EN_AMOUNT_UNIT = re.compile(
    r"\bin\s+(?:RMB\s+|yuan\s+)?(thousands?|millions?|billions?)\b(?:\s+of\s+(?:RMB|yuan))?", re.IGNORECASE
)


def _amount_unit(folded: str) -> str | None:
    zh = _ZH_AMOUNT_UNIT.search(folded)
    if zh:
        return f"{zh.group(1) or ''}元"
    en = _EN_AMOUNT_UNIT.search(folded)
    return f"RMB {en.group(1).lower().rstrip('s')}" if en else None


def rounding_asked(question: str) -> Rounding:
    """The rounding ``question`` asks for: "保留两位小数", "rounded to 2 decimals", "取整",
    "to the nearest tenth"; "以百分比表示" / "as a percentage"; "多少亿元" / "in millions"."""
    folded = fold(question)
    decimals: int | None = None
    for pattern in _DECIMALS:
        found = pattern.search(folded)
        if found:
            decimals = small_number(found.group(1))
            break
    if decimals is None and _WHOLE.search(folded):
        decimals = 0
    if decimals is None:
        nearest = re.search(r"nearest\s+(tenth|hundredth|thousandth)", folded, re.IGNORECASE)
        decimals = _NEAREST[nearest.group(1).lower()] if nearest else None
    return Rounding(decimals=decimals, percent=bool(_AS_PERCENT.search(folded)), unit=_amount_unit(folded))
