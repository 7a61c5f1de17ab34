"""HTML (.html, .htm) with BeautifulSoup and lxml.

The page is walked in document order, collecting inline text into the current paragraph until
a block-level element starts or ends. Navigation, scripts and footers are dropped; headings
keep their level and tables become one Markdown table block each.
"""

from __future__ import annotations

import re
from pathlib import Path

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import Comment, Declaration, Doctype, ProcessingInstruction

from ragkb.ingest.encoding import decode
from ragkb.ingest.headings import squeeze_whitespace
from ragkb.ingest.loaders.tabular import markdown_table
from ragkb.ingest.tables import CAPTION_LINES, caption, extracted_table
from ragkb.models import Block, ExtractedTable, ParsedDocument

_DROPPED = {"script", "style", "nav", "footer", "noscript", "template", "head", "svg", "iframe", "button", "select"}
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_BLOCKS = {
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "dd",
    "details",
    "dialog",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "header",
    "hr",
    "li",
    "main",
    "ol",
    "p",
    "section",
    "summary",
    "ul",
}
_BREAK = "\x00"  # stands for <br> until the text's own whitespace is squeezed
_NOT_TEXT = (Comment, Declaration, Doctype, ProcessingInstruction)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)


def load_html(path: Path) -> ParsedDocument:
    data = path.read_bytes()
    declared = _META_CHARSET.search(data[:4096])
    text = decode(data, path.name, declared[1].decode("ascii") if declared else None)
    soup = BeautifulSoup(text, "lxml")
    walker = _Walker()
    walker.walk(soup.body or soup)
    walker.flush()
    return ParsedDocument(walker.blocks, loader="html", tables=walker.tables)


class _Walker:
    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.tables: list[ExtractedTable] = []
        self.inline: list[str] = []

    def walk(self, node: Tag) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                if not isinstance(child, _NOT_TEXT):
                    self.inline.append(str(child))
            elif isinstance(child, Tag):
                self.element(child)

    def element(self, tag: Tag) -> None:
        name = tag.name
        if name in _DROPPED:
            return
        if name == "br":
            self.inline.append(_BREAK)
        elif name in _HEADINGS:
            self.flush()
            self.add(Block(_text(tag), "heading", _HEADINGS[name]))
        elif name == "table":
            self.flush()
            rows = _rows(tag)
            named = tag.find("caption")
            above = [block.text for block in self.blocks[-CAPTION_LINES:] if block.kind != "table"]
            title, unit = caption(above + ([_text(named)] if named else []))
            self.add(Block(markdown_table(rows), "table"))
            if table := extracted_table(rows, title=title, unit=unit):
                self.tables.append(table)
        elif name == "pre":
            self.flush()
            self.add(Block(tag.get_text().strip("\n")))
        elif name in _BLOCKS:
            self.flush()
            self.walk(tag)
            self.flush()
        else:
            self.walk(tag)

    def flush(self) -> None:
        lines = [squeeze_whitespace(line).strip() for line in "".join(self.inline).split(_BREAK)]
        self.inline = []
        self.add(Block("\n".join(line for line in lines if line)))

    def add(self, block: Block) -> None:
        if block.text.strip():
            self.blocks.append(block)


def _text(tag: Tag) -> str:
    return squeeze_whitespace(tag.get_text(" ")).strip()


def _rows(table: Tag) -> list[list[str]]:
    """Cells of ``table``'s own rows (a nested table stays inside its cell's text)."""
    rows = []
    for row in table.find_all("tr"):
        if row.find_parent("table") is table:
            rows.append([_text(cell) for cell in row.find_all(["th", "td"], recursive=False)])
    return rows
