"""The stored conversations of one knowledge base: ``chat_session`` and ``chat_message`` rows.

:class:`ragkb.answer.chat.Conversation` answers in a session through this; the Python API, the CLI
and the HTTP API list, read and delete sessions through it.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select, update

from ragkb.catalog.database import Catalog
from ragkb.catalog.schema import ChatSessionRow, MessageRow, utcnow
from ragkb.models import Answer, Message, SessionSummary
from ragkb.names import check_name, storable


class ChatSessions:
    """Named conversations of KB ``kb_id``, each a list of user and assistant messages."""

    def __init__(self, catalog: Catalog, kb_id: int) -> None:
        self.catalog = catalog
        self.kb_id = kb_id

    def summaries(self) -> list[SessionSummary]:
        """Stored conversations, most recently used first, with their message counts."""
        with self.catalog.session() as session:
            rows = session.execute(
                select(ChatSessionRow, func.count(MessageRow.id))
                .outerjoin(MessageRow, MessageRow.session_id == ChatSessionRow.id)
                .where(ChatSessionRow.kb_id == self.kb_id)
                .group_by(ChatSessionRow.id)
                .order_by(ChatSessionRow.updated_at.desc(), ChatSessionRow.id.desc())
            ).all()
        return [SessionSummary(name=r.name, created_at=r.created_at, updated_at=r.updated_at, messages=n) for r, n in rows]

    def messages(self, name: str) -> list[Message] | None:
        """A conversation's messages, oldest first; ``None`` if there is no such session."""
        if not storable(name):
            return None
        with self.catalog.session() as session:
            session_id = session.scalar(
                select(ChatSessionRow.id).where(ChatSessionRow.kb_id == self.kb_id, ChatSessionRow.name == name)
            )
            if session_id is None:
                return None
            rows = session.scalars(select(MessageRow).where(MessageRow.session_id == session_id).order_by(MessageRow.id))
            return [
                Message(role=m.role, content=m.content, query=m.query, citations=m.citations, created_at=m.created_at)
                for m in rows
            ]

    def open(self, name: str) -> int:
        """The id of session ``name``, created if there is none (its name is checked then)."""
        with self.catalog.session() as session:
            where = (ChatSessionRow.kb_id == self.kb_id, ChatSessionRow.name == name)
            row = session.scalar(select(ChatSessionRow).where(*where)) if storable(name) else None
            if row is None:
                row = ChatSessionRow(kb_id=self.kb_id, name=check_name("session", name))
                session.add(row)
                session.flush()
            return row.id

    def history(self, session_id: int) -> list[dict[str, str]]:
        """A session's turns as chat messages (role, content), oldest first."""
        with self.catalog.session() as session:
            rows = session.execute(
                select(MessageRow.role, MessageRow.content).where(MessageRow.session_id == session_id).order_by(MessageRow.id)
            )
            return [{"role": role, "content": content} for role, content in rows]

    def append(self, session_id: int, question: str, answer: Answer) -> None:
        """Store one turn: the question (with what it searched) and the answer with its citations."""
        with self.catalog.session() as session:
            session.add(MessageRow(session_id=session_id, role="user", content=question, query=answer.query))
            session.add(
                MessageRow(
                    session_id=session_id,
                    role="assistant",
                    content=answer.answer,
                    citations=[c.model_dump(mode="json") for c in answer.citations],
                )
            )
            session.execute(update(ChatSessionRow).where(ChatSessionRow.id == session_id).values(updated_at=utcnow()))

    def delete(self, name: str) -> bool:
        """Delete a conversation with its messages; ``False`` if there was none."""
        if not storable(name):
            return False
        with self.catalog.session() as session:
            statement = delete(ChatSessionRow).where(ChatSessionRow.kb_id == self.kb_id, ChatSessionRow.name == name)
            # Session.execute is typed to return Result; a DELETE's is a CursorResult (SQLAlchemy's documented cast)
            return cast(CursorResult[Any], session.execute(statement)).rowcount > 0
