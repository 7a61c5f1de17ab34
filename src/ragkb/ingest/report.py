"""Which company's report a document is, and the year it reports on, from its first pages:
lines or table rows such as 公司名称 / 股票简称 / 股票代码 (Company name, Stock short name, Stock
code), a title "2022年年度报告" / "2022 Annual Report", or the running header naming both."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import pairwise

from ragkb.models import ExtractedTable, ParsedDocument
from ragkb.tables.companies import Company
from ragkb.tables.text import fold

FIRST_PAGES = 5
_FIELDS = {
    "name": re.compile(
        r"^(?:公司(?:的)?(?:中文)?名称|公司全称|中文名称|company\s+name|name\s+of\s+the\s+company)$", re.IGNORECASE
    ),
    "short": re.compile(r"^(?:股票简称|公司简称|证券简称|stock\s+(?:short\s+name|abbreviation)|short\s+name)$", re.IGNORECASE),
    "code": re.compile(r"^(?:股票代码|证券代码|stock\s+code)$", re.IGNORECASE),
}
_LABEL = r"公司(?:的)?(?:中文)?名称|股票简称|证券简称|股票代码|证券代码|Company name|Stock short name|Stock code"
_INLINE = re.compile(rf"({_LABEL})\s*[:：]\s*(.+?)\s*(?=(?:{_LABEL})\s*[:：]|$)", re.IGNORECASE | re.MULTILINE)
_LEGAL_NAME = re.compile(
    r"(\S{2,40}?(?:股份有限公司|有限责任公司|有限公司))|([A-Z][\w&.,' -]{2,80}?(?:Co\.,? Ltd\.|Ltd\.|Inc\.|Corporation|Limited))"
)
_REPORT_YEAR = re.compile(r"((?:19|20)\d{2})\s*(?:年\s*(?:年度|半年度)?报告|annual\s+report)", re.IGNORECASE)


def _pairs(document: ParsedDocument) -> Iterator[tuple[str, str]]:
    """(label, value) from the first pages' table rows and "label：value" lines."""
    for table in document.tables:
        if table.page is not None and table.page > FIRST_PAGES:
            continue
        for row in [table.header, *table.rows]:
            yield from pairwise(cell.strip() for cell in row if cell.strip())  # a column left empty is no value
    for block in document.blocks:
        if block.page is not None and block.page > FIRST_PAGES:
            break
        for match in _INLINE.finditer(fold(block.text)):
            yield match[1], match[2]


def _opening_text(document: ParsedDocument) -> list[str]:
    texts = [block.text for block in document.furniture[:4]]
    texts += [block.text for block in document.blocks if block.page is None or block.page <= FIRST_PAGES][:40]
    return texts


def report_company(document: ParsedDocument) -> Company | None:
    """The company whose report ``document`` is, or ``None`` when its first pages name none."""
    found: dict[str, str] = {}
    for label, value in _pairs(document):
        for name, pattern in _FIELDS.items():
            if value and name not in found and pattern.match(fold(label).rstrip(":： ")):
                found[name] = value
    if "name" not in found:
        for text in _opening_text(document):
            match = _LEGAL_NAME.search(fold(text))
            if match:
                found["name"] = (match[1] or match[2]).strip()
                break
    if "name" not in found:
        return None
    code = found.get("code")
    return Company(
        name=found["name"],
        short_names=[found["short"]] if found.get("short") else [],
        code=code if code and code.isdigit() else None,
    )


def report_year(document: ParsedDocument) -> int | None:
    """The year the report covers: the one its title or running header names ("2022年年度报告")."""
    for text in _opening_text(document):
        match = _REPORT_YEAR.search(fold(text))
        if match:
            return int(match[1])
    return None


@dataclass(frozen=True)
class DocumentTables:
    """What the table store keeps of one document: its tables, whose report it is and its year."""

    tables: list[ExtractedTable] = field(default_factory=list)
    company: Company | None = None
    year: int | None = None


def document_tables(document: ParsedDocument) -> DocumentTables:
    if not document.tables:
        return DocumentTables()
    return DocumentTables(document.tables, report_company(document), report_year(document))
