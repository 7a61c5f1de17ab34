"""Answering without an LLM: quote the source sentences that best cover the question."""

from __future__ import annotations

from ragkb.answer.citations import split_sentences
from ragkb.index.tokenize import tokenize
from ragkb.models import SearchHit

MAX_SENTENCES = 3
MAX_SENTENCE_CHARS = 400
RELATIVE_CUTOFF = 0.6
"""Sentences scoring below this share of the best sentence's score are left out."""


def extract_answer(question: str, sources: list[SearchHit]) -> str:
    """Up to three quoted sentences, each followed by its source marker ``[n]``.

    A sentence scores by the share of question tokens it contains; a small bonus for the rank of
    its source breaks ties in favour of what retrieval ranked higher.
    """
    wanted = set(tokenize(question))
    if not wanted or not sources:
        return ""
    scored: list[tuple[float, int, str]] = []
    for number, hit in enumerate(sources, start=1):
        context = set(tokenize(" ".join(hit.heading_path)))
        for sentence in split_sentences(hit.text):
            if len(sentence) > MAX_SENTENCE_CHARS:
                sentence = sentence[:MAX_SENTENCE_CHARS] + "…"
            tokens = set(tokenize(sentence))
            coverage = len(wanted & tokens) / len(wanted)
            section_bonus = 0.2 * len(wanted & context) / len(wanted)
            if coverage > 0:
                scored.append((coverage + section_bonus + 0.05 / number, number, sentence))
    scored.sort(key=lambda item: item[0], reverse=True)
    chosen, seen = [], set()
    for score, number, sentence in scored:
        if score < RELATIVE_CUTOFF * scored[0][0]:
            break
        if sentence not in seen:
            chosen.append(f"{sentence} [{number}]")
            seen.add(sentence)
        if len(chosen) == MAX_SENTENCES:
            break
    return "\n".join(chosen)
