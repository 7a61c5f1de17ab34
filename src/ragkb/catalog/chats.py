"""The stored conversations of one knowledge base: ``chat_session`` and ``chat_message`` rows.

:class:`ragkb.answer.chat.Conversation` answers in a session through this; the Python API, the CLI
and the HTTP API list, read and delete sessions through it. A session is created with its first
stored turn, never before, so no session is ever empty.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.orm import Session as DbSession

from ragkb.catalog.database import Catalog
from ragkb.catalog.schema import ChatSessionRow, MessageRow, utcnow
from ragkb.models import Answer, Message, SessionSummary
from ragkb.names import check_name, storable


def _message(row: MessageRow) -> Message:
    return Message(
        role=row.role,
        content=row.content,
        query=row.query,
        citations=row.citations,
        route=row.route,
        analysis=row.analysis,
        computations=row.computations or [],
        sql=row.sql,
        stopped=row.stopped,
        created_at=row.created_at,
    )


class ChatSessions:
    """Named conversations of KB ``kb_id``, each a list of user and assistant messages."""

    def __init__(self, catalog: Catalog, kb_id: int) -> None:
        self.catalog = catalog
        self.kb_id = kb_id

    def _id(self, session: DbSession, name: str) -> int | None:
        if not storable(name):
            return None
        return session.scalar(select(ChatSessionRow.id).where(ChatSessionRow.kb_id == self.kb_id, ChatSessionRow.name == name))

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
        with self.catalog.session() as session:
            session_id = self._id(session, name)
            if session_id is None:
                return None
            rows = session.scalars(select(MessageRow).where(MessageRow.session_id == session_id).order_by(MessageRow.id))
            return [_message(m) for m in rows]

    def check(self, name: str) -> None:
        """Raise :class:`ragkb.names.InvalidName` unless session ``name`` is stored or may be created."""
        with self.catalog.session() as session:
            if self._id(session, name) is None:
                check_name("session", name)

    def history(self, name: str) -> list[dict[str, str]]:
        """A session's turns as chat messages (role, content), oldest first; none before its first turn."""
        with self.catalog.session() as session:
            session_id = self._id(session, name)
            rows = session.execute(
                select(MessageRow.role, MessageRow.content).where(MessageRow.session_id == session_id).order_by(MessageRow.id)
            )
            return [{"role": role, "content": content} for role, content in rows]

    def append(self, name: str, question: str, answer: Answer, *, stopped: bool = False, replace_last: bool = False) -> None:
        """Store one turn: the question (with what it searched) and the answer with its citations and
        how it was reached (``stopped``: the user stopped it; its text is what it had then). The
        session is created if this is its first turn. ``replace_last``: if the session's last turn
        asked ``question`` too, this one takes its place (an answer regenerated)."""
        with self.catalog.session() as session:
            session_id = self._id(session, name)
            if session_id is None:
                row = ChatSessionRow(kb_id=self.kb_id, name=check_name("session", name))
                session.add(row)
                session.flush()
                session_id = row.id
            elif replace_last:
                self._drop_last_turn(session, session_id, question)
            session.add(MessageRow(session_id=session_id, role="user", content=question, query=answer.query))
            session.add(
                MessageRow(
                    session_id=session_id,
                    role="assistant",
                    content=answer.answer,
                    citations=[c.model_dump(mode="json") for c in answer.citations],
                    route=answer.route,
                    analysis=answer.analysis.model_dump(mode="json") if answer.analysis else None,
                    computations=[c.model_dump(mode="json") for c in answer.computations],
                    sql=answer.sql,
                    stopped=stopped,
                )
            )
            session.execute(update(ChatSessionRow).where(ChatSessionRow.id == session_id).values(updated_at=utcnow()))

    @staticmethod
    def _drop_last_turn(session: DbSession, session_id: int, question: str) -> None:
        """Delete the session's last turn (its last question and what follows) if it asked ``question``."""
        last = session.scalar(
            select(MessageRow)
            .where(MessageRow.session_id == session_id, MessageRow.role == "user")
            .order_by(MessageRow.id.desc())
            .limit(1)
        )
        if last is not None and last.content == question:
            session.execute(delete(MessageRow).where(MessageRow.session_id == session_id, MessageRow.id >= last.id))

    def delete(self, name: str) -> bool:
        """Delete a conversation with its messages; ``False`` if there was none."""
        if not storable(name):
            return False
        with self.catalog.session() as session:
            statement = delete(ChatSessionRow).where(ChatSessionRow.kb_id == self.kb_id, ChatSessionRow.name == name)
            # Session.execute is typed to return Result; a DELETE's is a CursorResult (SQLAlchemy's documented cast)
            return cast(CursorResult[Any], session.execute(statement)).rowcount > 0
