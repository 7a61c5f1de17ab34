"""Who hears how OCR goes (``ragkb add`` shows a progress bar), kept apart from :mod:`~ragkb.ingest.ocr`
so that listening imports neither PyMuPDF nor an engine."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

PageProgress = Callable[[str, int, int], None]
"""Called with (file name, pages read, pages to read) as OCR goes, from the thread that reads."""
_listeners: list[PageProgress] = []


@contextmanager
def reporting(callback: PageProgress) -> Iterator[None]:
    """Report OCR progress to ``callback`` while inside."""
    _listeners.append(callback)
    try:
        yield
    finally:
        _listeners.remove(callback)


def report(name: str, done: int, total: int) -> None:
    for listener in list(_listeners):
        listener(name, done, total)
