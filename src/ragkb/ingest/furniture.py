"""Running headers and footers: the same text at the same place near the top or bottom of most
pages (page numbers varying), which is the document's furniture, not its content."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Literal

MARGIN_SHARE = 0.12  # top and bottom share of the page where running lines live
MIN_PAGES = 3
PAGE_SHARE = 0.5  # a running line is on at least this share of the pages
_DIGITS = re.compile(r"\d+")

Key = tuple[Literal["header", "footer"], int, str]
"""("header" | "footer", the line's top in steps of 4 points, its text with numbers as #)."""


def line_key(text: str, top: float, bottom: float, page_top: float, page_bottom: float) -> Key | None:
    """Where a line would sit as furniture, or ``None`` when it is not in a margin."""
    margin = MARGIN_SHARE * (page_bottom - page_top)
    kind: Literal["header", "footer"]
    if bottom <= page_top + margin:
        kind = "header"
    elif top >= page_bottom - margin:
        kind = "footer"
    else:
        return None
    return kind, round(top / 4), _DIGITS.sub("#", " ".join(text.split()))


def running_keys(pages: Sequence[set[Key]], line_counts: Sequence[int]) -> set[Key]:
    """The keys found on at least :data:`PAGE_SHARE` of ``pages`` (and on :data:`MIN_PAGES`), except
    those that are most of the pages they are on: a line that is all its pages hold (one line of
    content a page, at the same place) is the content, not the furniture around it.
    ``line_counts``: how many lines each page has in all."""
    counts: Counter[Key] = Counter(key for keys in pages for key in keys)
    needed = max(MIN_PAGES, PAGE_SHARE * len(pages))
    candidates = {key for key, count in counts.items() if count >= needed}
    alone: Counter[Key] = Counter()
    for keys, lines in zip(pages, line_counts, strict=True):
        running_here = keys & candidates
        if lines <= len(running_here):
            alone.update(running_here)
    return {key for key in candidates if alone[key] < PAGE_SHARE * counts[key]}
