"""The multi-turn evaluation set (datasets/conversations) and its metric, over a real KB of samples/."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from support import samples_kb

from ragkb.answer.answering import Answerer
from ragkb.errors import RagkbError
from ragkb.eval.answers import normalise
from ragkb.eval.conversations import evaluate_conversations, is_conversations, load_conversations

CONVERSATIONS = Path(__file__).resolve().parent.parent / "datasets" / "conversations" / "conversations.jsonl"


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    return samples_kb(tmp_path_factory.mktemp("home"))


def test_the_set_has_enough_conversations_of_each_kind():
    conversations = load_conversations(CONVERSATIONS)
    assert len(conversations) >= 50 and all(2 <= len(c.turns) <= 4 for c in conversations)
    assert Counter(c.lang for c in conversations).keys() == {"zh", "en"}
    kinds = Counter(t.kind for c in conversations for t in c.turns)
    assert kinds["switch"] >= 10 and kinds["ellipsis"] >= 20 and kinds["anaphora"] >= 20 and kinds["partial"] >= 20
    assert all(c.turns[0].kind == "first" for c in conversations)
    assert {c.split for c in conversations} == {"dev", "test"} and len(load_conversations(CONVERSATIONS, "dev")) >= 15


def test_every_evidence_and_gold_answer_is_in_a_passage_of_its_file(kb):
    with kb.catalog.session() as session:
        passages = [(Path(hit.file).name, normalise(" ".join([*hit.section, hit.text]))) for hit in _all_chunks(kb, session)]
    for conversation in load_conversations(CONVERSATIONS):
        for turn in conversation.turns:
            assert turn.unanswerable or turn.evidence, (conversation.id, turn.question)
            for evidence in turn.evidence:
                holding = [text for name, text in passages if name == evidence.file and normalise(evidence.text) in text]
                assert holding, (conversation.id, turn.question, evidence.text)
                assert all(any(normalise(a) in text for text in holding) for a in turn.answers), (conversation.id, turn.answers)


def _all_chunks(kb, session):
    from sqlalchemy import select

    from ragkb.catalog.schema import ChunkRow

    ids = session.scalars(select(ChunkRow.id).where(ChunkRow.kb_id == kb.id)).all()
    return [kb.chunk(chunk_id) for chunk_id in ids]


def test_each_turn_is_answered_with_its_history_and_scored(kb, tmp_path):
    path = tmp_path / "two.jsonl"
    rows = [json.loads(line) for line in CONVERSATIONS.read_text(encoding="utf-8").splitlines()[:1]]
    rows.append(
        {
            "id": "x",
            "turns": [
                {"question": "How do I set up MFA?", "evidence": [{"file": "onboarding.md", "text": "Enroll at"}]},
                {"question": "What is the CEO's salary?", "kind": "switch", "unanswerable": True},
            ],
        }
    )
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    assert is_conversations(path) and not is_conversations(CONVERSATIONS.parent / "README.md")
    result = evaluate_conversations(Answerer(kb, "extractive", rewrite="rules"), load_conversations(path))
    turns = result["per_turn"]
    assert [t["kind"] for t in turns] == ["first", "ellipsis", "switch", "first", "switch"]
    assert turns[1]["query"] == "出国差旅报销的时限是多久？" and turns[1]["evidence_rank"] <= 3 and turns[1]["correct"]
    assert turns[2]["query"] == "What is the VPN server address?" and turns[2]["correct"]
    assert turns[4]["refused"] and turns[4]["correct"] and "evidence_rank" not in turns[4]
    summary = result["summary"]
    assert summary["turns"] == 5 and summary["refusal_rate_unanswerable"] == 1.0
    assert summary["evidence@6_by_kind"]["follow-ups"]["questions"] == 2
    reference = evaluate_conversations(Answerer(kb, "extractive", rewrite="none"), load_conversations(path), reference=True)
    assert reference["per_turn"][1]["query"] == "出国出差报销的时限是多久？"


def test_a_bad_conversation_line_says_where(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"turns": [{"no question": 1}]}\n', encoding="utf-8")
    with pytest.raises(RagkbError, match=r"bad\.jsonl:1: not a conversation"):
        load_conversations(path)


def test_ragkb_eval_answers_reads_a_conversation_file(kb, cli_env):
    env = {**cli_env, "RAGKB_HOME": str(kb.app_settings.home)}
    command = ["ragkb", "eval", "answers", str(CONVERSATIONS), "--kb", kb.name, "--split", "dev", "--rewrite", "rules", "--json"]
    result = json.loads(subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout)
    assert result["rewrite"] == "rules" and result["summary"]["conversations"] == len(load_conversations(CONVERSATIONS, "dev"))
    assert result["summary"]["evidence@6"] > 0.8 and "follow-ups" in result["summary"]["accuracy_by_kind"]
