"""The storage contract (ragkb.index.stores.base.Store), run unchanged against every backend."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from sqlalchemy import select
from stores import BACKENDS, backend_url

from ragkb import KBSettings, KnowledgeBase
from ragkb.catalog.schema import FileRow, KnowledgeBaseRow
from ragkb.config import Settings
from ragkb.index.stores import open_store
from ragkb.index.stores.base import ChunkBatch, Store
from ragkb.index.tokenize import tokenize
from ragkb.models import Block, Chunk, ParsedDocument

DIMENSION = 16

TEXTS = {
    "router.md": [
        "Hold the reset button for ten seconds to factory reset the router.",
        "The power LED blinks orange while the router restarts.",
    ],
    "expenses.md": [
        "Submit travel expense claims within 30 days after the trip ends.",
        "Attach original invoices and the approved travel request.",
    ],
    "报销.txt": ["出差人员应在出差结束后三十日内提交报销申请。", "报销时须提供发票原件和出差审批单。"],
}


@pytest.fixture(params=BACKENDS)
def settings(request, tmp_path) -> Settings:
    with backend_url(request.param, tmp_path) as url:
        yield Settings(home=tmp_path / "home", database_url=url)


@pytest.fixture
def store(settings) -> Store:
    return open_store(settings)


def unit_vectors(count: int, seed: int) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(count, DIMENSION)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def new_kb(store: Store, name: str) -> int:
    with store.transaction() as session:
        row = KnowledgeBaseRow(name=name, settings={})
        session.add(row)
        session.flush()
        store.create_kb(session, row.id)
        return row.id


def write_file(store: Store, kb_id: int, path: str, texts: list[str], vectors: np.ndarray | None) -> list[int]:
    with store.transaction() as session:
        row = FileRow(kb_id=kb_id, path=path, status="indexed", chunk_count=len(texts))
        session.add(row)
        session.flush()
        chunks = [Chunk(text, i, [path], None, 0, len(text)) for i, text in enumerate(texts)]
        languages = ["zh" if path.endswith(".txt") else "en"] * len(texts)
        ids = store.write_chunks(session, kb_id, row.id, ChunkBatch(chunks, languages, [tokenize(t) for t in texts], vectors))
        store.bump_revision(session, kb_id)
        return ids


def revision(session, kb_id: int) -> int:
    return session.scalar(select(KnowledgeBaseRow.revision).where(KnowledgeBaseRow.id == kb_id))


@pytest.fixture
def filled(store):
    """A KB with three files; returns (kb id, {path: chunk ids}, {chunk id: vector})."""
    kb_id = new_kb(store, "notes")
    ids, vectors = {}, {}
    for seed, (path, texts) in enumerate(TEXTS.items()):
        file_vectors = unit_vectors(len(texts), seed)
        ids[path] = write_file(store, kb_id, path, texts, file_vectors)
        vectors.update(zip(ids[path], file_vectors, strict=True))
    return kb_id, ids, vectors


def test_sparse_search_ranks_matches_and_honours_allowed(store, filled):
    kb_id, ids, _ = filled
    with store.snapshot() as session:
        hits = store.sparse.search(session, kb_id, "how do I factory reset the router", 10)
        assert hits[0][0] == ids["router.md"][0]
        assert {chunk_id for chunk_id, _ in hits} == set(ids["router.md"])
        assert all(a[1] >= b[1] > 0 for a, b in itertools.pairwise(hits))
        assert store.sparse.search(session, kb_id, "报销申请", 1)[0][0] == ids["报销.txt"][0]

        only = {ids["router.md"][1], ids["expenses.md"][0]}
        assert {c for c, _ in store.sparse.search(session, kb_id, "reset router travel", 10, allowed=only)} == only
        assert store.sparse.search(session, kb_id, "router", 10, allowed=[]) == []
        assert store.sparse.search(session, kb_id, "the of and", 10) == []  # stop words only


def test_sparse_search_finds_words_of_every_script(store, filled):
    kb_id, _, _ = filled
    texts = [
        "Январь — первый месяц; валюта ₽.",
        "पहला महीना जानुवारी है, मुद्रा ₹.",
        "ශ්\u200dරී ලංකාව, රු",
        "Le premier mois est janvier, puis février. Größe: 12,5 €",
    ]
    written = write_file(store, kb_id, "scripts.md", texts, unit_vectors(len(texts), 7))
    asked = {"январь": 0, "₽": 0, "जानुवारी": 1, "₹": 1, "ශ්\u200dරී ලංකාව": 2, "février": 3, "Größe": 3, "€": 3}
    with store.snapshot() as session:
        for query, expected in asked.items():
            assert [c for c, _ in store.sparse.search(session, kb_id, query, 10)] == [written[expected]], query


def test_dense_search_scores_for_and_allowed(store, filled):
    kb_id, ids, vectors = filled
    target = ids["expenses.md"][1]
    with store.snapshot() as session:
        current = revision(session, kb_id)
        hits = store.dense.search(session, kb_id, current, vectors[target], 3)
        assert hits[0][0] == target and hits[0][1] == pytest.approx(1.0, abs=1e-5)
        assert len(hits) == 3 and hits[1][1] <= hits[0][1]
        everything = store.dense.search(session, kb_id, current, vectors[target], 100)
        assert {c for c, _ in everything} == set(vectors)
        for chunk_id, score in everything:
            assert score == pytest.approx(float(vectors[chunk_id] @ vectors[target]), abs=1e-5)

        allowed = set(ids["router.md"])
        restricted = store.dense.search(session, kb_id, current, vectors[target], 10, allowed=allowed)
        assert {c for c, _ in restricted} == allowed
        assert store.dense.search(session, kb_id, current, vectors[target], 10, allowed=[]) == []

        some = [ids["router.md"][0], target]
        scores = store.dense.scores_for(session, kb_id, current, vectors[target], some)
        assert set(scores) == set(some) and scores[target] == pytest.approx(1.0, abs=1e-5)
        assert set(store.dense.scores_for(session, kb_id, current, vectors[target], some, allowed={target})) == {target}


def test_stored_entries_read_back(store, filled):
    kb_id, ids, vectors = filled
    chunk_ids = [i for file_ids in ids.values() for i in file_ids]
    with store.snapshot() as session:
        terms = store.sparse.terms(session, kb_id, chunk_ids)
        stored = store.dense.vectors(session, kb_id, chunk_ids)
    texts = {i: text for path, file_ids in ids.items() for i, text in zip(file_ids, TEXTS[path], strict=True)}
    assert terms == {i: tokenize(texts[i]) for i in chunk_ids}
    assert set(stored) == set(chunk_ids)
    for chunk_id in chunk_ids:
        np.testing.assert_allclose(stored[chunk_id], vectors[chunk_id], atol=1e-6)


def test_idf_counts_this_kb_only(store, filled):
    kb_id, _, _ = filled
    other = new_kb(store, "other")
    write_file(store, other, "more.md", ["router router router", "router firmware"], unit_vectors(2, 9))
    with store.snapshot() as session:
        weights = store.sparse.idf(session, kb_id, ["router", "invoic", "absent"])
    assert weights["absent"] > weights["invoic"] > 0  # stemmed, as the tokenizer writes them
    assert weights["router"] == pytest.approx(np.log((6 + 1) / (2 + 0.5)))  # 2 of this KB's 6 chunks


def test_holders_are_the_chunks_holding_a_term_in_this_kb_only(store, filled):
    kb_id, ids, _ = filled
    other = new_kb(store, "other")
    write_file(store, other, "more.md", ["router firmware"], unit_vectors(1, 9))
    formats = write_file(store, kb_id, "formats.md", ["date format %d/%m/%Y", "C++ and %d/%m/%Y"], unit_vectors(2, 8))
    with store.snapshot() as session:
        held = store.sparse.holders(session, kb_id, ["router", "%d/%m/%y", "c++", "absent"], 10)
        assert {term: sorted(chunk_ids) for term, chunk_ids in held.items()} == {
            "router": sorted(ids["router.md"]), "%d/%m/%y": sorted(formats), "c++": [formats[1]], "absent": []
        }  # fmt: skip
        assert len(store.sparse.holders(session, kb_id, ["router"], 1)["router"]) == 1
        before = store.sparse.idf(session, kb_id, ["router"])["router"]
    more = write_file(store, kb_id, "more.md", ["router firmware"], unit_vectors(1, 10))  # what was read is stale now
    with store.snapshot() as session:
        assert sorted(store.sparse.holders(session, kb_id, ["router"], 10)["router"]) == sorted(ids["router.md"] + more)
        assert store.sparse.idf(session, kb_id, ["router"])["router"] < before


def test_replacing_and_deleting_files_leaves_no_entries(store, filled):
    kb_id, ids, vectors = filled
    with store.transaction() as session:
        router = session.scalar(select(FileRow.id).where(FileRow.kb_id == kb_id, FileRow.path == "router.md"))
        store.delete_file_chunks(session, kb_id, router)
        new_ids = store.write_chunks(
            session,
            kb_id,
            router,
            ChunkBatch(
                [Chunk("Unplug the modem first.", 0, [], None, 0, 22)],
                ["en"],
                [tokenize("Unplug the modem first.")],
                unit_vectors(1, 7),
            ),
        )
        expenses = session.scalar(select(FileRow.id).where(FileRow.kb_id == kb_id, FileRow.path == "expenses.md"))
        store.delete_file(session, kb_id, expenses)
        store.bump_revision(session, kb_id)
    old = set(ids["router.md"]) | set(ids["expenses.md"])
    with store.snapshot() as session:
        current = revision(session, kb_id)
        assert store.sparse.search(session, kb_id, "router reset travel invoices", 10) == []
        assert [c for c, _ in store.sparse.search(session, kb_id, "modem", 10)] == new_ids
        found = {c for c, _ in store.dense.search(session, kb_id, current, vectors[ids["router.md"][0]], 100)}
        assert found == set(ids["报销.txt"]) | set(new_ids)
        assert store.sparse.terms(session, kb_id, list(old)) == {} and store.dense.vectors(session, kb_id, list(old)) == {}
        assert session.scalar(select(FileRow.id).where(FileRow.id == expenses)) is None


def test_a_failed_transaction_leaves_no_trace(store, filled):
    kb_id, ids, vectors = filled
    with pytest.raises(RuntimeError), store.transaction() as session:
        file_id = session.scalar(select(FileRow.id).where(FileRow.kb_id == kb_id, FileRow.path == "router.md"))
        store.delete_file_chunks(session, kb_id, file_id)
        store.write_chunks(
            session, kb_id, file_id, ChunkBatch([Chunk("modem", 0, [], None, 0, 5)], ["en"], [["modem"]], unit_vectors(1, 3))
        )
        store.bump_revision(session, kb_id)
        raise RuntimeError("crash before commit")
    with store.snapshot() as session:
        assert store.sparse.search(session, kb_id, "modem", 10) == []
        assert store.sparse.search(session, kb_id, "factory reset", 1)[0][0] == ids["router.md"][0]
        hits = store.dense.search(session, kb_id, revision(session, kb_id), vectors[ids["router.md"][1]], 1)
        assert hits[0][0] == ids["router.md"][1]


def test_kbs_are_isolated_and_drop_leaves_nothing(store, filled):
    kb_id, ids, vectors = filled
    other = new_kb(store, "other")
    other_ids = write_file(store, other, "router.md", TEXTS["router.md"], unit_vectors(2, 0))
    with store.transaction() as session:
        store.drop_kb(session, kb_id)
        session.delete(session.get(KnowledgeBaseRow, kb_id))
    with store.snapshot() as session:
        assert store.sparse.search(session, other, "factory reset router", 10)[0][0] == other_ids[0]
        hits = store.dense.search(session, other, revision(session, other), vectors[ids["router.md"][0]], 10)
        assert {c for c, _ in hits} == set(other_ids)
        gone = [i for file_ids in ids.values() for i in file_ids]
        assert store.dense.vectors(session, kb_id, gone) == {}


def test_dense_results_follow_new_writes(store, filled):
    """A search after a commit sees it: caches keyed by the KB revision are refreshed."""
    kb_id, _, _ = filled
    query = unit_vectors(1, 42)[0]
    with store.snapshot() as session:
        before = store.dense.search(session, kb_id, revision(session, kb_id), query, 100)
    added = write_file(store, kb_id, "new.md", ["a brand new chunk"], query[None, :])
    with store.snapshot() as session:
        after = store.dense.search(session, kb_id, revision(session, kb_id), query, 100)
    assert len(after) == len(before) + 1 and after[0][0] == added[0]


def test_knowledge_base_end_to_end(settings):
    """The Python API on each backend: add, search every mode, update, remove, delete."""
    kb = KnowledgeBase.create("notes", settings=settings)
    documents = [
        (path, path.split(".")[0], ParsedDocument([Block(t) for t in texts], loader="test")) for path, texts in TEXTS.items()
    ]
    assert len(kb.add_documents(documents).added) == 3
    for mode in ("sparse", "dense", "hybrid"):
        assert kb.search("how do I factory reset the router", k=2, mode=mode)[0].file == "router.md", mode
    assert kb.search("报销需要什么材料", k=1)[0].file == "报销.txt"
    changed = ParsedDocument([Block("Unplug the modem and wait a minute.")], loader="test")
    assert kb.add_documents([("router.md", "router", changed)]).updated == ["router.md"]
    assert kb.search("unplug the modem", k=1, mode="dense")[0].text.startswith("Unplug")
    assert all("reset button" not in hit.text for hit in kb.search("factory reset button", k=10))
    kb.remove_file(next(f.id for f in kb.files() if f.path == "router.md"))
    assert all(hit.file != "router.md" for hit in kb.search("modem router", k=10, mode="hybrid"))
    assert kb.stats() == {"files": 2, "failed_files": 0, "chunks": 2}
    kb.delete()
    assert KnowledgeBase.list(settings=settings) == []


def test_sparse_only_knowledge_base(settings):
    kb = KnowledgeBase.create("sparse", kb_settings=KBSettings(embedder="none"), settings=settings)
    kb.add_documents([("router.md", "router", ParsedDocument([Block(TEXTS["router.md"][0])], loader="test"))])
    assert kb.search("factory reset", k=1)[0].file == "router.md"
