"""Resolving ``[n]`` markers in an answer against the sources that were really in the prompt.

A marker whose number was not in the prompt, or whose source shares too few words with its
sentence, is removed and counted. An answer sentence without
any marker (small models often forget them) gets the source that shares most of its words, if
that source supports it well enough; such citations are flagged ``inferred``. A sentence that the
next marker on its line already covers (a quoted passage ends with its one marker) gets none.
Sentences are split as :mod:`ragkb.answer.sentences` splits them (abbreviations, numbers, list items).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ragkb.answer.sentences import blocks, split_sentences
from ragkb.index.tokenize import tokenize
from ragkb.ingest.regions import quote_boxes
from ragkb.models import Citation, SearchHit

MARKER = re.compile(r"\[(\d{1,3})\]")
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


def support(sentence: str, source_text: str) -> float:
    """Share of the sentence's tokens that also occur in the source."""
    words = set(tokenize(MARKER.sub("", sentence)))
    return len(words & set(tokenize(source_text))) / len(words) if words else 0.0


def best_quote(hit: SearchHit, reference: str) -> str:
    """The sentence of the source that best supports ``reference`` (the answer sentence)."""
    sentences = [s for block in blocks(hit.text) for s in split_sentences(block.text)] or [hit.text]
    return max(sentences, key=lambda s: support(reference, s) if reference else 0)


def covered_later(sentence: str, later: list[str], sources: list[SearchHit]) -> bool:
    """Whether the next marked sentence of the line cites a source that supports ``sentence``."""
    for following in later:
        numbers = [int(n) for n in MARKER.findall(following) if 1 <= int(n) <= len(sources)]
        if numbers:
            return any(support(sentence, sources[n - 1].text) >= SUPPORT_THRESHOLD for n in numbers)
    return False


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
    sentences: list[tuple[str, list[str]]] = []  # each with the sentences after it on its line
    for line in text.split("\n"):
        split = split_sentences(line)
        sentences += [(sentence, split[index + 1 :]) for index, sentence in enumerate(split)]
    for sentence, later in sentences:
        numbers = []
        for number in dict.fromkeys(int(n) for n in MARKER.findall(sentence)):
            if support(sentence, sources[number - 1].text) >= MIN_MARKED_SUPPORT:
                numbers.append(number)
            else:
                dropped += 1
                unmarked = sentence.replace(f"[{number}]", "")
                text, sentence = text.replace(sentence, unmarked, 1), unmarked
        if not numbers and sources and not covered_later(sentence, later, sources):
            scores = [support(sentence, hit.text) for hit in sources]
            best = max(range(len(sources)), key=scores.__getitem__)
            if scores[best] >= SUPPORT_THRESHOLD:
                numbers = [best + 1]
                inferred_markers.append((sentence, best + 1))
        for number in numbers:
            if number not in cited:
                hit = sources[number - 1]
                quote = best_quote(hit, sentence)
                cited[number] = Citation(
                    number=number,
                    file=hit.file,
                    page=hit.page,
                    section=hit.section,
                    quote=quote,
                    chunk_id=None if hit.url else hit.chunk_id,
                    inferred=(sentence, number) in inferred_markers,
                    url=hit.url,
                    file_id=hit.file_id,
                    boxes=quote_boxes(hit.boxes, hit.text, hit.char_start, quote),
                )
    for sentence, number in inferred_markers:
        text = text.replace(sentence, f"{sentence} [{number}]", 1)
    return ResolvedAnswer(text.strip(), [cited[n] for n in sorted(cited)], dropped)
