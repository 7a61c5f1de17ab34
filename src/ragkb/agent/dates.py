"""Dates in a document's text: every date written in Chinese or English, and the one a contract says
it was signed on (next to 签订日期, 签署于, "signed on", "dated", "entered into on" ...)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        1,
    )
    for name in names
}
MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
NUMERIC = re.compile(r"(?<!\d)(\d{4})\s*[年\-/.]\s*(\d{1,2})\s*[月\-/.]\s*(\d{1,2})(?!\d)\s*[日号]?")
MONTH_FIRST = re.compile(rf"\b({MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.IGNORECASE)
DAY_FIRST = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?(?:\s+day\s+of)?\s+({MONTH})\.?,?\s+(\d{{4}})\b", re.IGNORECASE)
SIGNED_BEFORE = re.compile(
    r"签订日期|签署日期|签约日期|签字日期|签订时间|签署时间|签订于|签署于|签约于|签于|"
    r"signing date|date of signing|date signed|signature date|signed on|signed this|executed on|"
    r"entered into(?: as of| on)?|made(?: and entered into)?(?: as of| on)|dated(?: as of)?",
    re.IGNORECASE,
)
"""Words a signing date follows."""
SIGNED_AFTER = re.compile(r"^\s*(?:在\S{0,10})?(?:签订|签署|签约|签字)")
"""本合同于2024年3月1日签订: the date comes first."""
NEAR = 40
"""Characters between the words and their date, at most."""


@dataclass
class FoundDate:
    value: date
    start: int
    end: int


def find_dates(text: str) -> list[FoundDate]:
    """Every valid calendar date written as 2024-03-01, 2024/3/1, 2024年3月1日, March 1, 2024 or 1 March 2024."""
    found = []
    for match in NUMERIC.finditer(text):
        found.append((match, int(match[1]), int(match[2]), int(match[3])))
    for match in MONTH_FIRST.finditer(text):
        found.append((match, int(match[3]), MONTHS[match[1].lower()], int(match[2])))
    for match in DAY_FIRST.finditer(text):
        found.append((match, int(match[3]), MONTHS[match[2].lower()], int(match[1])))
    dates = []
    for match, year, month, day in found:
        try:
            dates.append(FoundDate(date(year, month, day), match.start(), match.end()))
        except ValueError:
            continue
    return sorted(dates, key=lambda found_date: found_date.start)


def signing_date(text: str) -> date | None:
    """The date the text says it was signed on: the first date within :data:`NEAR` characters after
    signing words, or right before 签订/签署; ``None`` when the text says no such thing."""
    text = unicodedata.normalize("NFKC", text)
    dates = find_dates(text)
    for words in SIGNED_BEFORE.finditer(text):
        after = next((d for d in dates if 0 <= d.start - words.end() <= NEAR), None)
        if after is not None:
            return after.value
    return next((d.value for d in dates if SIGNED_AFTER.match(text[d.end : d.end + 20])), None)
