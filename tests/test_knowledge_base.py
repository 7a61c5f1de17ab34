"""The Python API end to end, on real files, the real offline embedder and a real SQLite file."""

import sqlite3
from pathlib import Path

import pytest
from support import index_counts, write

from ragkb import KBSettings, KnowledgeBase
from ragkb.config import DEFAULT_EMBEDDER
from ragkb.errors import KnowledgeBaseExists, KnowledgeBaseNotFound, RagkbError

EXPENSES_MD = """# Travel policy

## Deadlines

Submit travel expense claims within 30 days after the trip ends. Late claims need a director's approval.

## Receipts

Attach original invoices and the approved travel request.
"""

ROUTER_MD = """# Router manual

## Factory reset

Hold the reset button on the back for ten seconds until the power LED blinks orange.
"""

REIMBURSE_ZH = """第一章 总则
为规范公司差旅报销管理，制定本办法。
第二章 报销时限
出差人员应在出差结束后三十日内提交报销申请，逾期需部门负责人审批。
第三章 所需材料
报销时须提供发票原件、行程单和出差审批单。
"""


@pytest.fixture
def docs(tmp_path):
    folder = tmp_path / "docs"
    write(folder / "expenses.md", EXPENSES_MD)
    write(folder / "router.md", ROUTER_MD)
    write(folder / "报销办法.txt", REIMBURSE_ZH)
    return folder


def test_create_open_list_delete(settings):
    KnowledgeBase.create("notes", description="team notes", settings=settings)
    with pytest.raises(KnowledgeBaseExists):
        KnowledgeBase.create("notes", settings=settings)
    assert KnowledgeBase.open("notes", settings=settings).description == "team notes"
    assert [kb.name for kb in KnowledgeBase.list(settings=settings)] == ["notes"]
    KnowledgeBase.open("notes", settings=settings).delete()
    with pytest.raises(KnowledgeBaseNotFound, match="ragkb kb create notes"):
        KnowledgeBase.open("notes", settings=settings)


def test_settings_persist_with_the_kb(settings):
    KnowledgeBase.create("zh", kb_settings=KBSettings(language="zh", chunk_size=300, chunk_overlap=30), settings=settings)
    reopened = KnowledgeBase.open("zh", settings=settings)
    assert (reopened.settings.language, reopened.settings.chunk_size, reopened.settings.chunk_overlap) == ("zh", 300, 30)


def test_updating_a_kb_another_process_deleted_says_it_is_gone(settings):
    kept = KnowledgeBase.create("gone", kb_settings=KBSettings(embedder="none"), settings=settings)
    KnowledgeBase.open("gone", settings=settings).delete()
    with pytest.raises(KnowledgeBaseNotFound):
        kept.update(description="too late")


def test_search_results_carry_file_section_and_scores(settings, docs):
    kb = KnowledgeBase.create("notes", settings=settings)
    report = kb.add([docs])
    assert len(report.added) == 3 and not report.failed
    for mode in ("sparse", "dense", "hybrid"):
        top = kb.search("how do I factory reset the router", k=3, mode=mode)[0]
        assert top.file == str((docs / "router.md").resolve()), mode
        assert top.section == ["Router manual", "Factory reset"]
        assert mode in top.scores or mode == "hybrid"
    top = kb.search("报销需要哪些材料", k=1)[0]
    assert top.file.endswith("报销办法.txt")
    assert top.section == ["第三章 所需材料"]
    assert "发票原件" in top.text


def test_chinese_query_with_english_only_embedder_ranks_like_bm25(settings, docs):
    kb = KnowledgeBase.create("notes", settings=settings, kb_settings=KBSettings(embedder=DEFAULT_EMBEDDER))
    kb.add([docs])
    query = "逾期提交报销申请怎么办"
    hybrid = [h.chunk_id for h in kb.search(query, k=5, mode="hybrid")]
    sparse = [h.chunk_id for h in kb.search(query, k=5, mode="sparse")]
    assert hybrid == sparse


def test_only_chunks_in_languages_the_embedder_reads_get_vectors(settings, docs):
    KnowledgeBase.create("en", settings=settings, kb_settings=KBSettings(embedder=DEFAULT_EMBEDDER)).add([docs])
    both_languages = KBSettings(embedder=DEFAULT_EMBEDDER, embedder_languages=["en", "zh"])
    both = KnowledgeBase.create("both", settings=settings, kb_settings=both_languages)
    both.add([docs])
    english_only, bilingual = index_counts(settings.home, "en"), index_counts(settings.home, "both")
    assert english_only["vectors"] == english_only["english_chunks"] < english_only["chunks"]
    assert bilingual["vectors"] == bilingual["chunks"] == english_only["chunks"]
    dense_zh = [hit.file for hit in both.search("报销需要哪些材料", k=3, mode="dense")]
    assert any(file.endswith("报销办法.txt") for file in dense_zh)


def test_incremental_add_update_sync_and_force(settings, docs):
    kb = KnowledgeBase.create("notes", settings=settings, kb_settings=KBSettings(embedder=DEFAULT_EMBEDDER))
    kb.add([docs])
    again = kb.add([docs])
    assert len(again.skipped) == 3 and not again.added and not again.updated and again.chunks == 0

    write(docs / "router.md", ROUTER_MD + "\n## LEDs\n\nA red LED means no internet connection.\n")
    changed = kb.add([docs])
    assert changed.updated == [str((docs / "router.md").resolve())] and len(changed.skipped) == 2
    router = next(f for f in kb.files() if f.path.endswith("router.md"))
    assert router.version == 2 and router.chunks == 2

    (docs / "expenses.md").unlink()
    kept = kb.add([docs])
    assert not kept.removed and kb.stats()["files"] == 3
    synced = kb.add([docs], sync=True)
    assert synced.removed == [str((docs / "expenses.md").resolve())]
    assert kb.stats()["files"] == 2

    forced = kb.add([docs], force=True)
    assert len(forced.updated) == 2
    counts = index_counts(kb.app_settings.home, "notes")
    assert counts["chunks"] == counts["declared_chunks"]
    assert counts["vectors"] == counts["english_chunks"] < counts["chunks"]  # MiniLM reads English only


def test_remove_and_delete_leave_nothing_behind(settings, docs):
    kb = KnowledgeBase.create("notes", settings=settings)
    other = KnowledgeBase.create("other", settings=settings)
    kb.add([docs])
    other.add([docs / "router.md"])
    assert kb.remove([docs / "router.md"]) == [str((docs / "router.md").resolve())]
    assert all("router" not in h.file for h in kb.search("factory reset router", k=10))
    with pytest.raises(RagkbError, match="not in knowledge base"):
        kb.remove([docs / "router.md"])

    home = kb.app_settings.home
    kb.delete()
    with sqlite3.connect(home / "ragkb.db") as db:
        assert db.execute("SELECT COUNT(*) FROM chunk WHERE kb_id = ?", (kb.id,)).fetchone()[0] == 0
        assert db.execute("SELECT COUNT(*) FROM chunk_vector WHERE kb_id = ?", (kb.id,)).fetchone()[0] == 0
        assert db.execute("SELECT COUNT(*) FROM knowledge_file WHERE kb_id = ?", (kb.id,)).fetchone()[0] == 0
        assert db.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = ?", (f"fts_kb_{kb.id}",)).fetchone()[0] == 0
    assert index_counts(home, "other")["chunks"] == 1  # the other KB is untouched
    assert other.search("factory reset", k=1)[0].file.endswith("router.md")


def test_bad_files_are_recorded_and_never_stop_the_others(settings, docs):
    write(docs / "empty.txt", "")
    (docs / "garbage.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf \x00\x01\x02")
    (docs / "binary.txt").write_bytes(bytes(range(256)) * 20)
    kb = KnowledgeBase.create("notes", settings=settings)
    report = kb.add([docs, docs / "missing.md"])
    failed = {f.path: f.error for f in report.failed}
    assert len(report.added) == 3
    assert set(failed) == {str((docs / n).resolve()) for n in ("empty.txt", "garbage.pdf", "binary.txt", "missing.md")}
    assert all("\n" not in message for message in failed.values())
    statuses = {f.path.rsplit("/", 1)[-1]: f.status for f in kb.files()}
    assert statuses["garbage.pdf"] == "failed" and statuses["router.md"] == "indexed"


def test_embedding_cache_makes_reindexing_unchanged_text_free(settings, docs, monkeypatch):
    kb = KnowledgeBase.create("notes", settings=settings)
    kb.add([docs])
    calls = []
    inner = kb.embedder.inner
    original = inner.embed
    monkeypatch.setattr(inner, "embed", lambda texts: calls.append(len(texts)) or original(texts))
    kb.add([docs], force=True)
    assert calls == []


def test_sparse_only_kb(settings, docs):
    kb = KnowledgeBase.create("sparse", kb_settings=KBSettings(embedder="none"), settings=settings)
    kb.add([docs])
    assert kb.search("factory reset", k=1)[0].file.endswith("router.md")
    with pytest.raises(RagkbError, match="--mode sparse"):
        kb.search("factory reset", mode="dense")


def test_a_kb_from_before_the_tokenizer_change_is_upgraded_by_the_next_write(settings, tmp_path):
    write(tmp_path / "d" / "prices.md", "# Prices\n\nA coffee costs 3,20 € in Paris and जानुवारी is the first month.")
    write(tmp_path / "d" / "other.md", "# Other\n\nNothing about money here.")
    kb = KnowledgeBase.create("kb", kb_settings=KBSettings(embedder="none"), settings=settings)
    kb.add([tmp_path / "d"])
    table = f"fts_kb_{kb.id}"
    with sqlite3.connect(settings.home / "ragkb.db") as db:  # the table as ragkb made it before
        rows = db.execute(f"SELECT rowid, tokens FROM {table}").fetchall()
        db.execute(f"DROP TABLE {table}_vocab")
        db.execute(f"DROP TABLE {table}")
        db.execute(f"CREATE VIRTUAL TABLE {table} USING fts5(tokens)")
        db.execute(f"CREATE VIRTUAL TABLE {table}_vocab USING fts5vocab({table}, 'row')")
        db.executemany(f"INSERT INTO {table}(rowid, tokens) VALUES (?, ?)", rows)
    assert kb.search("€", mode="sparse") == []  # FTS5's default tokenizer dropped the sign
    write(tmp_path / "d" / "other.md", "# Other\n\nNothing about money here, still.")
    kb.add([tmp_path / "d"])  # one changed file: its write rebuilds the table with every row
    assert [Path(h.file).name for h in kb.search("€", mode="sparse")] == ["prices.md"]
    assert [Path(h.file).name for h in kb.search("जानुवारी", mode="sparse")] == ["prices.md"]
    with sqlite3.connect(settings.home / "ragkb.db") as db:
        assert "categories" in db.execute("SELECT sql FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
    assert index_counts(settings.home, "kb")["chunks"] == 2  # every old row kept, in step with the chunks


def test_set_profile_changes_starts_from_another_or_resets_to_the_builtin(settings):
    from ragkb.profiles import builtin_profiles

    kb = KnowledgeBase.create("profiles", kb_settings=KBSettings(embedder="none"), settings=settings)
    mine = kb.set_profile("mine", {"mmr_lambda": 0.7}, base="accurate")
    assert mine.mmr_lambda == 0.7 and mine.coverage == builtin_profiles()["accurate"].coverage
    kb.set_profile("default", {"coverage": 0.9})
    assert KnowledgeBase.open("profiles", settings=settings).settings.profiles["default"].coverage == 0.9
    assert kb.set_profile("default", reset=True) == builtin_profiles()["default"]
    with pytest.raises(RagkbError, match="not a built-in profile"):
        kb.set_profile("mine", reset=True)
    with pytest.raises(RagkbError, match="no retrieval profile 'nope' to start from"):
        kb.set_profile("other", base="nope")


def test_add_reports_embedding_progress_within_a_batch(settings, tmp_path):
    paragraphs = [f"Section {i}: " + " ".join(f"term{(i * 13 + w) % 997}" for w in range(70)) for i in range(80)]
    write(tmp_path / "long.md", "# Long\n\n" + "\n\n".join(paragraphs))
    kb = KnowledgeBase.create("long", settings=settings, kb_settings=KBSettings(embedder=DEFAULT_EMBEDDER))
    heard: list[tuple[int, int]] = []
    report = kb.add([tmp_path / "long.md"], embedding=lambda done, total: heard.append((done, total)))
    assert report.chunks > 64 and heard[:2] == [(0, report.chunks), (64, report.chunks)]
    assert heard[-1] == (report.chunks, report.chunks)
    assert [done for done, _ in heard] == sorted(done for done, _ in heard)
    assert index_counts(settings.home, "long")["vectors"] == report.chunks
