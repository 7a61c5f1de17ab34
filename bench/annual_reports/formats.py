"""How numbers are printed: thousands separators, two decimals, 元 or 万元, negatives with a minus or in parentheses."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

UNITS = {"元": 1, "万元": 10_000}  # 元 per printed unit
UNIT_LINES = {
    ("zh", "元"): "单位：元",
    ("zh", "万元"): "单位：万元",
    ("en", "元"): "Unit: RMB",
    ("en", "万元"): "Unit: RMB10,000",
}
CENT = Decimal("0.01")


def in_unit(fen: int, unit: str) -> Decimal:
    """The amount as printed in ``unit`` (two decimals, rounded half up)."""
    return (Decimal(fen) / 100 / UNITS[unit]).quantize(CENT, rounding=ROUND_HALF_UP)


def number(value: Decimal, negatives: str = "minus") -> str:
    """1234567.8 -> '1,234,567.80'; negatives as '-1,234.56' or '(1,234.56)' (keeps the value's decimals)."""
    exponent = value.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    text = f"{abs(value):,.{places}f}"
    if value >= 0:
        return text
    return f"({text})" if negatives == "parens" else f"-{text}"


def amount(fen: int, unit: str = "元", negatives: str = "minus") -> str:
    return number(in_unit(fen, unit), negatives)


def percent(value: Decimal) -> str:
    """Percentages always carry a minus sign when negative, as in real reports: '-12.34%'."""
    return f"{value:.2f}%"


def tolerance(unit: str) -> Decimal:
    """Half of the last printed digit, in 元: what rounding to the printed figure may change."""
    return CENT / 2 * UNITS[unit]


def words(fen: int, lang: str) -> list[str]:
    """Other ways an answer may state an amount: '12,918.87万元', '1.29亿元' / 'RMB 129.19 million'."""
    yuan = Decimal(fen) / 100
    if lang == "zh":
        forms = [f"{number(in_unit(fen, '万元'))}万元"]
        if abs(yuan) >= 100_000_000:
            forms.append(f"{(yuan / 100_000_000).quantize(CENT, rounding=ROUND_HALF_UP)}亿元")
        return forms
    return [f"RMB {(yuan / 1_000_000).quantize(CENT, rounding=ROUND_HALF_UP):,} million"]
