"""``ragkb eval answers`` on a file of conversations: follow-up questions answered with their history.

The file is JSONL, one conversation per line (datasets/conversations/conversations.jsonl)::

    {"id": "c01-zh", "lang": "zh", "split": "test", "turns": [
      {"question": "差旅报销的时限是多久？", "kind": "first",
       "evidence": [{"file": "差旅报销管理办法.docx", "text": "之日起30日内"}], "answers": ["30日"]},
      {"question": "那出国呢？", "kind": "ellipsis", "rewrite": "出国出差报销的时限是多久？",
       "evidence": [{"file": "差旅报销管理办法.docx", "text": "回国（入境）之日起45日内"}], "answers": ["45日"]},
      {"question": "公司食堂几点开门？", "kind": "switch", "unanswerable": true}]}

``kind`` is what the turn does: ``first``, ``ellipsis`` (asks the previous question again with
something changed), ``anaphora`` (a pronoun or connective), ``partial`` (no topic of its own),
``standalone`` (same topic, complete) or ``switch`` (a new topic). ``evidence`` is found when a
retrieved passage of that file holds the text (its section path counts; compared without case,
spaces or punctuation); ``rewrite`` is a standalone wording written by hand (``reference=True``
searches it instead, with no history: what a perfect rewrite would reach).

Each turn is answered with the conversation so far, the answers being the answerer's own. Per turn:
the rank of the first passage holding the evidence, evidence@1/@3/@k, and the answer's
correctness (it contains a gold answer; an unanswerable turn is refused).
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ragkb.answer.answering import Answerer
from ragkb.errors import RagkbError
from ragkb.eval.answers import contains_answer, normalise
from ragkb.models import Answer


@dataclass
class Evidence:
    file: str
    text: str


@dataclass
class Turn:
    question: str
    kind: str
    evidence: list[Evidence] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    unanswerable: bool = False
    rewrite: str | None = None


@dataclass
class Conversation:
    id: str
    lang: str
    split: str | None
    turns: list[Turn]


def is_conversations(path: Path) -> bool:
    """Whether a JSONL file holds conversations (lines with ``turns``) rather than questions."""
    if not path.is_file():
        return False
    with path.open(encoding="utf-8") as lines:
        first = next((line for line in lines if line.strip()), "")
    try:
        return "turns" in json.loads(first)
    except json.JSONDecodeError:
        return False


def load_conversations(path: Path, split: str | None = None) -> list[Conversation]:
    """The conversations of a file; with ``split`` only those of that split (dev or test)."""
    conversations = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            turns = [
                Turn(
                    turn["question"],
                    turn.get("kind", "first" if index == 0 else "follow-up"),
                    [Evidence(e["file"], e["text"]) for e in turn.get("evidence", [])],
                    turn.get("answers", []),
                    bool(turn.get("unanswerable")),
                    turn.get("rewrite"),
                )
                for index, turn in enumerate(row["turns"])
            ]
            conversations.append(Conversation(str(row.get("id", number)), row.get("lang", ""), row.get("split"), turns))
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            raise RagkbError(
                f'{path}:{number}: not a conversation ({error}); expected {{"turns": [{{"question": ...}}]}}'
            ) from None
    chosen = [c for c in conversations if split is None or c.split == split]
    if split is not None and not chosen:
        raise RagkbError(f"{path}: no conversation of split '{split}'")
    return chosen


def evidence_rank(answer: Answer, turn: Turn) -> int | None:
    """The rank (1-based) of the first retrieved passage that holds the turn's evidence."""
    for rank, hit in enumerate(answer.retrieved, start=1):
        passage = normalise(" ".join([*hit.section, hit.text]))
        if any(Path(hit.file).name == e.file and normalise(e.text) in passage for e in turn.evidence):
            return rank
    return None


def _share(rows: list[dict], key: str) -> dict[str, Any]:
    values = [bool(r[key]) for r in rows]
    return {"questions": len(values), "correct": sum(values), "accuracy": sum(values) / len(values) if values else None}


def _by_kind(rows: list[dict], key: str) -> dict[str, dict]:
    kinds = dict.fromkeys(r["kind"] for r in rows)
    groups = {kind: _share([r for r in rows if r["kind"] == kind], key) for kind in kinds}
    follow_ups = [r for r in rows if r["kind"] != "first"]
    return {**groups, "follow-ups": _share(follow_ups, key)} if follow_ups else groups


def evaluate_conversations(
    answerer: Answerer,
    conversations: list[Conversation],
    reference: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Answer every turn with its history (or, with ``reference``, its hand-written rewrite alone)."""
    rows = []
    total = sum(len(c.turns) for c in conversations)
    k = answerer.k
    for conversation in conversations:
        history: list[dict[str, str]] = []
        for index, turn in enumerate(conversation.turns):
            answer = answerer.ask(turn.rewrite or turn.question) if reference else answerer.ask(turn.question, history)
            history += [{"role": "user", "content": turn.question}, {"role": "assistant", "content": answer.answer}]
            row: dict[str, Any] = {
                "conversation": conversation.id,
                "turn": index + 1,
                "kind": turn.kind,
                "lang": conversation.lang,
                "question": turn.question,
                "query": answer.query,
                "answer": answer.answer,
                "refused": answer.refused,
                "seconds": sum(v for stage, v in answer.timings.items() if "." not in stage),
            }
            if turn.unanswerable:
                row["correct"] = answer.refused
            else:
                rank = evidence_rank(answer, turn)
                row.update({"evidence_rank": rank, "evidence@1": rank == 1, "evidence@3": rank is not None and rank <= 3})
                row[f"evidence@{k}"] = rank is not None
                row["correct"] = contains_answer(answer.answer, turn.answers) if turn.answers else None
            rows.append(row)
            if progress:
                progress(len(rows), total)
    answerable = [r for r in rows if "evidence_rank" in r]
    graded = [r for r in rows if r["correct"] is not None]
    unanswerable = [r for r in rows if "evidence_rank" not in r]
    summary: dict[str, Any] = {
        "conversations": len(conversations),
        "turns": len(rows),
        "evidence@1": _share(answerable, "evidence@1")["accuracy"],
        "evidence@3": _share(answerable, "evidence@3")["accuracy"],
        f"evidence@{k}": _share(answerable, f"evidence@{k}")["accuracy"],
        "answer_accuracy": _share(graded, "correct")["accuracy"],
        f"evidence@{k}_by_kind": _by_kind(answerable, f"evidence@{k}"),
        "evidence@1_by_kind": _by_kind(answerable, "evidence@1"),
        "accuracy_by_kind": _by_kind(graded, "correct"),
        "false_refusal_rate": _share(answerable, "refused")["accuracy"],
        "refusal_rate_unanswerable": _share(unanswerable, "refused")["accuracy"],
        "latency_p50_s": statistics.median(r["seconds"] for r in rows) if rows else None,
    }
    return {"summary": summary, "per_turn": rows}
