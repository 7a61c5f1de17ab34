"""Answering without an LLM: quote the source passages that best cover the question."""

from __future__ import annotations

from collections.abc import Iterator

from ragkb.answer.citations import split_sentences
from ragkb.index.tokenize import tokenize
from ragkb.models import SearchHit

MAX_SENTENCES = 3
MAX_QUOTE_CHARS = 400
RELATIVE_CUTOFF = 0.75
"""Passages scoring below this share of the best passage's score are left out."""


def _candidates(hit: SearchHit) -> Iterator[str]:
    """Quotable passages of a chunk: sentences; a sentence ending in a colon together with the
    list that follows it; a table row together with the table's header row."""
    lines = [line.strip() for line in hit.text.split("\n") if line.strip()]
    header = None
    for index, line in enumerate(lines):
        if line.startswith("|"):
            if header is None:
                header = line
            elif not set(line) <= set("|-: "):
                yield f"{header}\n{line}"
            continue
        header = None
        for sentence in split_sentences(line):
            if sentence.endswith(("?", "？")):
                continue  # a question (FAQ heading) is not an answer
            if sentence.endswith((":", "：")) and index + 1 < len(lines):
                following: list[str] = []
                for item in lines[index + 1 :]:
                    if len(sentence) + sum(map(len, following)) + len(item) > MAX_QUOTE_CHARS:
                        break
                    following.append(item)
                sentence = "\n".join([sentence, *following])
            yield sentence[:MAX_QUOTE_CHARS]


def scored_passages(question: str, sources: list[SearchHit]) -> list[tuple[float, int, str]]:
    """Every quotable passage of the sources with its score and source number, best first.

    A passage scores by the share of question tokens it and its section heading contain; a small
    bonus for the rank of its source breaks ties in favour of what retrieval ranked higher.
    """
    wanted = set(tokenize(question))
    scored: list[tuple[float, int, str]] = []
    if not wanted:
        return scored
    for number, hit in enumerate(sources, start=1):
        section = set(tokenize(" ".join(hit.section)))
        for passage in _candidates(hit):
            tokens = set(tokenize(passage))
            coverage = len(wanted & tokens) / len(wanted)
            if coverage > 0:
                section_bonus = 0.3 * len(wanted & section - tokens) / len(wanted)
                scored.append((coverage + section_bonus + 0.1 / number, number, passage))
    scored.sort(key=lambda item: item[0], reverse=True)
    return scored


def extract_answer(question: str, sources: list[SearchHit]) -> str:
    """Up to three quoted passages, each followed by its source marker ``[n]``."""
    scored = scored_passages(question, sources)
    chosen: list[str] = []
    for score, number, passage in scored:
        if score < RELATIVE_CUTOFF * scored[0][0] or len(chosen) == MAX_SENTENCES:
            break
        if not any(passage in earlier for earlier in chosen):
            chosen.append(f"{passage} [{number}]")
    return "\n".join(chosen)


def evidence(question: str, hit: SearchHit, limit: int = 2) -> SearchHit:
    """The hit reduced to its ``limit`` passages that best cover the question, in text order.

    Tiny models copy what is in front of them: given a whole chunk they wander, given the
    sentences that hold the answer they restate them (bench/history/2026-11-lab-notes.md §7). A hit with no
    passage sharing a question term is kept whole.
    """
    best = [passage for _, _, passage in scored_passages(question, [hit])[:limit]]
    if not best:
        return hit
    best.sort(key=hit.text.find)
    return hit.model_copy(update={"text": "\n".join(best)})
