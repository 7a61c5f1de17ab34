"""Resolving ``[n]`` markers in an answer against the sources that were really in the prompt.

A marker whose number was not in the prompt, or whose source shares too few words with its
sentence, is removed and counted. An answer sentence without
any marker (small models often forget them) gets the source that shares most of its words, if
that source supports it well enough; such citations are flagged ``inferred``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ragkb.index.tokenize import tokenize
from ragkb.models import Citation, SearchHit

MARKER = re.compile(r"\[(\d{1,3})\]")
SENTENCE = re.compile(r"[^\n]+?(?:[。！？!?；;]|\.(?=\s|\[|$)|$)(?:\s*\[\d{1,3}\])*", re.MULTILINE)
"""A sentence with the citation markers that follow it ("... ends. [1][2]")."""
SUPPORT_THRESHOLD = 0.6
"""An unmarked answer sentence is attributed to a source that holds this share of its words."""
MIN_MARKED_SUPPORT = 0.3
"""A sentence marked [n] must share at least this share of its words with source n, else the
marker is dropped as unsupported: tiny models put markers on sentences they made up."""


@dataclass
class ResolvedAnswer:
    text: str
    citations: list[Citation] = field(default_factory=list)
    dropped: int = 0


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE.findall(text) if s.strip()]


def support(sentence: str, source_text: str) -> float:
    """Share of the sentence's tokens that also occur in the source."""
    words = set(tokenize(MARKER.sub("", sentence)))
    return len(words & set(tokenize(source_text))) / len(words) if words else 0.0


def best_quote(hit: SearchHit, reference: str) -> str:
    """The sentence of the source that best supports ``reference`` (the answer sentence)."""
    sentences = split_sentences(hit.text) or [hit.text]
    return max(sentences, key=lambda s: support(reference, s) if reference else 0)


def resolve(answer: str, sources: list[SearchHit]) -> ResolvedAnswer:
    dropped = 0

    def keep_valid(match: re.Match) -> str:
        nonlocal dropped
        if 1 <= int(match.group(1)) <= len(sources):
            return match.group(0)
        dropped += 1
        return ""

    text = MARKER.sub(keep_valid, answer)
    cited: dict[int, Citation] = {}
    inferred_markers: list[tuple[str, int]] = []
    for sentence in split_sentences(text):
        numbers = []
        for number in dict.fromkeys(int(n) for n in MARKER.findall(sentence)):
            if support(sentence, sources[number - 1].text) >= MIN_MARKED_SUPPORT:
                numbers.append(number)
            else:
                dropped += 1
                unmarked = sentence.replace(f"[{number}]", "")
                text, sentence = text.replace(sentence, unmarked, 1), unmarked
        if not numbers and sources:
            scores = [support(sentence, hit.text) for hit in sources]
            best = max(range(len(sources)), key=scores.__getitem__)
            if scores[best] >= SUPPORT_THRESHOLD:
                numbers = [best + 1]
                inferred_markers.append((sentence, best + 1))
        for number in numbers:
            if number not in cited:
                hit = sources[number - 1]
                cited[number] = Citation(
                    number=number,
                    file=hit.file,
                    page=hit.page,
                    section=hit.section,
                    quote=best_quote(hit, sentence),
                    chunk_id=None if hit.url else hit.chunk_id,
                    inferred=(sentence, number) in inferred_markers,
                    url=hit.url,
                )
    for sentence, number in inferred_markers:
        text = text.replace(sentence, f"{sentence} [{number}]", 1)
    return ResolvedAnswer(text.strip(), [cited[n] for n in sorted(cited)], dropped)
