"""The answer cache's rows (``answer_cache``): answers to questions asked before, per KB revision.

:mod:`ragkb.answer.cache` decides what is asked again (the key) and replays what it finds; this
reads and writes the rows. A row is served only while the KB is still at the revision it was made
at: every write to the KB bumps the revision, so a write invalidates every cached answer at once,
in every process sharing the catalog; storing an answer drops the rows of older revisions.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ragkb.catalog.database import Catalog, table_of
from ragkb.catalog.schema import AnswerCacheRow, KnowledgeBaseRow, utcnow
from ragkb.models import Answer

MAX_ANSWERS = 10_000
"""Answers kept per KB; storing one more drops the least recently used."""


@dataclass
class CachedAnswer:
    answer: Answer
    seconds: float
    """How long making it took: what serving it saves."""


@dataclass
class CacheStats:
    answers: int
    hits: int
    saved_seconds: float
    """What the hits saved: each answer's making time times its hits."""


class StoredAnswers:
    """The cached answers of KB ``kb_id``."""

    def __init__(self, catalog: Catalog, kb_id: int) -> None:
        self.catalog = catalog
        self.kb_id = kb_id

    def revision(self) -> int:
        with self.catalog.session() as session:
            return session.scalar(select(KnowledgeBaseRow.revision).where(KnowledgeBaseRow.id == self.kb_id)) or 0

    def get(self, key: str) -> CachedAnswer | None:
        """The answer stored under ``key`` at the KB's current revision (its hit counted), if any."""
        with self.catalog.session() as session:
            current = select(KnowledgeBaseRow.revision).where(KnowledgeBaseRow.id == self.kb_id).scalar_subquery()
            row = session.scalar(
                select(AnswerCacheRow).where(
                    AnswerCacheRow.kb_id == self.kb_id, AnswerCacheRow.key == key, AnswerCacheRow.revision == current
                )
            )
            if row is None:
                return None
            session.execute(
                update(AnswerCacheRow)
                .where(AnswerCacheRow.id == row.id)
                .values(hits=AnswerCacheRow.hits + 1, last_hit_at=utcnow())
            )
            return CachedAnswer(Answer.model_validate(row.answer), row.seconds)

    def put(self, key: str, revision: int, question: str, answer: Answer, seconds: float) -> None:
        """Keep ``answer``, made at ``revision`` in ``seconds``, under ``key`` (replacing what was
        there, which another process may have stored meanwhile); drop the rows of older revisions
        and the least recently used beyond :data:`MAX_ANSWERS`."""
        values = {
            "kb_id": self.kb_id,
            "key": key,
            "revision": revision,
            "question": question,
            "answer": answer.model_dump(mode="json"),
            "seconds": seconds,
            "hits": 0,
            "created_at": utcnow(),
            "last_hit_at": None,
        }
        with self.catalog.session() as session:
            dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
            insert = dialect.insert(table_of(AnswerCacheRow)).values(**values)
            changed = {name: value for name, value in values.items() if name not in ("kb_id", "key")}
            newer = table_of(AnswerCacheRow).c.revision <= insert.excluded.revision  # never replace a later revision's
            session.execute(insert.on_conflict_do_update(index_elements=["kb_id", "key"], set_=changed, where=newer))
            mine = AnswerCacheRow.kb_id == self.kb_id
            session.execute(delete(AnswerCacheRow).where(mine, AnswerCacheRow.revision < revision))
            unused = (
                select(AnswerCacheRow.id)
                .where(mine)
                .order_by(func.coalesce(AnswerCacheRow.last_hit_at, AnswerCacheRow.created_at).desc(), AnswerCacheRow.id.desc())
                .offset(MAX_ANSWERS)
            )
            session.execute(delete(AnswerCacheRow).where(AnswerCacheRow.id.in_(unused)))

    def stats(self) -> CacheStats:
        with self.catalog.session() as session:
            answers, hits, saved = session.execute(
                select(
                    func.count(),
                    func.coalesce(func.sum(AnswerCacheRow.hits), 0),
                    func.coalesce(func.sum(AnswerCacheRow.hits * AnswerCacheRow.seconds), 0.0),
                ).where(AnswerCacheRow.kb_id == self.kb_id)
            ).one()
        return CacheStats(answers, hits, float(saved))
