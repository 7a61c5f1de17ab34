"""How ``chunk.boxes`` stores a chunk's :class:`~ragkb.models.PageBox` list: one short JSON array
each, ``[page, x0, y0, x1, y1, start, end, ocr]``, because a chunk has a box per line and the
field names would be most of the column."""

from __future__ import annotations

from ragkb.models import PageBox


def encode_boxes(boxes: list[PageBox]) -> list[list[float | int]] | None:
    """The stored form (``None``: no boxes, a format without pages or a chunk indexed before 0007)."""
    return [[b.page, b.x0, b.y0, b.x1, b.y1, b.start, b.end, int(b.ocr)] for b in boxes] or None


def decode_boxes(stored: list | None) -> list[PageBox]:
    return [
        PageBox(page=page, x0=x0, y0=y0, x1=x1, y1=y1, start=start, end=end, ocr=bool(ocr))
        for page, x0, y0, x1, y1, start, end, ocr in stored or []
    ]
