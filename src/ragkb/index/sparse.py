"""BM25 over SQLite FTS5, one table per knowledge base.

Text is tokenized in Python (jieba + stemming, see :mod:`ragkb.index.tokenize`) and stored as
space-separated tokens, so FTS5 only splits on spaces and ranks with its built-in ``bm25()``.
Living in the catalog database means sparse entries commit in the same transaction as their
chunks; one table per KB keeps term statistics from leaking across knowledge bases.
"""

from __future__ import annotations

import math

from sqlalchemy import text
from sqlalchemy.orm import Session

from ragkb.index.tokenize import tokenize


def _table(kb_id: int) -> str:
    return f"fts_kb_{int(kb_id)}"


class SqliteFtsIndex:
    def create(self, session: Session, kb_id: int) -> None:
        session.execute(
            text(
                f"CREATE VIRTUAL TABLE IF NOT EXISTS {_table(kb_id)} USING fts5(tokens, tokenize='unicode61 remove_diacritics 0')"
            )
        )
        session.execute(text(f"CREATE VIRTUAL TABLE IF NOT EXISTS {_table(kb_id)}_vocab USING fts5vocab({_table(kb_id)}, 'row')"))

    def drop(self, session: Session, kb_id: int) -> None:
        session.execute(text(f"DROP TABLE IF EXISTS {_table(kb_id)}_vocab"))
        session.execute(text(f"DROP TABLE IF EXISTS {_table(kb_id)}"))

    def idf(self, session: Session, kb_id: int, terms: list[str]) -> dict[str, float]:
        """Inverse document frequency of each term in this KB; a term the KB lacks gets the maximum."""
        total = session.scalar(text(f"SELECT COUNT(*) FROM {_table(kb_id)}")) or 0
        frequencies: dict[str, int] = {}
        for term in set(terms):
            frequencies[term] = session.scalar(text(f"SELECT doc FROM {_table(kb_id)}_vocab WHERE term = :t"), {"t": term}) or 0
        return {term: math.log((total + 1) / (df + 0.5)) for term, df in frequencies.items()}

    def add(self, session: Session, kb_id: int, chunk_ids: list[int], texts: list[str]) -> None:
        rows = [{"rowid": chunk_id, "tokens": " ".join(tokenize(body))} for chunk_id, body in zip(chunk_ids, texts)]
        if rows:
            session.execute(text(f"INSERT INTO {_table(kb_id)}(rowid, tokens) VALUES (:rowid, :tokens)"), rows)

    def delete(self, session: Session, kb_id: int, chunk_ids: list[int]) -> None:
        if chunk_ids:
            session.execute(text(f"DELETE FROM {_table(kb_id)} WHERE rowid = :rowid"), [{"rowid": i} for i in chunk_ids])

    def search(self, session: Session, kb_id: int, query: str, k: int) -> list[tuple[int, float]]:
        """Top ``k`` (chunk id, BM25 score), best first; higher is better."""
        terms = sorted(set(tokenize(query)))
        if not terms:
            return []
        match = " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)
        rows = session.execute(
            text(
                f"SELECT rowid, bm25({_table(kb_id)}) AS rank FROM {_table(kb_id)} WHERE {_table(kb_id)} MATCH :match ORDER BY rank LIMIT :k"
            ),
            {"match": match, "k": k},
        )
        return [(int(rowid), -float(rank)) for rowid, rank in rows]
