"""The answer cache: a question asked again is answered from the catalog instead of made again.

The key is the normalized question (:func:`normalize_question`: case, runs of whitespace, full- and
half-width punctuation) with everything else that decides its answer: the KB's settings (profiles,
persona), this request's retrieval options, persona and generator, ``k``, the answer's length, the
prompt templates a model reads and ragkb's version. A cached answer is served only at the KB
revision it was made at (:mod:`ragkb.catalog.answers`), so any write to the KB invalidates it, in
every process sharing the catalog (on PostgreSQL, every server).

A follow-up in a conversation is answered from the cache only when its answer depends on the
history through the rewritten query alone: without a model (the extractive answerer), whose
query is the previous question and this one, which then joins the key. A model reads the history
in its prompt, so its follow-ups are never cached.

A cached answer streams as its query and its final answer (``cached`` set, ``timings`` the
lookup's), which front ends show as one piece (:func:`ragkb.answer.stream.reconcile`); where a
model's uncited answer was replaced by quoted sources, only those are shown again.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import unicodedata
from collections.abc import Generator
from typing import TYPE_CHECKING

from ragkb import __version__
from ragkb.answer.persona import answer_language
from ragkb.answer.prompts import load_template
from ragkb.answer.stream import AnswerEvent, FinalEvent, QueryEvent
from ragkb.catalog.answers import StoredAnswers
from ragkb.catalog.database import Catalog

if TYPE_CHECKING:
    from ragkb.answer.answering import Answerer

LOOKUP_TIMING = "cache_lookup"
"""The key of ``Answer.timings`` that says the cache was asked: on a hit its only timing."""

_PUNCTUATION = str.maketrans("。、「」『』“”‘’《》", '.,""""""\'\'""')
_SPACED_PUNCTUATION = re.compile(r"\s*([^\w\s])\s*")


def normalize_question(question: str) -> str:
    """The question as the cache compares it: NFKC (full-width letters, digits and ？！，：； as
    their half-width forms), Chinese 。、 and quotes as ASCII ones, case folded, whitespace runs as
    one space and none around punctuation, without the final . ? or !."""
    text = unicodedata.normalize("NFKC", question).translate(_PUNCTUATION).casefold()
    text = _SPACED_PUNCTUATION.sub(r"\1", " ".join(text.split()))
    return text.rstrip(".?!")


def cache_key(answerer: Answerer, question: str, query: str) -> str:
    """What identifies the answer to ``question`` (searched as ``query``) from ``answerer``."""
    language = answer_language(question, answerer.persona)
    home = answerer.kb.app_settings.home
    templates = [load_template(name, language, home) for name in ("system", "user", "persona")] if answerer.generator else []
    parts = {
        "question": normalize_question(question),
        "query": normalize_question(query) if query != question else None,
        "kb": answerer.kb.settings.model_dump(mode="json"),
        "options": answerer.options.model_dump(mode="json"),
        "persona": answerer.persona.model_dump(mode="json"),
        "generator": answerer.generator_name,
        "max_answer_tokens": answerer.max_answer_tokens,
        "tables": answerer.tables is not None,
        "templates": templates,
        "version": __version__,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class AnswerCache:
    """The answer cache of one knowledge base."""

    def __init__(self, catalog: Catalog, kb_id: int) -> None:
        self.stored = StoredAnswers(catalog, kb_id)

    def stream(self, answerer: Answerer, question: str, history: list[dict[str, str]]) -> Generator[AnswerEvent, None, None]:
        """:meth:`Answerer.stream <ragkb.answer.answering.Answerer.stream>` through the cache: a
        hit's query and answer, or the answer made (and stored before its final event is sent)."""
        if history and answerer.generator is not None:
            yield from answerer.generate(question, history)
            return
        started = time.perf_counter()
        revision = self.stored.revision()
        query = answerer.rewrite(question, history)  # no model: the question, or the previous one and it
        key = cache_key(answerer, question, query)
        found = self.stored.get(key)
        lookup = {LOOKUP_TIMING: round(time.perf_counter() - started, 4)}
        if found is not None:
            yield QueryEvent(query=query)
            update = {"question": question, "query": query, "cached": True, "timings": lookup}
            yield FinalEvent(answer=found.answer.model_copy(update=update))
            return
        started = time.perf_counter()
        for event in answerer.generate(question, history):
            if isinstance(event, FinalEvent):
                answer = event.answer
                self.stored.put(key, revision, normalize_question(question), answer, time.perf_counter() - started)
                event = FinalEvent(answer=answer.model_copy(update={"timings": {**answer.timings, **lookup}}))
            yield event
