"""Where a chunk's text is on its pages: the loader's :class:`~ragkb.models.Region` list (each line,
or a whole table, with its rectangle) placed in the document's text, then each chunk given the
rectangles of the regions its character span covers.

Regions come in the blocks' order, but a block's text is not their plain concatenation (wrapped
lines joined without a space between Chinese characters, a hyphenated word rejoined, a table's
Markdown), so each region is found in the text with whitespace, ``|`` and ``-`` left out of both,
searching forward from where the previous one ended and never far beyond it (a line the loader
dropped, a page number, is skipped rather than matched further on).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from ragkb.models import Chunk, PageBox, ParsedDocument, Region

_IGNORED = re.compile(r"[\s|\-]")
_KEPT = re.compile(r"[^\s|\-]")
LOOKAHEAD = 400
"""How far past the end of the previous region (in compacted characters) a region may start."""
PRECISION = 4
"""Decimals kept of a box's fractions of the page (0.0001 of an A4 page is under 0.1 pt)."""


@dataclass(frozen=True)
class _Placed:
    start: int
    end: int
    region: Region


def place_regions(text: str, regions: list[Region]) -> list[_Placed]:
    """Each region that can be found in ``text`` with its character span there."""
    positions = [match.start() for match in _KEPT.finditer(text)]
    compact = "".join(text[index] for index in positions)
    placed: list[_Placed] = []
    cursor = 0
    for region in regions:
        key = _IGNORED.sub("", region.text)
        if not key:
            continue
        found = compact.find(key, cursor, cursor + LOOKAHEAD + len(key))
        if found < 0:
            continue
        end = found + len(key)
        placed.append(_Placed(positions[found], positions[end - 1] + 1, region))
        cursor = end
    return placed


def locate_chunks(document: ParsedDocument, chunks: list[Chunk]) -> None:
    """Give each chunk the boxes of the regions its span overlaps (none for formats without pages)."""
    if not document.regions:
        return
    placed = place_regions(document.text, document.regions)  # in order: starts and ends both ascend
    ends = [item.end for item in placed]
    for chunk in chunks:
        chunk.boxes = []
        for item in placed[bisect_right(ends, chunk.char_start) :]:
            if item.start >= chunk.char_end:
                break
            chunk.boxes.append(box(item.region, item.start, item.end))


def box(region: Region, start: int, end: int) -> PageBox:
    x0, y0, x1, y1 = (round(min(max(value, 0.0), 1.0), PRECISION) for value in region.box)
    return PageBox(page=region.page, x0=x0, y0=y0, x1=x1, y1=y1, start=start, end=end, ocr=region.ocr)


def quote_boxes(boxes: list[PageBox], text: str, char_start: int, quote: str) -> list[PageBox]:
    """The boxes of a passage (``text`` from ``char_start``) that hold ``quote``, one of its
    sentences; all of them when the quote is not found in it. The passage's text joins its blocks
    with one line break where the file's text has two, so offsets past a block drift by a few
    characters: the boxes taken are those over the span the quote holds however far it drifted."""
    quote = quote.strip()
    at = text.find(quote) if quote else -1
    if at < 0:
        return boxes
    drift = text.count("\n", 0, at)
    low, high = char_start + at + drift, char_start + at + len(quote)
    if high <= low:  # a quote shorter than the drift: every span it may have
        low, high = char_start + at, high + drift
    return [b for b in boxes if b.start < high and b.end > low] or boxes
