"""``ragkb synth``: synthetic questions from a tiny English and Chinese KB (no model: BM25 only)."""

from __future__ import annotations

import json

import pytest
from llm_servers import chat_server
from tune_docs import write_docs
from typer.testing import CliRunner

from ragkb.cli import app
from ragkb.config import KBSettings, Settings
from ragkb.errors import RagkbError
from ragkb.eval.beir import load_beir
from ragkb.eval.retrieval import evaluate
from ragkb.index.tokenize import tokenize
from ragkb.kb import KnowledgeBase
from ragkb.llms import create_generator
from ragkb.tune.llm_questions import parse_questions
from ragkb.tune.questions import heading_question, key_sentence_questions, table_question
from ragkb.tune.synth import SynthOptions, load_examples, synthesize


@pytest.fixture
def kb(settings, tmp_path) -> KnowledgeBase:
    kb = KnowledgeBase.create("manuals", kb_settings=KBSettings(embedder="none"), settings=settings)
    kb.add([write_docs(tmp_path / "docs")])
    return kb


def jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_offline_questions_make_a_beir_folder_that_eval_retrieval_scores(kb, tmp_path):
    report = synthesize(kb, tmp_path / "synth")
    folder = tmp_path / "synth"
    assert report.generator == "offline" and set(report.languages) == {"en", "zh"}
    assert report.train > 0 and report.held_out > 0 and report.kept == report.train + report.held_out
    queries = jsonl(folder / "queries.jsonl")
    assert any(q["text"] == "what is paper jams" for q in queries)  # from a heading
    assert any(q["metadata"]["source"] == "table" for q in queries)
    assert any("是什么" in q["text"] for q in queries)
    train, held = jsonl(folder / "train.jsonl"), jsonl(folder / "heldout.jsonl")
    assert not {r["chunk_id"] for r in train} & {r["chunk_id"] for r in held}  # split by chunk
    for row in train + held:
        assert row["chunk_id"] not in [n["chunk_id"] for n in row["negatives"]]
        assert row["positive"].split("\n", 1)[1] not in [n["text"] for n in row["negatives"]]
    # ragkb eval retrieval reads the folder; every held-out question finds its chunk (BM25 kept it)
    dataset = load_beir(folder)
    assert set(dataset.queries) == {r["query_id"] for r in held}
    [sparse] = evaluate(dataset, KBSettings(embedder="none"), modes=["sparse"], settings=kb.app_settings)
    assert sparse.metrics["Recall@100"] == 1.0 and sparse.metrics["MRR@10"] > 0.3
    assert len(load_beir(folder, "train").queries) == len(train)
    assert [e.query for e in load_examples(folder)] == [r["query"] for r in train]


def test_near_duplicates_and_vague_questions_are_dropped(settings, tmp_path):
    docs = write_docs(tmp_path / "docs")
    (docs / "printer copy.md").write_text((docs / "printer.md").read_text())
    kb = KnowledgeBase.create("copies", kb_settings=KBSettings(embedder="none"), settings=settings)
    kb.add([docs])
    report = synthesize(kb, tmp_path / "synth", options=SynthOptions(per_chunk=3, held_out=0))
    assert report.dropped["duplicate"] >= 4 and report.held_out == 0
    texts = [q["text"] for q in jsonl(tmp_path / "synth" / "queries.jsonl")]
    assert len(texts) == len(set(texts))


def test_question_builders():
    assert heading_question("printer", ["Printer manual", "Paper jams"], "en").text == "what is paper jams"
    assert heading_question("ls", ["DESCRIPTION"], "en").text == "what is ls description"
    assert heading_question("报销", ["差旅报销制度", "住宿标准"], "zh").text == "住宿标准是什么？"
    table = "| 指标 | 2023年 |\n|---|---|\n| 营业收入 | 100 |\n"
    assert table_question(table, "zh", 0).text == "营业收入的2023年是多少？"
    assert table_question("| Model | Speed |\n|---|---|\n| P100 | 20 ppm |", "en", 0).text == "what is the speed of P100"
    assert table_question("no table here", "en", 0) is None
    rare = {tokenize(word)[0]: idf for word, idf in (("firmware", 3.0), ("vendor", 2.5), ("portal", 2.5), ("upload", 2.0))}
    questions = key_sentence_questions(
        "Download the firmware image from the vendor portal and upload it under Administration. Never unplug it now.",
        "en",
        lambda terms: {t: rare.get(t, 0.1) for t in terms},
        count=1,
    )
    assert [q.text for q in questions] == ["firmware vendor portal upload"]  # the rarest four of the best sentence, in order
    assert parse_questions("1. How do I reset it?\n- What is E12?\n\nok\n2) How do I reset it?", 5) == [
        "How do I reset it?",
        "What is E12?",
    ]


def test_an_llm_writes_the_questions_and_the_filter_keeps_those_the_chunk_answers(kb, tmp_path):
    reply = "1. How do I clear a paper jam in the printer?\n2. Which printer error shows until the jam is cleared?"
    with chat_server(reply) as (url, requests):
        settings = Settings(home=kb.app_settings.home, openai_base_url=f"{url}/v1", openai_api_key="sk-test")
        generator = create_generator("openai:test-model", settings)
        report = synthesize(kb, tmp_path / "synth", generator, SynthOptions(held_out=0))
    assert len(requests) == report.chunks == kb.stats()["chunks"]  # one request per chunk, both languages
    assert "资料" in json.dumps(requests, ensure_ascii=False)  # Chinese chunks are asked in Chinese
    rows = jsonl(tmp_path / "synth" / "train.jsonl")
    assert {r["query"] for r in rows} == set(reply.replace("1. ", "").replace("2. ", "").splitlines())
    assert all("Paper jams" in r["positive"] for r in rows)  # the same questions for other chunks were dropped
    assert report.generator == "openai:test-model" and report.sources == {"llm": 2}


def test_synth_command_and_its_errors(kb, tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["synth", "manuals", "--out", str(tmp_path / "out"), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["kept"] > 0 and (tmp_path / "out" / "qrels" / "test.tsv").exists()
    empty = KnowledgeBase.create("empty", kb_settings=KBSettings(embedder="none"), settings=kb.app_settings)
    with pytest.raises(RagkbError, match="add documents first"):
        synthesize(empty)
    with pytest.raises(RagkbError, match="ragkb synth KB"):
        load_examples(tmp_path / "nothing")
