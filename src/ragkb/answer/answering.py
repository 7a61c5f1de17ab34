"""Retrieval-augmented answers: retrieve → gate on relevance → prompt → generate → resolve citations."""

from __future__ import annotations

import time
from collections.abc import Generator

from ragkb.answer.cache import AnswerCache, as_asked, normalize_question
from ragkb.answer.citations import resolve
from ragkb.answer.extractive import evidence, extract_answer
from ragkb.answer.persona import DECLINES, answer_language, declined_topic, is_decline, merged, persona_block
from ragkb.answer.prompts import REFUSALS, Prompt, build_prompt
from ragkb.answer.relevance import close_similarity, relevant
from ragkb.answer.rewrite import QueryRewriter, focus_first
from ragkb.answer.stream import AnswerEvent, FinalEvent, QueryEvent, TokenEvent, final_answer
from ragkb.answer.table_cells import TableAnswer, renumbered
from ragkb.answer.tables import KBTables, TableAnswerer
from ragkb.config import Persona
from ragkb.errors import RagkbError
from ragkb.index.language import detect_language
from ragkb.kb import KnowledgeBase
from ragkb.llms import create_generator
from ragkb.models import Answer, SearchHit
from ragkb.profiles import SearchOptions
from ragkb.retrieve.web import web_hits
from ragkb.tables.question import QuestionAnalysis

HISTORY_SHARE = 0.25
"""At most this share of the context window goes to earlier turns of a conversation."""


def is_refusal(text: str, language: str) -> bool:
    """Whether the answer is the refusal sentence (perhaps quoted or with a little around it);
    a tiny model echoing the prompt's rules, which contain that sentence, is not a refusal."""
    refusal = REFUSALS[language].rstrip("。.")
    return refusal in text and len(text) <= 2 * len(refusal)


def echoes_instructions(text: str, instructions: str) -> bool:
    """Whether the answer repeats a line of the system prompt (30+ characters) word for word."""
    return any(len(line) >= 30 and line in text for line in (line.strip() for line in instructions.splitlines()))


class Answerer:
    def __init__(
        self,
        kb: KnowledgeBase,
        generator: str | None = None,
        k: int = 6,
        max_answer_tokens: int = 320,
        options: SearchOptions | None = None,
        tables: bool = True,
        persona: Persona | None = None,
        cache: bool = False,
        rewrite: str = "auto",
    ):
        """``options`` pick the retrieval profile, filters and overrides (its ``k`` is replaced by ``k``);
        ``tables=False`` answers from the text alone (to compare with the table route); ``persona``
        replaces the fields it sets of the KB's persona; ``cache`` answers a repeated question from
        the answer cache (:mod:`ragkb.answer.cache`) unless the ``answer_cache`` setting is off;
        ``rewrite`` says how follow-ups are made standalone (:mod:`ragkb.answer.rewrite`)."""
        self.kb = kb
        self.generator_name = generator or kb.app_settings.generator
        self.generator = create_generator(self.generator_name, kb.app_settings)
        self.k = k
        self.options = (options or SearchOptions()).model_copy(update={"k": k})
        if self.options.generator is None:  # query expansion and LLM reranking use the answering model
            self.options = self.options.model_copy(update={"generator": self.generator_name})
        self.max_answer_tokens = max_answer_tokens
        self.tables = TableAnswerer(KBTables(kb), self.generator) if tables else None
        self.persona = merged(kb.settings.persona, persona)
        self.cache = AnswerCache(kb.catalog, kb.id) if cache and kb.app_settings.answer_cache else None
        self.rewriter = QueryRewriter(kb, rewrite, self.generator)

    def rewrite(self, question: str, history: list[dict[str, str]]) -> str:
        """A standalone query for a follow-up question (history-aware retrieval, :mod:`ragkb.answer.rewrite`),
        made from and given as normalized questions (:func:`normalize_question`), like the cache's key."""
        asked = [{**m, "content": normalize_question(m["content"])} if m["role"] == "user" else m for m in history]
        return normalize_question(self.rewriter.rewrite(normalize_question(question), asked).query)

    def ask(self, question: str, history: list[dict[str, str]] | None = None) -> Answer:
        """The final answer (:meth:`stream` without its events)."""
        return final_answer(self.stream(question, history))

    def stream(self, question: str, history: list[dict[str, str]] | None = None) -> Generator[AnswerEvent, None, None]:
        """The answer as it is made (:mod:`ragkb.answer.stream`): the retrieval query, each piece the
        model generates, then the final answer, whose text may differ from those pieces. Closing the
        iterator stops the generation. With the cache, a repeated question is answered from it."""
        history = history or []
        return self.cache.stream(self, question, history) if self.cache else self.generate(question, history)

    def generate(self, question: str, history: list[dict[str, str]]) -> Generator[AnswerEvent, None, None]:
        """:meth:`stream`, never from the cache. The question is answered as normalized
        (:func:`normalize_question`: full-width letters as ASCII, "?" after Chinese as "？"), so that questions the
        cache takes for one get one answer; the answer's ``question`` is the one asked, and so is its
        query unless the history rewrote it."""
        for event in self._generate(normalize_question(question), history):
            if isinstance(event, QueryEvent):
                event = QueryEvent(query=as_asked(question, event.query))
            elif isinstance(event, FinalEvent):
                update = {"question": question, "query": as_asked(question, event.answer.query)}
                event = FinalEvent(answer=event.answer.model_copy(update=update))
            yield event

    def _generate(self, question: str, history: list[dict[str, str]]) -> Generator[AnswerEvent, None, None]:
        timings: dict[str, float] = {}
        started = time.perf_counter()
        query = self.rewrite(question, history)
        timings["rewrite"] = time.perf_counter() - started
        yield QueryEvent(query=query)
        if declined_topic(self.persona, query) is not None:
            decline = DECLINES[answer_language(question, self.persona)]
            yield FinalEvent(answer=self._finish(question, query, decline, [], True, [], timings))
            return

        started = time.perf_counter()
        analysis, table = self.tables.respond(question, query) if self.tables else (None, None)
        timings["tables"] = time.perf_counter() - started
        if table is not None and table.route != "both":
            yield FinalEvent(answer=self._table_answer(question, query, analysis, table, timings))
            return
        for event in self._rag(question, query, history, timings):
            if isinstance(event, FinalEvent):
                event = FinalEvent(answer=self._with_tables(event.answer, analysis, table))
            yield event

    def _rag(
        self, question: str, query: str, history: list[dict[str, str]], timings: dict[str, float]
    ) -> Generator[AnswerEvent, None, None]:
        """The text answer: retrieve, gate, then quote or generate."""
        started = time.perf_counter()
        result = self.kb.retrieve(query, self.options)
        retrieved = focus_first(result.hits, question, query)
        timings.update({f"retrieval.{stage}": seconds for stage, seconds in result.timings.items()})
        languages, close = self.kb.embedder_languages, close_similarity(self.kb.settings.embedder)
        weights = self.kb.term_weights(query)
        usable = [hit for hit in retrieved if relevant(query, hit, weights, languages, close)]
        usable += [hit for hit in web_hits(result.web) if relevant(query, hit, weights, languages, close)]  # cited by URL
        timings["retrieval"] = time.perf_counter() - started

        def final(answer: Answer) -> FinalEvent:  # with what went wrong on the way (a web search that timed out)
            return FinalEvent(answer=answer.model_copy(update={"notes": result.notes}))

        language = answer_language(question, self.persona)
        if not usable:
            yield final(self._finish(question, query, REFUSALS[language], [], True, retrieved, timings))
            return
        if self.generator is None or not {language, detect_language(question)} <= self.generator.languages:
            yield final(self._extractive(question, query, usable, retrieved, timings))
            return

        started = time.perf_counter()
        prompt = self.prompt(question, query, usable, history)
        timings["prompt"] = time.perf_counter() - started
        started = time.perf_counter()
        pieces: list[str] = []
        for piece in self.generator.stream(prompt.messages, max_tokens=self.max_answer_tokens):
            pieces.append(piece)
            yield TokenEvent(text=piece)
        text = "".join(pieces).strip()
        timings["generation"] = time.perf_counter() - started
        refused = is_refusal(text, language) or is_decline(text, language)
        answer = self._finish(question, query, text, prompt.sources, refused, retrieved, timings)
        if not answer.refused and (not answer.citations or echoes_instructions(text, prompt.messages[0]["content"])):
            # Nothing in the model's answer is supported by a source, or it repeats its
            # instructions (tiny models do): quote the sources instead.
            fallback = self._extractive(question, query, usable, retrieved, timings)
            answer = fallback.model_copy(update={"fallback_from": answer.answer})
        yield final(answer)

    def prompt(self, question: str, query: str, hits: list[SearchHit], history: list[dict[str, str]]) -> Prompt:
        """The generator's messages: the sources that fit its window and the history's share of it."""
        generator = self.generator
        if generator is None:
            raise RagkbError(
                "the extractive answerer writes no prompt; give the Answerer an LLM generator (e.g. llamacpp:smollm2)"
            )
        window = generator.context_window
        sources = [evidence(query, hit) for hit in hits] if generator.evidence_only else hits
        language, home = answer_language(question, self.persona), self.kb.app_settings.home
        return build_prompt(
            question,
            sources,
            language,
            home,
            generator.count_tokens,
            budget=window - self.max_answer_tokens,
            history=self._trim_history(history, int(window * HISTORY_SHARE)),
            persona=persona_block(self.persona, language, home),
        )

    def _extractive(self, question, query, usable, retrieved, timings) -> Answer:
        started = time.perf_counter()
        text = extract_answer(query, usable, self.kb.term_weights(query), focus=question)
        timings["generation"] = timings.get("generation", 0) + time.perf_counter() - started
        language = answer_language(question, self.persona)
        answer = self._finish(question, query, text or REFUSALS[language], usable, not text, retrieved, timings)
        return answer.model_copy(update={"generator": "extractive"})

    def _trim_history(self, history: list[dict[str, str]], budget: int) -> list[dict[str, str]]:
        """The most recent turns that fit in ``budget`` tokens, oldest first."""
        kept: list[dict[str, str]] = []
        used = 0
        for message in reversed(history):
            cost = self.generator.count_tokens(message["content"]) if self.generator else len(message["content"])
            if used + cost > budget:
                break
            kept.insert(0, message)
            used += cost
        return kept

    def _table_answer(
        self, question: str, query: str, analysis: QuestionAnalysis | None, table: TableAnswer, timings: dict[str, float]
    ) -> Answer:
        return Answer(
            question=question,
            query=query,
            answer=table.text,
            citations=table.citations,
            dropped_citations=0,
            refused=False,
            generator=self.generator_name if table.sql else "tables",
            timings={name: round(seconds, 4) for name, seconds in timings.items()},
            route=table.route,
            analysis=analysis,
            computations=table.computations,
            sql=table.sql,
        )

    def _with_tables(self, answer: Answer, analysis: QuestionAnalysis | None, table: TableAnswer | None) -> Answer:
        """The text answer with the question's analysis; for a question that asks for numbers and
        why (route ``both``), the table answer follows the text, its sources numbered after the text's."""
        if table is None:
            return answer.model_copy(update={"route": "text", "analysis": analysis})
        if answer.refused:
            only = self._table_answer(answer.question, answer.query, analysis, table, answer.timings)
            return only.model_copy(update={"route": "table", "retrieved": answer.retrieved})
        table = renumbered(table, max((c.number for c in answer.citations), default=0))
        return answer.model_copy(
            update={
                "answer": f"{answer.answer}\n\n{table.text}",
                "citations": answer.citations + table.citations,
                "route": "both",
                "analysis": analysis,
                "computations": table.computations,
            }
        )

    def _finish(self, question, query, text, sources, refused, retrieved, timings) -> Answer:
        resolved = resolve(text, sources) if not refused else None
        return Answer(
            question=question,
            query=query,
            answer=resolved.text if resolved else text,
            citations=resolved.citations if resolved else [],
            dropped_citations=resolved.dropped if resolved else 0,
            refused=refused,
            generator=self.generator_name,
            retrieved=retrieved,
            timings={name: round(seconds, 4) for name, seconds in timings.items()},
        )
