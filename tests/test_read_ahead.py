"""The read-ahead thread of ingestion (ingest/read_ahead.py): order, overlap, errors, stopping, and its use by ingest."""

import threading

import pytest

from ragkb import KBSettings, KnowledgeBase
from ragkb.ingest.read_ahead import read_ahead
from ragkb.models import Block, ParsedDocument

WAIT = 30  # seconds: a safety net for a broken implementation, never reached when it works


def test_results_come_in_order_and_equal_the_work_done_one_by_one():
    items = list(range(50))
    with read_ahead(lambda n: n * n, items, depth=3) as results:
        assert list(results) == [n * n for n in items]


def test_the_next_item_is_worked_on_while_the_caller_handles_the_current_one():
    second_started = threading.Event()

    def work(n: int) -> int:
        if n == 1:
            second_started.set()
        return n

    with read_ahead(work, [0, 1, 2], depth=2) as results:
        first = next(results)
        assert first == 0
        assert second_started.wait(WAIT), "item 1 was not read while the caller held item 0"
        assert list(results) == [1, 2]


def test_an_error_is_raised_in_the_caller_after_the_items_before_it():
    def work(n: int) -> int:
        if n == 3:
            raise ValueError("item 3 is bad")
        return n

    seen = []
    with pytest.raises(ValueError, match="item 3 is bad"), read_ahead(work, range(10), depth=2) as results:
        for value in results:
            seen.append(value)
    assert seen == [0, 1, 2]


def test_leaving_early_stops_the_thread_within_depth_items():
    taken = []

    def items():
        for n in range(1000):
            taken.append(n)
            yield n

    with read_ahead(lambda n: n, items(), depth=2) as results:
        assert next(results) == 0
    # the caller took 1; the queue holds at most 2 more and the thread one in hand
    assert len(taken) <= 1 + 2 + 1
    assert not any(thread.name == "ragkb-read-ahead" and thread.is_alive() for thread in threading.enumerate())


def test_ingest_reads_documents_in_the_read_ahead_thread_and_writes_them_in_order(settings):
    kb = KnowledgeBase.create("ahead", settings=settings, kb_settings=KBSettings(embedder="none"))
    readers = set()

    def documents():
        for n in range(5):
            readers.add(threading.current_thread().name)
            yield (
                f"doc{n}",
                f"doc {n}",
                ParsedDocument([Block(f"Paragraph number {n} about topic {n}.", "paragraph")], loader="python"),
            )

    report = kb.add_documents(documents(), total=5)
    assert readers == {"ragkb-read-ahead"}
    assert report.added == [f"doc{n}" for n in range(5)] and report.chunks == 5
    assert [hit.file for hit in kb.search("topic 3", k=1)] == ["doc3"]
