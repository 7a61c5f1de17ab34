"""Word documents (.docx) with python-docx, paragraphs and tables in document order.

Headings come from paragraph styles (Title, Heading N, localized names such as "标题 1", or an
outline level set on the paragraph or its style). Documents typed without heading styles, as
many Chinese ones are, still get headings from their numbering (第一章, 一、, 1.1) via
:mod:`ragkb.ingest.headings`; those rank below all styled headings.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import docx
from docx.document import Document
from docx.oxml.ns import qn
from docx.styles.style import ParagraphStyle
from docx.table import Table
from docx.text.paragraph import Paragraph
from lxml.etree import _Element

from ragkb.errors import LoaderError
from ragkb.ingest.headings import blocks_from_lines, normalize_levels
from ragkb.ingest.loaders.tabular import markdown_table
from ragkb.ingest.tables import caption, extracted_table
from ragkb.models import Block, ExtractedTable, ParsedDocument

_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*([1-9])$", re.IGNORECASE)
_TITLE_STYLES = {"title", "标题"}
_TOC_STYLE = re.compile(r"^(?:toc|目录)", re.IGNORECASE)  # "toc 1", "TOC Heading", "目录 1": entries repeat the headings
_BODY_OUTLINE_LEVEL = 9
_NUMBERED_OFFSET = 10  # numbered plain paragraphs rank below Heading 1-9


def load_docx(path: Path) -> ParsedDocument:
    with path.open("rb") as file:
        if file.read(len(_OLE_SIGNATURE)) == _OLE_SIGNATURE:
            raise LoaderError(
                f"{path.name}: this is a legacy .doc or a password-protected file; open it in Word, remove any password and save it as .docx"
            )
    document = docx.Document(str(path))
    blocks: list[Block] = []
    tables: list[ExtractedTable] = []
    plain: list[str] = []  # lines of unstyled paragraphs, a blank line after each paragraph
    above: list[str] = []  # the last paragraphs, for a table's title and unit line

    def flush() -> None:
        numbered = blocks_from_lines(plain)
        for block in numbered:
            if block.kind == "heading":
                block.level += _NUMBERED_OFFSET
        blocks.extend(numbered)
        plain.clear()

    for item in _body_items(document.element.body, document):
        if isinstance(item, Table):
            flush()
            rows = [[cell.text for cell in row.cells] for row in item.rows]
            blocks.append(Block(markdown_table(rows), "table"))
            title, unit = caption(above)
            if table := extracted_table(rows, title=title, unit=unit):
                tables.append(table)
            continue
        text = item.text.strip()
        if not text or _TOC_STYLE.match(getattr(item.style, "name", None) or ""):
            continue
        above.append(" ".join(text.split()))
        rank = _style_rank(item)
        if rank is None:
            plain.extend([*text.splitlines(), ""])
        else:
            flush()
            blocks.append(Block(" ".join(text.split()), "heading", rank))
    flush()
    return ParsedDocument(normalize_levels([block for block in blocks if block.text]), loader="docx", tables=tables)


def _body_items(container: _Element, document: Document) -> Iterator[Paragraph | Table]:
    """Paragraphs and tables in document order, including those inside content controls."""
    for child in container.iterchildren():
        if child.tag == qn("w:p"):
            yield Paragraph(child, document)
        elif child.tag == qn("w:tbl"):
            yield Table(child, document)
        elif child.tag == qn("w:sdt") and (content := child.find(qn("w:sdtContent"))) is not None:
            yield from _body_items(content, document)


def _style_rank(paragraph: Paragraph) -> int | None:
    """0 for a title, N for a level-N heading, None for body text."""
    own = _outline_level(paragraph._p.pPr)
    if own is not None:
        return _outline_rank(own)
    style: ParagraphStyle | None = paragraph.style
    seen: set[str] = set()
    while style is not None and style.style_id not in seen:
        seen.add(style.style_id)
        name = (style.name or "").strip()
        if name.lower() in _TITLE_STYLES:
            return 0
        if match := _HEADING_STYLE.match(name):
            return int(match[1])
        outline = _outline_level(style.element.pPr)
        if outline is not None:
            return _outline_rank(outline)
        style = style.base_style
    return None


def _outline_level(properties: _Element | None) -> int | None:
    """The ``w:outlineLvl`` set in paragraph properties: 0-8 for headings, 9 for body text."""
    element = properties.find(qn("w:outlineLvl")) if properties is not None else None
    return None if element is None else int(element.get(qn("w:val"), _BODY_OUTLINE_LEVEL))


def _outline_rank(level: int) -> int | None:
    return level + 1 if level < _BODY_OUTLINE_LEVEL else None
