"""The parsed document as the parser saw it, page by page (``ragkb doc layout``): each page's
running header, its titles, text and tables in reading order, then its running footer."""

from __future__ import annotations

from itertools import groupby
from typing import Literal

from pydantic import BaseModel

from ragkb.models import Block, ParsedDocument

LayoutType = Literal["title", "text", "table", "header", "footer"]
_TYPES: dict[str, LayoutType] = {"heading": "title", "paragraph": "text", "code": "text", "table": "table"}


class LayoutRow(BaseModel):
    page: int | None
    row: int  # 1-based position on its page (in the document for formats without pages)
    type: LayoutType
    content: str


def layout(document: ParsedDocument) -> list[LayoutRow]:
    furniture = {page: list(blocks) for page, blocks in groupby(document.furniture, key=lambda block: block.page)}
    rows: list[LayoutRow] = []
    pages = dict.fromkeys([block.page for block in document.blocks] + list(furniture))
    for page in pages:
        own = [block for block in document.blocks if block.page == page]
        extra = furniture.get(page, [])
        ordered: list[Block] = [b for b in extra if b.kind == "header"] + own + [b for b in extra if b.kind == "footer"]
        for number, block in enumerate(ordered, start=1):
            kind = block.kind if block.kind in ("header", "footer") else _TYPES[block.kind]
            rows.append(LayoutRow(page=page, row=number, type=kind, content=block.text))
    return sorted(rows, key=lambda row: (row.page or 0, row.row))
