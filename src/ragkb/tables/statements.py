"""Which financial statement a table is, from its title or the heading above it.

A figure appears in several tables of one report: 合并资产负债表 (consolidated) and 母公司资产负债表
(parent company only) hold different 存货; 主要会计数据和财务指标 repeats consolidated figures. A
value must come from the right one, so each table gets a kind and a scope.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ragkb.tables.text import squeeze

StatementKind = Literal["balance_sheet", "income_statement", "cash_flow", "equity_changes", "key_figures"]
Scope = Literal["consolidated", "parent"]

_KINDS: list[tuple[StatementKind, re.Pattern[str]]] = [
    (
        "equity_changes",
        re.compile(r"所有者权益变动表|股东权益变动表|changes\s+in\s+(?:owners'|shareholders'|stockholders')?\s*equity"),
    ),
    ("cash_flow", re.compile(r"现金流量表|cash\s*flows?\s+statement|statements?\s+of\s+cash\s*flows?")),
    (
        "income_statement",
        re.compile(
            r"利润表|损益表|利润及利润分配表|income\s+statement|statements?\s+of\s+(?:comprehensive\s+)?income"
            r"|(?:statements?\s+of\s+)?profit\s+(?:or|and)\s+loss"
        ),
    ),
    ("balance_sheet", re.compile(r"资产负债表|balance\s+sheet|statements?\s+of\s+financial\s+position")),
    (
        "key_figures",
        re.compile(
            r"主要会计数据|主要财务指标|财务摘要|key\s+(?:accounting|financial)\s+(?:data|figures|indicators)|financial\s+highlights"
        ),
    ),
]
_PARENT = re.compile(r"母公司(?!股东|所有者|普通股)|parent\s+company|company\s+(?:balance|income|cash)|of\s+the\s+company\b")
_CONSOLIDATED = re.compile(r"合并|consolidated")


@dataclass(frozen=True)
class StatementType:
    """``kind`` and ``scope`` of a statement; either is ``None`` when the title does not say."""

    kind: StatementKind | None
    scope: Scope | None


def classify_statement(title: str) -> StatementType:
    """The statement ``title`` names: "合并资产负债表" is a consolidated balance sheet, "母公司利润表"
    the parent company's income statement, "主要会计数据和财务指标" key figures (consolidated, as
    reports state them). 归属于母公司股东 (attributable to the parent's owners) is no parent scope."""
    text = squeeze(title)
    kind = next((kind for kind, pattern in _KINDS if pattern.search(text)), None)
    scope: Scope | None = None
    if _CONSOLIDATED.search(text):
        scope = "consolidated"
    elif _PARENT.search(text):
        scope = "parent"
    elif kind == "key_figures":
        scope = "consolidated"
    return StatementType(kind, scope)
