"""``ragkb eval answers``: answer quality, citation precision and refusals on a QA file.

The QA file is JSONL, one question per line::

    {"question": "差旅报销的时限是多久？", "answers": ["30日", "三十日"], "source": "差旅报销管理办法.docx"}
    {"question": "What is the CEO's salary?", "unanswerable": true}

``answers`` are acceptable gold answers (``answer`` works for one); ``support`` optionally
lists text the cited chunk must contain (default: the answers); ``source`` optionally names the
file the answer is in. Typed sets (datasets/annual-reports/qa.jsonl) add ``type`` (lookup_table,
calculation, comparison, statistics, …), ``split`` (dev | test), a numeric ``value`` with its
``unit`` and ``tolerance``, and ``gold_list`` (names a list answer must all contain).

A question is answered right (``correct``) when: a numeric one's first number in the answer (years
and [n] markers aside, read in the gold unit) is within the tolerance; a list one names every item of
``gold_list``; a comparison (or any other) contains one of the answers; an unanswerable one is refused.
Accuracy is reported overall, per question type and per route (what answered: table, statistics,
text or both).
"""

from __future__ import annotations

import json
import re
import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ragkb.answer.answering import Answerer
from ragkb.errors import RagkbError
from ragkb.index.tokenize import tokenize
from ragkb.models import Answer
from ragkb.tables.numbers import Quantity, find_numbers

_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)


@dataclass
class QAItem:
    question: str
    answers: list[str] = field(default_factory=list)
    support: list[str] = field(default_factory=list)
    source: str | None = None
    unanswerable: bool = False
    type: str | None = None
    split: str | None = None
    value: float | None = None
    unit: str | None = None
    tolerance: float = 0.0
    gold_list: list[str] | None = None


def load_qa(path: Path, split: str | None = None) -> list[QAItem]:
    """The questions of a QA file; with ``split`` only those of that split (dev or test)."""
    if not path.is_file():
        raise RagkbError(f"{path}: no such QA file; give a JSONL file of questions")
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            answers = row.get("answers") or ([row["answer"]] if row.get("answer") else [])
            items.append(
                QAItem(
                    row["question"],
                    answers,
                    row.get("support") or answers,
                    row.get("source"),
                    bool(row.get("unanswerable")),
                    row.get("type"),
                    row.get("split"),
                    row.get("value"),
                    row.get("unit"),
                    float(row.get("tolerance") or 0.0),
                    row.get("gold_list"),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            raise RagkbError(
                f'{path}:{number}: not a QA line ({error}); expected {{"question": ..., "answers": [...]}}'
            ) from None
    chosen = [item for item in items if split is None or item.split == split]
    if split is not None and not chosen:
        raise RagkbError(f"{path}: no question of split '{split}'; the file's splits: {sorted({str(i.split) for i in items})}")
    return chosen


def normalise(text: str) -> str:
    return _NOISE.sub("", text.lower())


def contains_answer(response: str, answers: list[str]) -> bool:
    return any(normalise(a) and normalise(a) in normalise(response) for a in answers)


def token_f1(response: str, answers: list[str]) -> float:
    best = 0.0
    predicted = Counter(tokenize(response))
    for answer in answers:
        gold = Counter(tokenize(answer))
        common = sum((predicted & gold).values())
        if common:
            precision, recall = common / sum(predicted.values()), common / sum(gold.values())
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


_MARKERS = re.compile(r"\[\d+\]")
_SCALES = {"亿元": 1e8, "RMB billion": 1e9, "RMB million": 1e6, "万元": 1e4}


def _in_unit(number: Quantity, unit: str | None) -> float | None:
    """``number`` in the gold ``unit`` (元, 亿元, %, 元/股, a count or a plain ratio), or ``None``
    when it measures something else (a percentage where an amount is asked)."""
    base = number.unit.base
    if unit == "%":
        return float(number.value) if number.unit.symbol == "%" else None
    if unit in _SCALES:
        return float(number.base) / _SCALES[unit] if base == "元" else (float(number.value) if not base else None)
    if unit in ("元", "元/股"):
        return float(number.base) if base in ("", "元", "元/股") else None
    return float(number.value) if base in ("", "ratio") and number.unit.symbol != "%" else None


def first_number(text: str, unit: str | None) -> float | None:
    """The first number of ``text`` that measures what ``unit`` does, years and [n] markers aside."""
    for number in find_numbers(_MARKERS.sub(" ", text)):
        if not number.unit.symbol and number.value % 1 == 0 and 1900 <= number.value <= 2099:
            continue
        value = _in_unit(number, unit)
        if value is not None:
            return value
    return None


def correct(answer: Answer, item: QAItem) -> bool:
    """Whether ``answer`` answers ``item`` (see the module's docstring)."""
    if item.unanswerable:
        return answer.refused
    if item.gold_list:
        return all(normalise(name) in normalise(answer.answer) for name in item.gold_list)
    if item.value is not None and item.type != "comparison":
        found = first_number(answer.answer, item.unit)
        return found is not None and abs(found - item.value) <= item.tolerance + 1e-9 * max(1.0, abs(item.value))
    return contains_answer(answer.answer, item.answers)


def accuracy_by(rows: list[dict], key: str) -> dict[str, dict]:
    """Questions, right answers and accuracy for each value of ``key`` (type, route)."""
    groups: dict[str, list[bool]] = {}
    for row in rows:
        groups.setdefault(str(row[key]), []).append(row["correct"])
    return {name: {"questions": len(v), "correct": sum(v), "accuracy": sum(v) / len(v)} for name, v in sorted(groups.items())}


def citation_precision(answer: Answer, item: QAItem) -> float | None:
    """Share of citations whose chunk contains the supporting text (None when nothing was cited)."""
    if not answer.citations:
        return None
    texts = {hit.chunk_id: hit.text for hit in answer.retrieved}
    good = sum(contains_answer(texts.get(c.chunk_id, c.quote) if c.chunk_id else c.quote, item.support) for c in answer.citations)
    return good / len(answer.citations)


def evaluate_answers(answerer: Answerer, items: list[QAItem], progress: Callable[[int, int], None] | None = None) -> dict:
    rows = []
    for done, item in enumerate(items, start=1):
        answer = answerer.ask(item.question)
        seconds = sum(v for stage, v in answer.timings.items() if "." not in stage)  # retrieval.* are parts of retrieval
        row: dict[str, Any] = {
            "question": item.question,
            "answer": answer.answer,
            "refused": answer.refused,
            "generator": answer.generator,
            "seconds": seconds,
            "timings": answer.timings,
            "type": item.type,
            "route": answer.route or "text",
            "correct": correct(answer, item),
        }
        if item.unanswerable:
            row["correct_refusal"] = answer.refused
        else:
            row["contains"] = contains_answer(answer.answer, item.answers)
            row["exact"] = any(normalise(answer.answer) == normalise(a) for a in item.answers)
            row["f1"] = token_f1(answer.answer, item.answers)
            row["citation_precision"] = citation_precision(answer, item)
            row["source_cited"] = bool(item.source) and any(Path(c.file).name == item.source for c in answer.citations)
        rows.append(row)
        if progress:
            progress(done, len(items))
    answerable = [r for r in rows if "contains" in r]
    unanswerable = [r for r in rows if "correct_refusal" in r]
    cited = [r["citation_precision"] for r in answerable if r["citation_precision"] is not None]
    latencies = sorted(r["seconds"] for r in rows)

    def mean(values: list[float]) -> float | None:
        return statistics.fmean(values) if values else None

    summary = {
        "questions": len(rows),
        "accuracy": mean([float(r["correct"]) for r in rows]),
        "accuracy_by_type": accuracy_by(rows, "type") if any(r["type"] for r in rows) else {},
        "accuracy_by_route": accuracy_by(rows, "route"),
        "answer_contains": mean([float(r["contains"]) for r in answerable]),
        "exact_match": mean([float(r["exact"]) for r in answerable]),
        "f1": mean([r["f1"] for r in answerable]),
        "citation_precision": mean(cited),
        "answers_with_citations": mean([float(r["citation_precision"] is not None) for r in answerable]),
        "false_refusal_rate": mean([float(r["refused"]) for r in answerable]),
        "refusal_rate_unanswerable": mean([float(r["correct_refusal"]) for r in unanswerable]),
        "latency_p50_s": latencies[len(latencies) // 2] if latencies else None,
        "latency_p95_s": latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))] if latencies else None,
        "stage_p50_s": {
            stage: statistics.median(r["timings"][stage] for r in rows if stage in r["timings"])
            for stage in ("rewrite", "retrieval", "prompt", "generation")
            if any(stage in r["timings"] for r in rows)
        },
    }
    return {"summary": summary, "per_question": rows}
