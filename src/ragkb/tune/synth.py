"""``ragkb synth KB``: (question, supporting chunk) pairs made from a knowledge base, for tuning and evaluation.

Questions come from the LLM given (for the chunks in a language it reads), else from the passages'
own structure (:mod:`ragkb.tune.questions`), in each chunk's language. A question is kept when BM25
ranks its chunk among the top ``k`` of the KB, or, for an LLM's question, when the chunk holds most
of its content words (answerable from it; the offline questions are made of the chunk's own words,
so only retrieval can judge them), and when no kept question is a near duplicate of it (same
content words, Jaccard >= 0.8).
Questions are split by chunk (every question of a chunk on one side) into training and held-out.

The folder written is a BEIR dataset over the KB's chunks (``ragkb eval retrieval FOLDER`` scores
the held-out questions, ``qrels/test.tsv``; ``qrels/train.tsv`` lists the training ones), plus the
training pairs with hard negatives mined from the KB (:mod:`ragkb.tune.negatives`):

    corpus.jsonl  queries.jsonl  qrels/test.tsv  qrels/train.tsv
    train.jsonl   heldout.jsonl  (query, chunk_id, positive, negatives: [{chunk_id, text}])
    synth.json    what was made, from what, and how many questions each filter dropped
"""

from __future__ import annotations

import json
import os
import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ragkb.errors import RagkbError
from ragkb.index.tokenize import tokenize
from ragkb.kb import KnowledgeBase
from ragkb.llms import Generator
from ragkb.tune.llm_questions import llm_questions
from ragkb.tune.negatives import mine_negatives
from ragkb.tune.passages import Passage, kb_passages
from ragkb.tune.questions import Question, offline_questions
from ragkb.tune.training import Progress

SYNTH_FILE = "synth.json"
TRAIN_FILE = "train.jsonl"
HELDOUT_FILE = "heldout.jsonl"
DUPLICATE = 0.8
ANSWERABLE = 0.6


@dataclass
class SynthOptions:
    per_chunk: int = 2
    """questions kept per chunk at most"""
    bm25_k: int = 20
    held_out: float = 0.2
    negatives: int = 7
    max_chunks: int | None = None
    """sample this many chunks (None: all)"""
    seed: int = 13


@dataclass
class Pair:
    query_id: str
    query: str
    chunk_id: int
    language: str
    source: str
    split: str = "train"
    negatives: list[int] = field(default_factory=list)


@dataclass
class SynthReport:
    kb: str
    folder: str
    generator: str
    chunks: int
    candidates: int
    kept: int
    train: int
    held_out: int
    dropped: dict[str, int]
    languages: dict[str, int]
    sources: dict[str, int]
    settings: dict


def default_folder(kb: KnowledgeBase) -> Path:
    return kb.app_settings.home / "tune" / f"kb-{kb.id}" / "synth"


def content_terms(text: str) -> set[str]:
    return set(tokenize(text))


def candidate_questions(kb: KnowledgeBase, passages: list[Passage], generator: Generator | None, per_chunk: int, progress):
    """Per chunk, the questions the LLM or the offline builders wrote for it."""
    with kb.store.snapshot() as session:

        def idf(terms: list[str]) -> dict[str, float]:
            return kb.store.sparse.idf(session, kb.id, terms)

        for done, passage in enumerate(passages, start=1):
            if generator is not None and passage.language in generator.languages:
                found = llm_questions(generator, passage.indexed, passage.language, per_chunk + 1)
            else:
                found = offline_questions(passage.title, list(passage.headings), passage.text, passage.language, idf, done)
            if progress:
                progress("questions", done, len(passages))
            yield passage, found


def keep(kb: KnowledgeBase, passage: Passage, question: Question, bm25_k: int, session) -> str | None:
    """Why the question is dropped (None: kept)."""
    terms = content_terms(question.text)
    if len(terms) < 2 and not (passage.language == "zh" and len(question.text) >= 4):
        return "too_vague"
    found = [chunk for chunk, _ in kb.store.sparse.search(session, kb.id, question.text, bm25_k)]
    if passage.chunk_id in found:
        return None
    covered = len(terms & content_terms(passage.indexed)) / max(1, len(terms))
    return None if covered >= ANSWERABLE and question.source == "llm" else "not_retrieved"


def near_duplicate(terms: frozenset[str], kept: Iterable[frozenset[str]]) -> bool:
    return any(len(terms & other) / max(1, len(terms | other)) >= DUPLICATE for other in kept)


def synthesize(
    kb: KnowledgeBase,
    folder: Path | None = None,
    generator: Generator | None = None,
    options: SynthOptions | None = None,
    progress: Progress | None = None,
) -> SynthReport:
    options = options or SynthOptions()
    folder = Path(folder or default_folder(kb))
    passages = kb_passages(kb)
    if not passages:
        raise RagkbError(f"knowledge base '{kb.name}' has no chunks; add documents first (ragkb add --kb {kb.name} PATH)")
    rng = random.Random(options.seed)
    chosen = passages if not options.max_chunks else rng.sample(passages, min(options.max_chunks, len(passages)))
    dropped: Counter[str] = Counter()
    pairs: list[Pair] = []
    seen: list[frozenset[str]] = []
    candidates = 0
    with kb.store.snapshot() as session:
        for passage, questions in candidate_questions(kb, chosen, generator, options.per_chunk, progress):
            kept_here = 0
            for question in questions:
                candidates += 1
                reason = keep(kb, passage, question, options.bm25_k, session)
                terms = frozenset(content_terms(question.text))
                if reason is None and near_duplicate(terms, seen):
                    reason = "duplicate"
                if reason is None and kept_here >= options.per_chunk:
                    reason = "enough_for_chunk"
                if reason:
                    dropped[reason] += 1
                    continue
                seen.append(terms)
                kept_here += 1
                pairs.append(Pair(f"q{len(pairs) + 1}", question.text, passage.chunk_id, passage.language, question.source))
    if not pairs:
        raise RagkbError(f"no question could be made from '{kb.name}' that finds its chunk; try -g with an LLM generator")
    split(pairs, options.held_out, rng)
    by_id = {p.chunk_id: p for p in passages}
    mine_negatives(kb, pairs, by_id, options.negatives, progress)
    write(folder, passages, pairs, by_id)
    report = SynthReport(
        kb=kb.name,
        folder=str(folder),
        generator=generator.name if generator else "offline",
        chunks=len(chosen),
        candidates=candidates,
        kept=len(pairs),
        train=sum(p.split == "train" for p in pairs),
        held_out=sum(p.split == "test" for p in pairs),
        dropped=dict(dropped),
        languages=dict(Counter(p.language for p in pairs)),
        sources=dict(Counter(p.source for p in pairs)),
        settings=asdict(options),
    )
    (folder / SYNTH_FILE).write_text(json.dumps(asdict(report), ensure_ascii=False, indent=1))
    return report


def split(pairs: list[Pair], held_out: float, rng: random.Random) -> None:
    """Mark a share of the chunks' questions held out (``split = "test"``), whole chunks at a time."""
    chunks = sorted({p.chunk_id for p in pairs})
    rng.shuffle(chunks)
    count = round(len(chunks) * held_out)
    if held_out > 0 and len(chunks) >= 2:
        count = min(max(1, count), len(chunks) - 1)
    test = set(chunks[:count])
    for pair in pairs:
        pair.split = "test" if pair.chunk_id in test else "train"


def _jsonl(path: Path, rows: Iterable[dict]) -> None:
    partial = path.with_suffix(".partial")
    with partial.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    os.replace(partial, path)


def write(folder: Path, passages: list[Passage], pairs: list[Pair], by_id: dict[int, Passage]) -> None:
    (folder / "qrels").mkdir(parents=True, exist_ok=True)
    _jsonl(folder / "corpus.jsonl", ({"_id": str(p.chunk_id), "title": p.header, "text": p.text} for p in passages))
    _jsonl(
        folder / "queries.jsonl",
        ({"_id": p.query_id, "text": p.query, "metadata": {"language": p.language, "source": p.source}} for p in pairs),
    )
    for name in ("train", "test"):
        lines = ["query-id\tcorpus-id\tscore"] + [f"{p.query_id}\t{p.chunk_id}\t1" for p in pairs if p.split == name]
        (folder / "qrels" / f"{name}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for name, file in (("train", TRAIN_FILE), ("test", HELDOUT_FILE)):
        _jsonl(
            folder / file,
            (
                {
                    "query_id": p.query_id,
                    "query": p.query,
                    "language": p.language,
                    "chunk_id": p.chunk_id,
                    "positive": by_id[p.chunk_id].indexed,
                    "negatives": [{"chunk_id": n, "text": by_id[n].indexed} for n in p.negatives],
                }
                for p in pairs
                if p.split == name
            ),
        )


@dataclass
class Example:
    """One training or held-out pair as the tuners read it."""

    query: str
    chunk_id: int
    positive: str
    negatives: list[str]
    language: str


def load_examples(folder: Path, name: str = TRAIN_FILE) -> list[Example]:
    path = Path(folder) / name
    if not path.is_file():
        raise RagkbError(f"{path} is missing; make it first: ragkb synth KB (or give --data FOLDER)")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [Example(r["query"], r["chunk_id"], r["positive"], [n["text"] for n in r["negatives"]], r["language"]) for r in rows]
