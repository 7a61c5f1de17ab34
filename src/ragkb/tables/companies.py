"""Companies a question names, among the companies a knowledge base knows (from its documents):
by full name, short name or stock code."""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from ragkb.tables.text import fold, has_chinese, latin_word

_LEGAL_SUFFIXES = re.compile(
    r"(?:集团)?股份有限公司$|有限责任公司$|有限公司$|\s*(?:group\s+)?(?:co\.?,?\s*ltd\.?|company\s+limited|corporation|corp\.?|inc\.?|limited|plc)$",
    re.IGNORECASE,
)


class Company(BaseModel):
    """A company the knowledge base knows: its full name, short names (星海科技) and stock code."""

    name: str
    short_names: list[str] = Field(default_factory=list)
    code: str | None = None

    def aliases(self) -> list[str]:
        """Every way a question may name the company: full name, the name without its legal form
        (股份有限公司, Co., Ltd.), short names and the stock code."""
        core = _LEGAL_SUFFIXES.sub("", fold(self.name)).strip(" ,")
        names = [self.name, core, *self.short_names]
        return [fold(name) for name in dict.fromkeys(names) if name and len(fold(name)) >= 2]


class CompanyMention(BaseModel):
    """A company named in a question: ``matched`` is the text that named it."""

    name: str
    code: str | None = None
    matched: str


def _pattern(alias: str) -> str:
    if alias.isdigit():  # a stock code, maybe with its exchange: 600519, 600519.SH, SZ000001
        return rf"(?<![\d.]){re.escape(alias)}(?!\d)"
    if has_chinese(alias):
        return re.escape(alias)
    return latin_word(alias)


def find_companies(text: str, known: list[Company]) -> list[CompanyMention]:
    """The known companies ``text`` names, in order of appearance, the longest name first where
    names overlap (星海科技股份有限公司 is one mention, not also 星海科技)."""
    folded = fold(text).lower()
    candidates = sorted(
        ((alias, company) for company in known for alias in company.aliases() + ([company.code] if company.code else [])),
        key=lambda pair: len(pair[0]),
        reverse=True,
    )
    occupied: list[tuple[int, int]] = []
    found: dict[str, tuple[int, CompanyMention]] = {}
    for alias, company in candidates:
        for match in re.finditer(_pattern(alias.lower()), folded):
            start, end = match.span()
            if any(start < other_end and other_start < end for other_start, other_end in occupied):
                continue
            occupied.append((start, end))
            if company.name not in found:
                found[company.name] = (start, CompanyMention(name=company.name, code=company.code, matched=fold(text)[start:end]))
    return [mention for _, mention in sorted(found.values(), key=lambda pair: pair[0])]
