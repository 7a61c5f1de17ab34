"""Structure in plain-text lines: numbered headings, paragraphs, joining wrapped lines.

Used by the loaders whose formats carry no heading markup (plain text, PDF, unstyled Word).

:func:`heading_rank` gives each numbering style a fixed rank, in the order Chinese official
documents nest them and English documents use them::

    0 第X编/篇/部分, Part N      3 一、
    1 第X章, Chapter N          4 （一） / (一)
    2 第X节, Section N          5 1.   6 1.1   7 1.1.1 ...

A document rarely uses all of them, so :func:`normalize_levels` then renumbers the ranks a
document actually uses as 1, 2, 3...: a file numbered only 一、/（一） gets levels 1 and 2, a
file numbered 1./1.1 too.

第X条 (an article of a regulation) is deliberately not a heading: an article is body text that
carries its own number (第五条 本办法适用于……), and keeping it in the text keeps the number in
the chunk a citation points to.

A line is only taken as a heading when it looks like a title (short, no sentence punctuation),
and a run of two or more same-rank numbered lines with no text between them is a list or a
table of contents, not headings.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from ragkb.models import Block

MAX_HEADING_CHARS = 50

_CN_DIGITS = "一二三四五六七八九十百千零〇两"
_NUMBER = rf"(?:[{_CN_DIGITS}]+|[0-9０-９]{{1,3}})"
_RANKED_PATTERNS: tuple[tuple[int, re.Pattern[str]], ...] = (
    (0, re.compile(rf"^第\s*{_NUMBER}\s*(?:编|篇|部分)(?P<title>.*)$")),
    (1, re.compile(rf"^第\s*{_NUMBER}\s*章(?P<title>.*)$")),
    (2, re.compile(rf"^第\s*{_NUMBER}\s*节(?P<title>.*)$")),
    (3, re.compile(rf"^[{_CN_DIGITS}]+、\s*(?P<title>\S.*)$")),
    (4, re.compile(rf"^[（(]\s*[{_CN_DIGITS}]+\s*[)）]\s*(?P<title>\S.*)$")),
)
_ENGLISH = re.compile(
    r"^(?P<kind>part|chapter|section)\s+(?:\d{1,3}|[ivxlcdm]{1,6}|[a-z])\b[.:：\-–—]?\s*(?P<title>.*)$", re.IGNORECASE
)
_ENGLISH_RANKS = {"part": 0, "chapter": 1, "section": 2}
_DECIMAL_RANK = 4  # plus the number of components: 1. → 5, 1.1 → 6
# A lone number needs its punctuation ("1." "1、"); "1.1" may be followed directly by Chinese ("1.1背景").
_DECIMAL = re.compile(r"^(?P<number>\d{1,2}(?:[.．]\d{1,2})*)(?P<dot>[.．、])?\s*(?P<title>\S.*)$")
_ITEM_START = re.compile(
    rf"^(?:第\s*{_NUMBER}\s*条|[{_CN_DIGITS}]+、|[（(]\s*(?:[{_CN_DIGITS}]+|\d{{1,2}})\s*[)）]|\d{{1,2}}[.．、)）](?!\d)\s*\S|[-•·▪●■◆*]\s)"
)
_SENTENCE_END = tuple("。；;！!？?，,：:、….")
_SENTENCE_INSIDE = re.compile(r"[。；！？]|\.{3,}|…{2,}|·{3,}")  # several sentences, or table-of-contents leaders

_HAN = r"\u2e80-\u2fdf\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # ideographs and kana
_CJK = _HAN + r"\u3000-\u303f\uff00-\uffef"  # and their punctuation and full-width forms
_CJK_CHAR = re.compile(f"[{_CJK}]")
_WORD = re.compile(rf"[^\s{_HAN}]+|\S")
_WHITESPACE = re.compile(r"\s+")
_WRAP_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}])[^\S\n]*\n\s*(?=[{_CJK}])")


def heading_rank(line: str) -> int | None:
    """The rank of ``line``'s numbering style (see the module docstring), or None for body text."""
    text = line.strip()
    if not looks_like_title(text):
        return None
    for rank, pattern in _RANKED_PATTERNS:
        if pattern.match(text):
            return rank
    if match := _ENGLISH.match(text):
        return _ENGLISH_RANKS[match["kind"].lower()] if _title_starts_well(match["title"], optional=True) else None
    if (match := _DECIMAL.match(text)) and _title_starts_well(match["title"]):
        components = len(re.split(r"[.．]", match["number"]))
        if components > 1 or match["dot"]:
            return _DECIMAL_RANK + components
    return None


def starts_item(line: str) -> bool:
    """Whether ``line`` opens a numbered or bulleted item: 第五条, 一、, （二）, (3), 4., •."""
    return bool(_ITEM_START.match(line))


def looks_like_title(text: str, max_chars: int = MAX_HEADING_CHARS) -> bool:
    """Short, and not a sentence: no sentence punctuation at the end or in the middle."""
    return 0 < len(text) <= max_chars and not text.endswith(_SENTENCE_END) and not _SENTENCE_INSIDE.search(text)


def _title_starts_well(title: str, optional: bool = False) -> bool:
    """Titles start like titles: "1.5 kg of flour" or "Section 2 of the lease" are not headings."""
    if not title:
        return optional
    first = title[0]
    return not (first.isdigit() or first.islower())


def blocks_from_lines(lines: Iterable[str], page: int | None = None, join: Callable[[list[str]], str] = "\n".join) -> list[Block]:
    """Headings and paragraphs from text lines; a blank line ends a paragraph.

    Consecutive body lines become one paragraph, glued with ``join``. Heading levels are the
    raw ranks of :func:`heading_rank`; call :func:`normalize_levels` on the whole document.
    """
    stripped = [line.strip() for line in lines]
    ranks = _without_lists([heading_rank(line) if line else None for line in stripped], stripped)
    blocks: list[Block] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            blocks.append(Block(join(paragraph), "paragraph", page=page))
            paragraph.clear()

    for line, rank in zip(stripped, ranks, strict=True):
        if rank is not None:
            flush()
            blocks.append(Block(line, "heading", rank, page))
        elif line:
            paragraph.append(line)
        else:
            flush()
    flush()
    return blocks


def _without_lists(ranks: list[int | None], lines: list[str]) -> list[int | None]:
    """Drop the rank of same-rank numbered lines that follow each other (blank lines aside)."""
    result = list(ranks)
    run: list[int] = []
    for index in [i for i, line in enumerate(lines) if line] + [len(lines)]:
        rank = ranks[index] if index < len(lines) else None
        if run and (rank is None or rank != ranks[run[0]]):
            if len(run) > 1:
                for member in run:
                    result[member] = None
            run = []
        if rank is not None:
            run.append(index)
    return result


def normalize_levels(blocks: list[Block]) -> list[Block]:
    """Renumber heading levels in place so the distinct levels used become 1, 2, 3... in order."""
    levels = sorted({block.level for block in blocks if block.kind == "heading"})
    dense = {level: index + 1 for index, level in enumerate(levels)}
    for block in blocks:
        if block.kind == "heading":
            block.level = dense[block.level]
    return blocks


def join_wrapped(lines: list[str]) -> str:
    """Join lines that a layout wrapped: a space between words, none around Chinese characters."""
    text = ""
    for line in lines:
        if not text:
            text = line
        elif text.endswith("-") and len(text) > 1 and text[-2].isalpha() and line[:1].islower():
            text = text[:-1] + line  # a hyphenated English word
        elif _CJK_CHAR.match(text[-1]) or _CJK_CHAR.match(line[0]):
            text += line
        else:
            text += " " + line
    return text


def squeeze_whitespace(text: str) -> str:
    """Whitespace runs as one space, except that a line break between two Chinese characters goes."""
    return _WHITESPACE.sub(" ", _WRAP_BETWEEN_CJK.sub("", text))


def first_word(line: str) -> str:
    """What a line breaker keeps together at the start of ``line``: one Chinese character, or a run of anything else."""
    match = _WORD.match(line.lstrip())
    return match[0] if match else ""
