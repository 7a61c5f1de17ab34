"""The answer cache on a repeated-question workload: hit rate, time saved, answers unchanged.

    python bench/answer_cache.py [--requests 60] [--generators extractive,llamacpp:smollm2] [--embedder none]

A KB of samples/; a workload of ``--requests`` questions drawn from datasets/samples-qa (Zipf-like:
the k-th most asked question is asked about 1/k as often as the first), each asked as written or with
its case, spacing or punctuation width changed, as users retype it. Each generator answers the same
workload twice in one process: without the cache (``Answerer(cache=False)``), then with it, from an
empty cache. Reports the hit rate, the workload's seconds both ways, the seconds saved (measured, and as the
catalog counts it: each hit times the seconds its answer took to make), p50 of hits and misses, and
how many cached answers differ from the uncached answer to the same request: in all, for requests
typed exactly as the one whose answer was stored (the cache should change nothing there), and how
many questions asked twice in the same words got two different answers without the cache (the
generator's own variation). Writes bench/out/answer_cache.json.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

from ragkb import KBSettings, KnowledgeBase, Settings
from ragkb.answer.answering import Answerer
from ragkb.answer.cache import normalize_question
from ragkb.catalog.answers import StoredAnswers
from ragkb.eval.answers import load_qa

ROOT = Path(__file__).resolve().parent.parent
QA = ROOT / "datasets" / "samples-qa" / "qa.jsonl"
HALF_WIDTH = str.maketrans("？，。！", "?,.!")


def retyped(question: str, rng: random.Random) -> str:
    """The question as a user might type it again: as it was, in other case, with spaces around it
    or its punctuation in the other width."""
    variant = rng.randrange(4)
    if variant == 1:
        return question.upper() if question.isascii() else question.translate(HALF_WIDTH)
    if variant == 2:
        return f"  {question.replace(' ', '  ')} "
    if variant == 3:
        return question.replace("?", "？") if question.isascii() else question.translate(HALF_WIDTH) + " "
    return question


def workload(questions: list[str], requests: int, seed: int = 0) -> list[str]:
    """``requests`` questions, the k-th of a shuffled list drawn with weight 1/k."""
    rng = random.Random(seed)
    ranked = questions[:]
    rng.shuffle(ranked)
    weights = [1 / rank for rank in range(1, len(ranked) + 1)]
    return [retyped(question, rng) for question in rng.choices(ranked, weights, k=requests)]


def run(kb: KnowledgeBase, generator: str, asked: list[str], cache: bool) -> list[dict]:
    """Each request's answer, seconds, whether it came from the cache, and the request whose answer
    it is (itself, or for a hit the first one asked with the same normalized question)."""
    rows: list[dict] = []
    made_by: dict[str, str] = {}
    for question in asked:
        started = time.perf_counter()
        answer = Answerer(kb, generator, cache=cache).ask(question)
        source = made_by.setdefault(normalize_question(question), question) if cache else question
        rows.append(
            {"seconds": time.perf_counter() - started, "cached": answer.cached, "answer": answer.answer, "source": source}
        )
    return rows


def differing(plain: list[dict], asked: list[str]) -> int:
    """Questions asked more than once in the same words whose uncached answers were not all the same."""
    answers: dict[str, set[str]] = {}
    for question, row in zip(asked, plain, strict=True):
        answers.setdefault(question, set()).add(row["answer"])
    return sum(len(found) > 1 for found in answers.values())


def p50_ms(values: list[float]) -> float | None:
    return round(statistics.median(values) * 1000, 1) if values else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--generators", default="extractive,llamacpp:smollm2")
    parser.add_argument("--embedder", default="none", help="the KB's embedder (none: BM25 only)")
    args = parser.parse_args()
    questions = [item.question for item in load_qa(QA)]
    asked = workload(questions, args.requests)
    results = []
    with tempfile.TemporaryDirectory() as home:
        kb = KnowledgeBase.create("samples", kb_settings=KBSettings(embedder=args.embedder), settings=Settings(home=Path(home)))
        kb.add([ROOT / "samples"])
        stored = StoredAnswers(kb.catalog, kb.id)
        for generator in args.generators.split(","):
            Answerer(kb, generator).ask("warm-up: how do I reset the router?")  # load models before timing
            plain = run(kb, generator, asked, cache=False)
            before = stored.stats().saved_seconds  # a generator's answers are its own: its cache starts empty
            cached = run(kb, generator, asked, cache=True)
            hits = [row for row in cached if row["cached"]]
            results.append(
                {
                    "generator": generator,
                    "requests": len(asked),
                    "distinct_questions": len({normalize_question(question) for question in asked}),
                    "hit_rate": round(len(hits) / len(asked), 3),
                    "seconds_without": round(sum(row["seconds"] for row in plain), 2),
                    "seconds_with": round(sum(row["seconds"] for row in cached), 2),
                    "saved_s": round(sum(row["seconds"] for row in plain) - sum(row["seconds"] for row in cached), 2),
                    "saved_by_catalog_s": round(stored.stats().saved_seconds - before, 2),
                    "hit_p50_ms": p50_ms([row["seconds"] for row in hits]),
                    "miss_p50_ms": p50_ms([row["seconds"] for row in cached if not row["cached"]]),
                    "uncached_p50_ms": p50_ms([row["seconds"] for row in plain]),
                    "answers_changed": sum(a["answer"] != b["answer"] for a, b in zip(plain, cached, strict=True)),
                    "changed_same_words": sum(
                        a["answer"] != b["answer"] and b["source"] == question
                        for question, a, b in zip(asked, plain, cached, strict=True)
                        if b["cached"]
                    ),
                    "uncached_repeats_differing": differing(plain, asked),
                }
            )
    columns = [key for key in results[0] if key != "generator"]
    print("| generator | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for row in results:
        print(f"| {row['generator']} | " + " | ".join(str(row[column]) for column in columns) + " |")
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "answer_cache.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
