"""Markdown (.md, .markdown) with markdown-it-py.

Headings become heading blocks with their level, plain text only. Other top-level blocks keep
their Markdown source (a list stays a list, a table a pipe table), which reads well in a cited
chunk. YAML front matter is metadata, not content, and is skipped.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

from bs4 import BeautifulSoup
from markdown_it import MarkdownIt
from markdown_it.token import Token

from ragkb.ingest.encoding import read_text
from ragkb.models import Block, BlockKind, ParsedDocument

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n.*?\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_SOURCE_KINDS: dict[str, BlockKind] = {
    "bullet_list_open": "paragraph",
    "ordered_list_open": "paragraph",
    "blockquote_open": "paragraph",
    "table_open": "table",
}
_PARSER = MarkdownIt("commonmark").enable("table")


def load_markdown(path: Path) -> ParsedDocument:
    text = read_text(path).replace("\r\n", "\n").replace("\r", "\n")
    text = _FRONT_MATTER.sub("", text, count=1)
    lines = text.split("\n")
    tokens = _PARSER.parse(text)
    blocks: list[Block] = []
    for index, token in enumerate(tokens):
        if token.level != 0:
            continue
        if token.type == "heading_open":
            blocks.append(Block(_plain(tokens[index + 1]), "heading", int(token.tag[1:])))
        elif token.type == "paragraph_open":
            blocks.append(Block(tokens[index + 1].content))
        elif token.type in _SOURCE_KINDS and token.map:
            start, end = token.map
            blocks.append(Block(textwrap.dedent("\n".join(lines[start:end])).strip("\n"), _SOURCE_KINDS[token.type]))
        elif token.type in ("fence", "code_block"):
            blocks.append(Block(token.content.rstrip("\n"), "code"))
        elif token.type == "html_block":
            blocks.append(Block(BeautifulSoup(token.content, "lxml").get_text(" ", strip=True)))
    return ParsedDocument([block for block in blocks if block.text.strip()], loader="markdown")


def _plain(inline: Token) -> str:
    """The text of an inline token without markup: "**Setup** `pip`" → "Setup pip"."""
    parts = [" " if child.type in ("softbreak", "hardbreak") else child.content for child in inline.children or []]
    return "".join(parts).strip()
