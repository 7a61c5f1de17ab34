"""Sentences of a chunk as a reader sees them: blocks (paragraphs, list items, table rows) and the
sentences inside them.

A chunk's lines are not its sentences: text wrapped in the source (Markdown, text files, PDFs)
continues on the next line, a list item is one block however many lines it takes, a table row is a
block of its own. Inside a block a sentence ends at 。！？!? or at a full stop followed by a space,
except after an abbreviation (e.g., i.e., etc. before a lower-case word, Mr., No., Fig., ext.), an
initial (J. Smith) or a list number ("1. Open …"); a full stop inside a token (3.5, 3.2.0,
192.168.8.1, file.txt) ends nothing, nor does a semicolon or a colon. Citation markers after a
sentence ("… ends. [1][2]") stay with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

ABBREVIATIONS = frozenset(
    [
        "e.g",
        "i.e",
        "cf",
        "vs",
        "viz",
        "al",
        "approx",
        "ca",
        "no",
        "nos",
        "fig",
        "figs",
        "eq",
        "eqs",
        "ref",
        "refs",
        "vol",
        "vols",
        "ch",
        "sec",
        "p",
        "pp",
        "ed",
        "eds",
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "st",
        "jr",
        "sr",
        "inc",
        "ltd",
        "co",
        "corp",
        "dept",
        "est",
        "min",
        "max",
        "ext",
        "tel",
        "incl",
        "resp",
        "esp",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "mon",
        "tue",
        "wed",
        "thu",
        "fri",
        "sat",
        "sun",
        "a.m",
        "p.m",
        "u.s",
        "u.k",
        "e.u",
        "ph.d",
    ]
)
"""Words that a full stop follows without ending the sentence (compared lower-cased, without the stop)."""
ENDS_BEFORE_CAPITAL = frozenset({"etc", "al"})
"""Abbreviations that end a sentence when a capitalised word follows ("… and so on, etc. The …")."""

BlockKind = Literal["paragraph", "item", "row", "heading"]

LIST_ITEM = re.compile(
    r"^(?:[-*•·▪‣◦]\s+|\d{1,3}[.)]\s+|\d{1,3}、|[（(](?:\d{1,3}|[一二三四五六七八九十]{1,3})[)）]\s*"
    r"|[一二三四五六七八九十]{1,3}、|[a-z][.)]\s+|第[一二三四五六七八九十百零\d]{1,5}[条章节款]\s*)"
)
"""The start of a list item, a numbered step or an article of a regulation (第十三条)."""
ARTICLE = re.compile(r"^第[一二三四五六七八九十百零\d]{1,5}[条章节款]")
"""An article of a regulation: a list item that is no step."""
MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+")
_TERMINAL = "。！？!?.；;：:"
_CLOSERS = "\"'”’」』）)】]》"
_MARKERS = re.compile(r"(?:\s*\[\d{1,3}\])+")
_HAN = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class Block:
    """A paragraph, a list item, a table row or a heading, its wrapped lines joined."""

    kind: BlockKind
    text: str
    intro: str | None = None
    """For a list item: the sentence ending in a colon that introduces its list."""


def _joiner(before: str, after: str) -> str:
    """Nothing between Chinese, a space between words."""
    return "" if _HAN.match(after[:1]) and _HAN.search(before[-1:]) else " "


def _continues(block: str, previous_line: str, line: str, indented: bool) -> bool:
    """Whether ``line`` is the wrapped rest of ``block``, whose last line was ``previous_line``."""
    if line.startswith("|") or LIST_ITEM.match(line) or MARKDOWN_HEADING.match(line):
        return False
    if indented:
        return True
    if block.rstrip().endswith(tuple(_TERMINAL)):
        return False
    if line[:1].islower():
        return True
    # a wrapped line is long; short unpunctuated lines are a list without markers
    return len(previous_line) >= (30 if _HAN.search(previous_line) else 60)


def _style(item: str) -> str:
    """An item's marker with its numbers and letters generalised ("1." and "2." alike)."""
    marker = LIST_ITEM.match(item)
    return re.sub(r"[\d一二三四五六七八九十百零a-z]+", "n", marker.group(0).strip()) if marker else ""


def blocks(text: str) -> list[Block]:
    """The blocks of a chunk, in order (table separator rows dropped)."""
    result: list[Block] = []
    intro: str | None = None
    intro_style = ""
    previous_line = ""
    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            intro = None
            continue
        last = result[-1] if result else None
        if line.startswith("|"):
            if not set(line) <= set("|-: "):
                result.append(Block("row", line))
        elif MARKDOWN_HEADING.match(line):
            result.append(Block("heading", MARKDOWN_HEADING.sub("", line)))
            intro = None
        elif last and last.kind in ("paragraph", "item") and _continues(last.text, previous_line, line, raw[:1].isspace()):
            result[-1] = Block(last.kind, last.text + _joiner(last.text, line) + line, last.intro)
        elif LIST_ITEM.match(line):
            style = _style(line)
            if last and last.kind != "row" and last.text.endswith((":", "：")):
                intro, intro_style = last.text, style
            elif style != intro_style:
                intro = None  # a new list (or the next article), not an item of the introduced one
            result.append(Block("item", line, intro))
        else:
            intro = None
            result.append(Block("paragraph", line))
        previous_line = line
    return result


def _ends_at_stop(text: str, index: int) -> bool:
    """Whether the full stop at ``index`` ends a sentence."""
    after = text[index + 1 :]
    stripped = after.lstrip()
    if after and not after[:1].isspace() and after[:1] not in _CLOSERS and not after.startswith("["):
        return False  # inside a token: 3.5, 3.2.0, example.com, e.g.
    if stripped.startswith("."):
        return False  # an ellipsis "..."
    word = re.search(r"([\w.]+)$", text[:index])
    if word is None:
        return True
    token = word.group(1).lower()
    if re.fullmatch(r"\d{1,3}", token) and word.start() == 0:
        return False  # a list number: "1. Open the link"
    if len(token) == 1 and token.isalpha() and text[word.start()].isupper():
        return False  # an initial: "J. Smith"
    if token.rstrip(".") in ENDS_BEFORE_CAPITAL:
        return not stripped[:1].islower() and stripped[:1] not in ",;:)"
    if token.rstrip(".") in ABBREVIATIONS:
        return False
    return not stripped[:1].islower()


def split_sentences(text: str) -> list[str]:
    """The sentences of one block of text (newlines are kept as sentence ends), each with the
    citation markers that follow it."""
    sentences: list[str] = []
    for line in text.split("\n"):
        start = 0
        index = 0
        while index < len(line):
            char = line[index]
            if char in "。！？!?" or (char == "." and _ends_at_stop(line, index)):
                end = index + 1
                while end < len(line) and line[end] in _CLOSERS + "。！？!?":
                    end += 1
                markers = _MARKERS.match(line, end)
                if markers:
                    end = markers.end()
                sentences.append(line[start:end].strip())
                start = index = end
                continue
            index += 1
        if line[start:].strip():
            sentences.append(line[start:].strip())
    return [s for s in sentences if s and not _MARKERS.fullmatch(s)]


def table_cells(row: str) -> list[str]:
    """The cells of a Markdown table row."""
    return [cell.strip() for cell in row.strip().strip("|").split("|")]
