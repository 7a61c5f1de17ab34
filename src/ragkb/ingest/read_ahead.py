"""Work on the next items in a thread while the caller handles the current ones.

Ingestion parses files here while the embedder works on the ones before: ONNX Runtime and torch
let go of the GIL while they compute, so on two cores parsing (Python and PyMuPDF) and embedding
run side by side. Results come back in order; an exception raised by the work is raised again
in the caller at the item it belongs to; leaving the ``with`` block stops the thread after the item
in hand, so nothing runs on after the caller gave up.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_END = object()


@contextmanager
def read_ahead(work: Callable[[T], R], items: Iterable[T], depth: int) -> Iterator[Iterator[R]]:
    """``work(item)`` for each item, computed in a thread at most ``depth`` items ahead of the caller."""
    results: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=depth)  # (ok, result or exception)
    stop = threading.Event()

    def put(entry: tuple[bool, Any]) -> bool:
        while not stop.is_set():
            try:
                results.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put((True, work(item))):
                    return
        except BaseException as error:  # handed to the caller, who raises it
            put((False, error))
            return
        put((True, _END))

    def consume() -> Iterator[R]:
        while True:
            ok, value = results.get()
            if not ok:
                raise value
            if value is _END:
                return
            yield value

    thread = threading.Thread(target=produce, name="ragkb-read-ahead", daemon=True)
    thread.start()
    try:
        yield consume()
    finally:
        stop.set()
        thread.join()
