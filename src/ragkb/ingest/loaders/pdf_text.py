"""Characters of a PDF page's text layer, the text of a box of them (lines by baseline, each read
left to right, lines wrapped inside the box joined), and :class:`PageTable`, a table made of them.

PyMuPDF's ``Table.extract()`` groups characters into lines by their boxes; a number drawn one
character at a time with the digits in one font and the commas in another (many reports made with
word processors) comes out as ``129188735 59\n, , .``. The text layer orders those characters
right, and their baselines agree whatever the font.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import pymupdf

from ragkb.ingest.headings import join_wrapped

NUMBER = re.compile(r"^[(（]?[-−+]?[\d,，]*\d(?:\.\d+)?%?[)）]?$")


@dataclass(frozen=True)
class Char:
    text: str
    x: float  # left of its box
    right: float
    baseline: float
    size: float
    cx: float  # the centre of its glyph
    cy: float

    def inside(self, box: Sequence[float]) -> bool:
        """Whether its centre lies in ``box`` (x0, y0, x1, y1; see :func:`corners`)."""
        x0, y0, x1, y1 = box
        return x0 <= self.cx < x1 and y0 <= self.cy < y1


def corners(rect: pymupdf.Rect) -> tuple[float, float, float, float]:
    return rect.x0, rect.y0, rect.x1, rect.y1


def page_chars(text: dict) -> list[Char]:
    """Every character of a ``rawdict`` extraction, in the text layer's order."""
    return [
        Char(
            char["c"],
            char["bbox"][0],
            char["bbox"][2],
            char["origin"][1],
            span["size"],
            (char["bbox"][0] + char["bbox"][2]) / 2,
            char["origin"][1] - span["size"] / 3,
        )
        for block in text["blocks"]
        for line in block.get("lines", [])
        for span in line["spans"]
        for char in span["chars"]
    ]


def cell_text(chars: list[Char]) -> str:
    """The text of characters inside one cell: lines by baseline, each read left to right, wrapped
    lines joined (no space between Chinese characters, one between words)."""
    texts = [_line_text(line) for line in lines(chars)]
    return join_wrapped([text for text in texts if text])


def _line_text(chars: list[Char]) -> str:
    text = ""
    previous: Char | None = None
    for char in chars:
        if previous is not None and char.x - previous.right > 0.25 * char.size and not text.endswith(" "):
            text += " "
        text += char.text
        previous = char
    return " ".join(text.split())


def lines(chars: list[Char]) -> list[list[Char]]:
    """Characters grouped into lines by baseline, top to bottom, each left to right."""
    found: list[list[Char]] = []
    for char in sorted(chars, key=lambda char: char.baseline):
        if found and abs(char.baseline - found[-1][0].baseline) <= 0.4 * max(char.size, found[-1][0].size):
            found[-1].append(char)
        else:
            found.append([char])
    return [sorted(line, key=lambda char: char.x) for line in found]


def words(line: list[Char], gap: float = 0.25, spaces: bool = True) -> list[list[Char]]:
    """A line's runs of characters split at gaps wider than ``gap`` times the size, and at spaces
    unless ``spaces`` is false (then a space is part of the run: cells, not words)."""
    found: list[list[Char]] = [[]]
    for char in line:
        if char.text.isspace() and (spaces or not found[-1]):
            found.append([])
            continue
        if found[-1] and char.x - found[-1][-1].right > gap * char.size:
            found.append([])
        found[-1].append(char)
    return [word for word in (_strip(run) for run in found) if word]


def _strip(run: list[Char]) -> list[Char]:
    while run and run[-1].text.isspace():
        run = run[:-1]
    return run


def text_of(chars: list[Char]) -> str:
    return "".join(char.text for char in chars)


Box = tuple[float, float, float, float]


def chars_box(chars: list[Char]) -> Box | None:
    """The box (x0, y0, x1, y1) around ``chars``: their extent across, their type's height above
    the baselines and its descent below; ``None`` for no characters."""
    if not chars:
        return None
    return (
        min(char.x for char in chars),
        min(char.baseline - char.size for char in chars),
        max(char.right for char in chars),
        max(char.baseline + 0.25 * char.size for char in chars),
    )


@dataclass
class PageTable:
    """A table of a page: its box, its rows of cell texts and, parallel to them, where each
    cell's text is (``None`` for an empty cell; ``boxes`` empty when the reader did not say)."""

    rect: pymupdf.Rect
    rows: list[list[str]]
    boxes: list[list[Box | None]] = field(default_factory=list)
