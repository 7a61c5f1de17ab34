"""The answer cache: a question asked again is answered from the catalog instead of made again.

The key is the normalized question (:func:`normalize_question`: full- and half-width forms, runs of
whitespace), which is also the question the answerer answers, so two questions the cache takes for
one get one answer when made too; with everything else that decides its answer: the KB's settings
(profiles, persona), this request's retrieval options, persona and generator, ``k``, the answer's
length, the prompt templates a model reads and ragkb's version. A cached answer is served only at the KB
revision it was made at (:mod:`ragkb.catalog.answers`), so any write to the KB invalidates it, in
every process sharing the catalog (on PostgreSQL, every server).

A follow-up in a conversation is answered from the cache only when its answer depends on the
history through the rewritten query alone: without a model (the extractive answerer), whose
query is the previous question and this one, which then joins the key. A model reads the history
in its prompt, so its follow-ups are never cached.

Only a whole answer made without a hitch is stored: not one that carries a note (``Answer.notes``: a
web-search provider failed, timed out or is not configured; asked again, it may answer), and not one
stopped (its events closed before the final answer, which is what is stored).

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
from ragkb.index.language import CJK

if TYPE_CHECKING:
    from ragkb.answer.answering import Answerer

LOOKUP_TIMING = "cache_lookup"
"""The key of ``Answer.timings`` that says the cache was asked: on a hit its only timing."""

_SPACE_BEFORE_CLOSING = re.compile(r"\s+(?=[.,;:!?)\]])")
_AFTER_CHINESE = re.compile(rf"(?<={CJK.pattern})[?!,:;]+")
_FULL_WIDTH = str.maketrans("?!,:;", "？！，：；")


def normalize_question(question: str) -> str:
    """The question as ragkb answers it (:meth:`Answerer.generate
    <ragkb.answer.answering.Answerer.generate>`) and the cache compares it: NFKC (full-width letters
    and digits as ASCII), whitespace runs as one space, none before closing punctuation or at the
    ends, and ? ! , : ; in the width of the script before them: full (？！，：；) after a Chinese
    character, ASCII after anything else ("多久?" is "多久？", "VPN？" is "VPN?").

    Only what changes no word and no token: case stays (a cased embedder and a model read it), and so
    do the spaces after punctuation ("printer? What" is two words, "printer?what" one token)."""
    text = _SPACE_BEFORE_CLOSING.sub("", " ".join(unicodedata.normalize("NFKC", question).split()))
    return _AFTER_CHINESE.sub(lambda found: found.group().translate(_FULL_WIDTH), text)


def as_asked(question: str, query: str) -> str:
    """The query to show for ``question``: the question as typed where the query is only it, normalized."""
    return question if query == normalize_question(question) else query


def cache_key(answerer: Answerer, question: str, query: str) -> str:
    """What identifies the answer to ``question`` (searched as ``query``) from ``answerer``."""
    language = answer_language(question, answerer.persona)
    home = answerer.kb.app_settings.home
    templates = [load_template(name, language, home) for name in ("system", "user", "persona")] if answerer.generator else []
    asked, searched = normalize_question(question), normalize_question(query)
    parts = {
        "question": asked,
        "query": searched if searched != asked else None,
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
            yield QueryEvent(query=as_asked(question, query))
            update = {"question": question, "query": as_asked(question, query), "cached": True, "timings": lookup}
            yield FinalEvent(answer=found.answer.model_copy(update=update))
            return
        started = time.perf_counter()
        for event in answerer.generate(question, history):
            if isinstance(event, FinalEvent):
                answer = event.answer
                if not answer.notes:  # a web search failed or timed out: asked again, it may not
                    self.stored.put(key, revision, normalize_question(question), answer, time.perf_counter() - started)
                event = FinalEvent(answer=answer.model_copy(update={"timings": {**answer.timings, **lookup}}))
            yield event
