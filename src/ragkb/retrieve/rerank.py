"""Rerankers: rescore the best fused candidates with a model that reads query and passage together.

``cross-encoder``: a sentence-transformers ``CrossEncoder`` from a local folder or a hub id, scored in
batches; its scores are passed through a sigmoid so thresholds read as probabilities (0–1).
``llm``: the configured generator rates each passage from 0 to 10 (score = rating / 10); a reply
without a number keeps the passage's fused order below the rated ones.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from ragkb.errors import ConfigError
from ragkb.extras import require
from ragkb.llms import Generator

RATING = re.compile(r"\d+(?:\.\d+)?")
PASSAGE_CHARS = 1200
"""How much of a passage the LLM reranker reads (small models have small windows)."""

LLM_PROMPTS = {
    "en": "Rate from 0 to 10 how well the passage answers the question. Reply with the number only.\n\n"
    "Question: {query}\n\nPassage:\n{passage}\n\nRating (0-10):",
    "zh": "请用0到10的数字评价这段资料能在多大程度上回答问题，只回复数字。\n\n问题：{query}\n\n资料：\n{passage}\n\n评分（0-10）：",
}


class Reranker(Protocol):
    name: str

    def score(self, query: str, passages: Sequence[str]) -> list[float | None]:
        """One relevance score per passage, higher is better; ``None`` where no score could be had."""


@lru_cache(maxsize=2)
def _load_cross_encoder(location: str):
    CrossEncoder = require("sentence_transformers", "the cross-encoder reranker").CrossEncoder
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    try:
        return CrossEncoder(location, device="cpu")
    except Exception as error:
        raise ConfigError(
            f"cannot load cross-encoder '{location}' ({type(error).__name__}); give a local model folder or a hub id "
            "downloaded before (HF_HUB_OFFLINE=0 lets ragkb download it), e.g. ragkb kb profile KB mine --set rerank=cross-encoder --set reranker_model=/models/bge-reranker-base"
        ) from error


class CrossEncoderReranker:
    def __init__(self, model: str, batch_size: int = 32):
        location = Path(model).expanduser()
        if not location.exists() and model.startswith(("/", "~", ".")):
            raise ConfigError(
                f"no cross-encoder at {location}; put a sentence-transformers CrossEncoder there (or build one with "
                "bench/train_reranker.py), or set another: ragkb kb profile KB mine --set rerank=cross-encoder --set reranker_model=<folder or hub id>"
            )
        self.location = str(location) if location.exists() else model
        self.name = f"cross-encoder:{model}"
        self.batch_size = batch_size

    def score(self, query: str, passages: Sequence[str]) -> list[float | None]:
        if not passages:
            return []
        model = _load_cross_encoder(self.location)
        logits = model.predict(
            [(query, p) for p in passages], batch_size=self.batch_size, activation_fn=_identity, show_progress_bar=False
        )
        return [float(s) for s in 1 / (1 + np.exp(-np.asarray(logits, dtype=np.float64)))]


def _identity(x):
    return x


class LLMReranker:
    def __init__(self, generator: Generator, language: str):
        self.generator = generator
        self.name = f"llm:{generator.name}"
        self.prompt = LLM_PROMPTS.get(language, LLM_PROMPTS["en"])

    def score(self, query: str, passages: Sequence[str]) -> list[float | None]:
        return [self._rate(query, passage) for passage in passages]

    def _rate(self, query: str, passage: str) -> float | None:
        prompt = self.prompt.format(query=query, passage=passage[:PASSAGE_CHARS])
        reply = "".join(self.generator.stream([{"role": "user", "content": prompt}], max_tokens=6, temperature=0.0))
        match = RATING.search(reply)
        return min(float(match.group()), 10.0) / 10 if match else None


def blend(judged: Sequence[float | None], fused: Sequence[float], weight: float) -> list[float | None]:
    """``weight`` × the reranker's score (0–1) + (1 − ``weight``) × the fused score divided by the best.

    ``weight`` 1 keeps the reranker's own scores and order. Below 1 the reranker is one more vote, and
    its vote counts as much as it is sure: its scores are probabilities, not rescaled over the
    candidates, so a reranker that finds nothing relevant (all scores near 0, e.g. a query about table
    values it was never trained on) leaves the fused order as it is instead of amplifying its noise.
    """
    if weight >= 1:
        return list(judged)
    best = max(fused, default=0.0) or 1.0
    return [None if s is None else weight * s + (1 - weight) * f / best for s, f in zip(judged, fused, strict=True)]


def rerank_order(candidates: Sequence[int], scores: Sequence[float | None]) -> list[tuple[int, float | None]]:
    """Candidates by reranker score, best first; unscored ones after, in their incoming order."""
    scored = sorted(
        ((c, s) for c, s in zip(candidates, scores, strict=True) if s is not None), key=lambda pair: pair[1], reverse=True
    )
    return scored + [(c, None) for c, s in zip(candidates, scores, strict=True) if s is None]
