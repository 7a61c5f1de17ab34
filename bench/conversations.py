"""Follow-up questions answered with their history: each way of rewriting them on the multi-turn set.

    python bench/conversations.py [--split test] [--modes none,previous,rules,reference,llamacpp:smollm2]
    python bench/conversations.py --standalone out.jsonl   # the set's hand-written rewrites as a QA file

Builds a KB of samples/ (default settings) in a temporary home and runs ``ragkb eval answers``'
conversation evaluation (ragkb.eval.conversations) once per rewrite mode, answering with the
extractive answerer so that only the rewriting differs (``reference`` searches each turn's
hand-written standalone wording: what a perfect rewrite reaches). Prints a Markdown table; writes
bench/out/conversations.json. ``--standalone`` writes every turn as a question of its own (the
reference wording, its gold answers; unanswerable turns as such), for ``ragkb eval answers`` with
any ragkb version.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from ragkb import KnowledgeBase, Settings
from ragkb.answer.answering import Answerer
from ragkb.eval.conversations import evaluate_conversations, load_conversations

ROOT = Path(__file__).resolve().parent.parent
CONVERSATIONS = ROOT / "datasets" / "conversations" / "conversations.jsonl"


def standalone(path: Path, split: str | None) -> None:
    with path.open("w", encoding="utf-8") as out:
        for conversation in load_conversations(CONVERSATIONS, split):
            for turn in conversation.turns:
                row = {"question": turn.rewrite or turn.question, "lang": conversation.lang, "kind": turn.kind}
                if turn.unanswerable:
                    row["unanswerable"] = True
                else:
                    row.update(answers=turn.answers, source=turn.evidence[0].file)
                out.write(json.dumps(row, ensure_ascii=False) + "\n")


def row(mode: str, summary: dict, k: int) -> str:
    def share(group: dict) -> str:
        return f"{group['correct']}/{group['questions']}"

    by_kind, accuracy = summary[f"evidence@{k}_by_kind"], summary["accuracy_by_kind"]
    cells = [
        mode,
        f"{summary['evidence@1']:.3f}",
        f"{summary['evidence@3']:.3f}",
        f"{summary[f'evidence@{k}']:.3f}",
        share(summary["evidence@1_by_kind"]["follow-ups"]),
        share(by_kind["follow-ups"]),
        f"{summary['answer_accuracy']:.3f}",
        share(accuracy["follow-ups"]),
        share(accuracy["switch"]),
        f"{summary['false_refusal_rate']:.3f}",
        f"{summary['refusal_rate_unanswerable']:.2f}",
        f"{summary['latency_p50_s']:.3f}",
    ]
    return "| " + " | ".join(cells) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="test")
    parser.add_argument("--modes", default="none,previous,rules,reference,llamacpp:smollm2")
    parser.add_argument("--standalone", type=Path, help="write the hand-written rewrites as a QA file and stop")
    args = parser.parse_args()
    split = None if args.split == "all" else args.split
    if args.standalone:
        standalone(args.standalone, split)
        return
    conversations = load_conversations(CONVERSATIONS, split)
    results = {}
    with tempfile.TemporaryDirectory() as home:
        kb = KnowledgeBase.create("samples", settings=Settings(home=Path(home)))
        kb.add([ROOT / "samples"])
        for mode in args.modes.split(","):
            answerer = Answerer(kb, "extractive", rewrite="none" if mode == "reference" else mode)
            answerer.ask("warm-up: how do I reset the router?", [{"role": "user", "content": "How do I reset it?"}])
            results[mode] = evaluate_conversations(answerer, conversations, reference=mode == "reference")
    k = 6
    print(
        "| rewrite | evidence@1 | evidence@3 | evidence@6 | follow-ups evidence@1 | follow-ups evidence@6 "
        "| answers right | follow-ups right | switches right | false refusals | unanswerable refused | latency p50 s |"
    )
    print("|" + "---|" * 12)
    for mode, result in results.items():
        print(row(mode, result["summary"], k))
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "conversations.json").write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
