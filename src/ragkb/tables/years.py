"""Years a question names: "2022年", "FY2022", "in 2022", "2019-2021年", and relative ones
("上年", "去年", "last year") counted from the year asked."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ragkb.tables.text import fold

_YEAR = re.compile(
    r"(?<!\d)(?<!\d[.,])(?:FY\s*|fiscal\s+(?:year\s+)?)?((?:19|20)\d{2})(?!\d)"
    r"(?![.,]\d)(?!\s*(?:[万亿千百元%家个股]|million|billion|thousand|yuan|rmb|percent))",
    re.IGNORECASE,
)
_RANGE = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年?\s*(?:-|–|~|至|到|to)\s*((?:19|20)\d{2})(?!\d)", re.IGNORECASE)
"""A span of years, "2019-2021年" or "2019 to 2021": every year in it."""
_RELATIVE: list[tuple[re.Pattern[str], int]] = [
    (re.compile(r"前年|two\s+years\s+(?:ago|earlier|before)", re.IGNORECASE), -2),
    (
        re.compile(
            r"上年|去年|上一年|前一年|上期|上一期|同比|上年度|"
            r"\b(?:last|previous|prior|preceding)\s+(?:fiscal\s+)?year\b|\bthe\s+year\s+before\b|\ba\s+year\s+earlier\b|year[-\s]on[-\s]year|\byoy\b",
            re.IGNORECASE,
        ),
        -1,
    ),
]
LONGEST_RANGE = 20


@dataclass(frozen=True)
class Years:
    """``year`` is the year asked (the latest one written), ``years`` every year named, with the
    relative ones resolved when a year is written; ``offsets`` the relative ones as offsets from
    the year asked (上年 is −1), kept when no year is written."""

    year: int | None
    years: list[int]
    offsets: list[int]


def find_years(text: str) -> Years:
    """The years ``text`` names. A number is no year when a unit follows it (2000万元, 2021家)."""
    folded = fold(text)
    explicit = {int(match.group(1)) for match in _YEAR.finditer(folded)}
    for first, last in _RANGE.findall(folded):
        if 0 < int(last) - int(first) <= LONGEST_RANGE:
            explicit.update(range(int(first), int(last) + 1))
    offsets: list[int] = []
    remaining = folded
    for pattern, offset in _RELATIVE:
        if pattern.search(remaining):
            offsets.append(offset)
            remaining = pattern.sub(" ", remaining)  # 前年 is not also 上年
    year = max(explicit) if explicit else None
    resolved = explicit | ({year + offset for offset in offsets} if year is not None else set())
    return Years(year, sorted(resolved), sorted(offsets))
