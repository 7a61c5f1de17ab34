"""Conversations: sessions and messages persisted in the catalog, answered with history.

A turn is stored once its answer is final, or, when the user stops it (the events are closed before
the final answer), with the text generated so far, marked stopped: what the user saw stays in the
conversation, after a reload and in ``ragkb chat --history``, and a regenerated answer can take its
place. A turn that failed is not stored, and a session is stored with its first turn: a new
conversation whose first answer failed, or was closed before it began, leaves no session behind.
"""

from __future__ import annotations

from collections.abc import Generator

from ragkb.answer.answering import Answerer
from ragkb.answer.stream import AnswerEvent, FinalEvent, QueryEvent, TokenEvent, final_answer
from ragkb.catalog.chats import ChatSessions
from ragkb.kb import KnowledgeBase
from ragkb.models import Answer


def without_last_turn(history: list[dict[str, str]], question: str) -> list[dict[str, str]] | None:
    """``history`` before its last turn, if that turn asked ``question``; else ``None``."""
    asked = [i for i, message in enumerate(history) if message["role"] == "user"]
    return history[: asked[-1]] if asked and history[asked[-1]]["content"] == question else None


class Conversation:
    """A named session of one KB: ``ask`` and ``stream`` answer with the stored history and store the turn."""

    def __init__(self, kb: KnowledgeBase, name: str, answerer: Answerer):
        self.kb = kb
        self.name = name
        self.answerer = answerer
        self.sessions = ChatSessions(kb.catalog, kb.id)
        self.sessions.check(name)  # a name that cannot be stored fails now, before any answering

    def history(self) -> list[dict[str, str]]:
        return self.sessions.history(self.name)

    def ask(self, question: str, *, regenerate: bool = False) -> Answer:
        return final_answer(self.stream(question, regenerate=regenerate))

    def stream(self, question: str, *, regenerate: bool = False) -> Generator[AnswerEvent, None, None]:
        """:meth:`Answerer.stream` with the conversation's history; the turn is stored once answered,
        or once stopped (closed) after it began. ``regenerate``: if the last turn asked ``question``,
        answer it again without the answer cache, from the history before it, and replace it."""
        history = self.history()
        before = without_last_turn(history, question) if regenerate else None
        events = self.answerer.stream(question, history) if before is None else self.answerer.generate(question, before)
        query, pieces, stored = question, [], False
        try:
            for event in events:
                if isinstance(event, QueryEvent):
                    query = event.query
                elif isinstance(event, TokenEvent):
                    pieces.append(event.text)
                elif isinstance(event, FinalEvent):
                    self.sessions.append(self.name, question, event.answer, replace_last=before is not None)
                    stored = True
                yield event
        except GeneratorExit:
            events.close()  # the model stops before the turn is stored
            if not stored:
                self._store_stopped(question, query, "".join(pieces).strip(), replace_last=before is not None)
            raise

    def _store_stopped(self, question: str, query: str, text: str, *, replace_last: bool) -> None:
        """The turn the user stopped, with the text generated so far (its [n] markers unresolved: no citations)."""
        partial = Answer(
            question=question,
            query=query,
            answer=text,
            citations=[],
            dropped_citations=0,
            refused=False,
            generator=self.answerer.generator_name,
        )
        self.sessions.append(self.name, question, partial, stopped=True, replace_last=replace_last)
