"""Conversations: sessions and messages persisted in the catalog, answered with history."""

from __future__ import annotations

from collections.abc import Generator

from sqlalchemy import select

from ragkb.answer.answering import Answerer
from ragkb.answer.stream import AnswerEvent, FinalEvent, final_answer
from ragkb.catalog.schema import ChatSessionRow, MessageRow, utcnow
from ragkb.kb import KnowledgeBase
from ragkb.models import Answer
from ragkb.names import check_name, storable


class Conversation:
    """A named session of one KB: ``ask`` and ``stream`` answer with the stored history and store the turn."""

    def __init__(self, kb: KnowledgeBase, name: str, answerer: Answerer):
        self.kb = kb
        self.name = name
        self.answerer = answerer
        with kb.catalog.session() as session:
            where = (ChatSessionRow.kb_id == kb.id, ChatSessionRow.name == name)
            row = session.scalar(select(ChatSessionRow).where(*where)) if storable(name) else None
            if row is None:
                row = ChatSessionRow(kb_id=kb.id, name=check_name("session", name))
                session.add(row)
                session.flush()
            self.session_id = row.id

    def messages(self) -> list[MessageRow]:
        with self.kb.catalog.session() as session:
            return list(
                session.scalars(select(MessageRow).where(MessageRow.session_id == self.session_id).order_by(MessageRow.id))
            )

    def history(self) -> list[dict[str, str]]:
        return [{"role": m.role, "content": m.content} for m in self.messages()]

    def ask(self, question: str) -> Answer:
        return final_answer(self.stream(question))

    def stream(self, question: str) -> Generator[AnswerEvent, None, None]:
        """:meth:`Answerer.stream` with the conversation's history; the turn is stored once answered."""
        for event in self.answerer.stream(question, history=self.history()):
            if isinstance(event, FinalEvent):
                self._store(question, event.answer)
            yield event

    def _store(self, question: str, answer: Answer) -> None:
        with self.kb.catalog.session() as session:
            session.add(MessageRow(session_id=self.session_id, role="user", content=question, query=answer.query))
            session.add(
                MessageRow(
                    session_id=self.session_id,
                    role="assistant",
                    content=answer.answer,
                    citations=[c.model_dump(mode="json") for c in answer.citations],
                )
            )
            session.get(ChatSessionRow, self.session_id).updated_at = utcnow()
