"""Conversations: sessions and messages persisted in the catalog, answered with history."""

from __future__ import annotations

from collections.abc import Generator

from ragkb.answer.answering import Answerer
from ragkb.answer.stream import AnswerEvent, FinalEvent, final_answer
from ragkb.catalog.chats import ChatSessions
from ragkb.kb import KnowledgeBase
from ragkb.models import Answer


class Conversation:
    """A named session of one KB: ``ask`` and ``stream`` answer with the stored history and store the turn."""

    def __init__(self, kb: KnowledgeBase, name: str, answerer: Answerer):
        self.kb = kb
        self.name = name
        self.answerer = answerer
        self.sessions = ChatSessions(kb.catalog, kb.id)
        self.session_id = self.sessions.open(name)

    def history(self) -> list[dict[str, str]]:
        return self.sessions.history(self.session_id)

    def ask(self, question: str) -> Answer:
        return final_answer(self.stream(question))

    def stream(self, question: str) -> Generator[AnswerEvent, None, None]:
        """:meth:`Answerer.stream` with the conversation's history; the turn is stored once answered."""
        for event in self.answerer.stream(question, history=self.history()):
            if isinstance(event, FinalEvent):
                self.sessions.append(self.session_id, question, event.answer)
            yield event
