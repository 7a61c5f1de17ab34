"""Answer quality and speed of each answerer on the bundled samples' QA set.

    python bench/answers.py [--generators extractive,llamacpp:smollm2,llamacpp:gemma3]

Builds a KB from samples/ in a temporary home, runs ``ragkb eval answers``' evaluation for each
generator, and for the embedded models measures time to first token and tokens/s on the same
prompts. Prints a Markdown table; writes bench/out/answers.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from ragkb import KnowledgeBase, Settings
from ragkb.answer.answering import Answerer
from ragkb.eval.answers import evaluate_answers, load_qa

ROOT = Path(__file__).resolve().parent.parent
QA = ROOT / "datasets" / "samples-qa" / "qa.jsonl"


def generation_speed(answerer: Answerer, kb: KnowledgeBase, questions: list[str]) -> dict:
    """Time to first token and tokens/s of the generator on the answer prompts."""
    first, rates = [], []
    for question in questions:
        generator = answerer.generator
        prompt = answerer.prompt(question, question, kb.search(question, k=answerer.k), [])
        started = time.perf_counter()
        pieces, first_at = [], None
        for piece in generator.stream(prompt.messages, max_tokens=answerer.max_answer_tokens):
            first_at = first_at or time.perf_counter()
            pieces.append(piece)
        ended = time.perf_counter()
        if first_at:
            first.append(first_at - started)
            tokens = generator.count_tokens("".join(pieces))
            if ended > first_at and tokens > 1:
                rates.append((tokens - 1) / (ended - first_at))
    return {
        "ttft_p50_s": statistics.median(first) if first else None,
        "tokens_per_s": statistics.median(rates) if rates else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generators", default="extractive,llamacpp:smollm2,llamacpp:gemma3")
    args = parser.parse_args()
    items = load_qa(QA)
    results = []
    with tempfile.TemporaryDirectory() as home:
        settings = Settings(home=Path(home))
        kb = KnowledgeBase.create("samples", settings=settings)
        kb.add([ROOT / "samples"])
        for spec in args.generators.split(","):
            answerer = Answerer(kb, spec)
            answerer.ask("warm-up: how do I reset the router?")  # load models before timing
            evaluation = evaluate_answers(answerer, items)
            summary = evaluation["summary"]
            english = [row for row in evaluation["per_question"] if "contains" in row and row["question"].isascii()]
            summary["en_answer_contains"] = sum(row["contains"] for row in english) / len(english)
            summary.update({f"{stage}_p50_s": seconds for stage, seconds in summary.pop("stage_p50_s").items()})
            if answerer.generator is not None:
                summary.update(generation_speed(answerer, kb, [row["question"] for row in english]))
            results.append({"generator": spec, **summary})
    columns = [
        "answer_contains",
        "en_answer_contains",
        "citation_precision",
        "answers_with_citations",
        "false_refusal_rate",
        "refusal_rate_unanswerable",
        "latency_p50_s",
        "latency_p95_s",
        "retrieval_p50_s",
        "prompt_p50_s",
        "generation_p50_s",
        "ttft_p50_s",
        "tokens_per_s",
    ]
    print("| generator | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for row in results:
        print(f"| {row['generator']} | " + " | ".join("n/a" if row.get(c) is None else f"{row[c]:.2f}" for c in columns) + " |")
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "answers.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
