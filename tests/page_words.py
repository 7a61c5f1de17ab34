"""What a page prints inside a box given in fractions of the page, as citations' and cells' boxes are."""

from __future__ import annotations

import pymupdf

from ragkb.models import PageBox


def words_in(page: pymupdf.Page, box: PageBox) -> list[str]:
    """The words of ``page`` whose centres lie in ``box`` (fractions of the page as displayed)."""
    area = page.rect
    found = []
    for x0, y0, x1, y1, word, *_ in page.get_text("words"):
        x, y = ((x0 + x1) / 2 - area.x0) / area.width, ((y0 + y1) / 2 - area.y0) / area.height
        if box.x0 <= x <= box.x1 and box.y0 <= y <= box.y1:
            found.append(word)
    return found
