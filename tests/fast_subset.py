"""Which tests are slow: the fast subset is ``pytest -m "not slow"`` (tests/conftest.py applies this).

A test is slow when it starts something — the ragkb executable or another process, a server, a
browser, a model, a PostgreSQL or Qdrant store — or generates a big corpus. The rules below say so
by what a test uses, so that a new test using one of these is marked without being listed; the
ones no rule can see (a model loaded by a knowledge base's default embedder) are listed by name."""

from __future__ import annotations

from pathlib import Path
from types import CodeType

import pytest

TESTS = Path(__file__).parent

SLOW_MODULES = {
    "e2e": "browser tests: Playwright drives Chromium against a server process",
    "test_api_fuzz.py": "schemathesis fuzzes a live server; importing the module builds the whole API schema",
    "test_store_consistency.py": "one process ingests while another searches",
    "test_store_qdrant.py": "Qdrant stores",
}
"""Modules (or folders) of tests/ whose every test is slow; under ``-m "not slow"`` they are not even imported."""

SLOW_FIXTURES = {
    "cli_env": "runs the ragkb executable in a subprocess",
    "server": "a live HTTP server",
    "client": "a client of a live HTTP server",
    "served": "ragkb serve in a subprocess",
    "cross_encoder": "trains a small cross-encoder",
    "generated": "generates annual-report PDFs with bench/annual_reports/generate.py",
}
"""Fixtures (by name, the same meaning in every module) that make each test using them, directly or not, slow."""

SLOW_PARAMETERS = {"postgres": "a PostgreSQL store", "qdrant-local": "a Qdrant store"}
"""Parameter values (store backends) that make a parametrized test slow; the embedded store is fast."""

SLOW_CODE = {
    "live_server": "starts a live HTTP server",
    "llamacpp:": "loads a GGUF chat model in-process",
}
"""Names or string prefixes that, in a test function's own code, make it slow."""

_MINILM = "loads the all-MiniLM-L6-v2 embedder (a knowledge base's default)"
SLOW_TESTS = {
    "test_answers.py::test_conversation_follow_up_is_rewritten_and_persisted": _MINILM,
    "test_answers.py::test_extractive_answer_quotes_and_cites_the_right_section": _MINILM,
    "test_answers.py::test_ollama_server_streams": _MINILM,
    "test_answers.py::test_openai_compatible_server_streams_and_gets_numbered_sources": _MINILM,
    "test_answers.py::test_server_errors_say_what_to_set": _MINILM,
    "test_answers.py::test_unreachable_server_is_one_clear_error": _MINILM,
    "test_answers.py::test_unrelated_question_is_refused_in_its_language": _MINILM,
    "test_embedders.py::test_bad_specs_and_missing_models": _MINILM,
    "test_embedders.py::test_default_minilm_loads_offline_and_normalises": _MINILM,
    "test_knowledge_base.py::test_bad_files_are_recorded_and_never_stop_the_others": _MINILM,
    "test_knowledge_base.py::test_chinese_query_with_english_only_embedder_ranks_like_bm25": _MINILM,
    "test_knowledge_base.py::test_embedding_cache_makes_reindexing_unchanged_text_free": _MINILM,
    "test_knowledge_base.py::test_incremental_add_update_sync_and_force": _MINILM,
    "test_knowledge_base.py::test_only_chunks_in_languages_the_embedder_reads_get_vectors": _MINILM,
    "test_knowledge_base.py::test_remove_and_delete_leave_nothing_behind": _MINILM,
    "test_knowledge_base.py::test_search_results_carry_file_section_and_scores": _MINILM,
    "test_retrieval_features.py::test_a_query_with_words_the_embedder_cannot_read_is_ranked_by_bm25": _MINILM,
    "test_retrieval_features.py::test_a_question_the_embedder_reads_well_gives_it_its_full_weight": _MINILM,
    "test_retrieval_features.py::test_dense_search_honours_filters": _MINILM,
    "test_retrieval_features.py::test_every_storage_backend_honours_filters_in_sparse_and_dense_search": _MINILM,
    "test_retrieval_features.py::test_feedback_and_proximity_in_hybrid_search_fuse_with_the_dense_side": _MINILM,
    "test_retrieval_features.py::test_hyde_searches_with_a_hypothetical_answer_embedded_as_a_passage": _MINILM,
    "test_retrieval_features.py::test_refine_sparse_only_leaves_queries_the_embedder_reads_to_it": _MINILM,
    "test_retrieval_features.py::test_the_dense_weight_shrinks_where_the_embedder_finds_every_chunk_alike": _MINILM,
    "test_store_contract.py::test_knowledge_base_end_to_end": _MINILM,
    "test_tables_ingest.py::test_docx_xlsx_csv_and_html_tables_become_rows": _MINILM,
    "test_tables_ingest.py::test_pdf_tables_land_in_the_store_with_metrics_years_and_values": _MINILM,
    "test_tables_ingest.py::test_running_header_and_footer_stay_out_of_chunks_and_tables": _MINILM,
    "test_ann_index.py::test_usearch_and_pymupdf_load_in_either_order": "imports both libraries in new Python processes",
    "test_plugins.py::test_builtins_are_entry_points_and_listing_them_imports_no_heavy_library": "lists the plugins in a new Python process",
    "test_hardening_http.py::test_a_server_stalled_past_uvicorns_keep_alive_time_does_not_reset_a_busy_connection": (
        "waits out uvicorn's keep-alive time"
    ),
}
"""Tests (module::function, every parameter) slow for a reason no rule above sees."""


def fast_only(config: pytest.Config) -> bool:
    """Whether this run selects the fast subset (``-m "not slow"``)."""
    return str(config.getoption("markexpr", "")).strip() == "not slow"


def in_slow_module(path: Path) -> bool:
    parts = path.relative_to(TESTS).parts if path.is_relative_to(TESTS) else ()
    return bool(parts) and parts[0] in SLOW_MODULES


def _words(code: CodeType) -> set[str]:
    """The names and string constants of ``code`` and of the functions and comprehensions in it."""
    words = set(code.co_names) | {constant for constant in code.co_consts if isinstance(constant, str)}
    for constant in code.co_consts:
        if isinstance(constant, CodeType):
            words |= _words(constant)
    return words


def why_slow(item: pytest.Item) -> str | None:
    """Why ``item`` is slow, or ``None`` when it is fast."""
    if in_slow_module(item.path):
        return SLOW_MODULES[item.path.relative_to(TESTS).parts[0]]
    for fixture in getattr(item, "fixturenames", ()):
        if fixture in SLOW_FIXTURES:
            return SLOW_FIXTURES[fixture]
    parameters = getattr(item, "callspec", None)
    for value in parameters.params.values() if parameters else ():
        if str(value) in SLOW_PARAMETERS:
            return SLOW_PARAMETERS[str(value)]
    function = getattr(item, "function", None)
    words = _words(function.__code__) if function is not None else set()
    for marker, reason in SLOW_CODE.items():
        if any(word.startswith(marker) for word in words):
            return reason
    return SLOW_TESTS.get(f"{item.path.name}::{item.name.split('[')[0]}")
