"""BM25 over SQLite FTS5, one table per knowledge base.

Text is tokenized in Python (jieba + stemming, see :mod:`ragkb.index.tokenize`) and stored as
space-separated tokens, so FTS5 only splits on spaces and ranks with its built-in ``bm25()``.
Living in the catalog database means sparse entries commit in the same transaction as their
chunks; one table per KB keeps term statistics from leaking across knowledge bases.
"""

from __future__ import annotations

import json
from collections.abc import Collection

from sqlalchemy import text
from sqlalchemy.orm import Session

from ragkb.index.stores.base import inverse_document_frequency
from ragkb.index.tokenize import tokenize

TOKENIZER = "tokenize=\"unicode61 remove_diacritics 0 categories 'L* M* N* P* S* Co Cf'\""
"""ragkb's tokens are split already: they keep marks, joiners and ' . _ inside words (जानुवारी, don't,
file.txt), and currency signs are tokens. FTS5 must split only on the spaces between them."""


def _table(kb_id: int) -> str:
    return f"fts_kb_{int(kb_id)}"


def _phrase(term: str) -> str:
    """One token as an FTS5 string: quoted, so that punctuation in it (%d/%m/%Y, C++) is no syntax.

    A NUL ends an FTS5 string early ("unterminated string"); like every control character it
    separates words in :data:`TOKENIZER`, so a space in its place finds the same words."""
    return '"' + term.replace('"', '""').replace("\x00", " ") + '"'


class SqliteFtsIndex:
    def create(self, session: Session, kb_id: int) -> None:
        session.execute(text(f"CREATE VIRTUAL TABLE IF NOT EXISTS {_table(kb_id)} USING fts5(tokens, {TOKENIZER})"))
        session.execute(text(f"CREATE VIRTUAL TABLE IF NOT EXISTS {_table(kb_id)}_vocab USING fts5vocab({_table(kb_id)}, 'row')"))

    def drop(self, session: Session, kb_id: int) -> None:
        session.execute(text(f"DROP TABLE IF EXISTS {_table(kb_id)}_vocab"))
        session.execute(text(f"DROP TABLE IF EXISTS {_table(kb_id)}"))

    def idf(self, session: Session, kb_id: int, terms: list[str]) -> dict[str, float]:
        total = session.scalar(text(f"SELECT COUNT(*) FROM {_table(kb_id)}")) or 0
        frequencies: dict[str, int] = {}
        for term in set(terms):
            frequencies[term] = session.scalar(text(f"SELECT doc FROM {_table(kb_id)}_vocab WHERE term = :t"), {"t": term}) or 0
        return inverse_document_frequency(total, frequencies)

    def add(self, session: Session, kb_id: int, chunk_ids: list[int], terms: list[list[str]]) -> None:
        self._upgrade(session, kb_id)
        self._insert(session, kb_id, [(chunk_id, " ".join(tokens)) for chunk_id, tokens in zip(chunk_ids, terms, strict=True)])

    def _insert(self, session: Session, kb_id: int, rows: list[tuple[int, str]]) -> None:
        if rows:
            session.execute(
                text(f"INSERT INTO {_table(kb_id)}(rowid, tokens) VALUES (:rowid, :tokens)"),
                [{"rowid": rowid, "tokens": tokens} for rowid, tokens in rows],
            )

    def _upgrade(self, session: Session, kb_id: int) -> None:
        """A table made by a ragkb before :data:`TOKENIZER` (FTS5's default tokenizer, which split words
        at combining marks and dropped currency signs) is made again with its rows, in the transaction
        of the first write after the upgrade (``ragkb add --force`` then re-tokenizes every file)."""
        table = _table(kb_id)
        made_with = session.scalar(text("SELECT sql FROM sqlite_master WHERE name = :name"), {"name": table})
        if made_with is None or TOKENIZER in made_with:
            return
        rows = [(int(rowid), tokens) for rowid, tokens in session.execute(text(f"SELECT rowid, tokens FROM {table}"))]
        self.drop(session, kb_id)
        self.create(session, kb_id)
        self._insert(session, kb_id, rows)

    def delete(self, session: Session, kb_id: int, chunk_ids: list[int]) -> None:
        if chunk_ids:
            session.execute(text(f"DELETE FROM {_table(kb_id)} WHERE rowid = :rowid"), [{"rowid": i} for i in chunk_ids])

    def terms(self, session: Session, kb_id: int, chunk_ids: list[int]) -> dict[int, list[str]]:
        rows = session.execute(
            text(f"SELECT rowid, tokens FROM {_table(kb_id)} WHERE rowid IN (SELECT value FROM json_each(:ids))"),
            {"ids": json.dumps([int(i) for i in chunk_ids])},
        )
        return {int(rowid): tokens.split() for rowid, tokens in rows}

    def holders(self, session: Session, kb_id: int, terms: list[str], limit: int) -> dict[str, list[int]]:
        table = _table(kb_id)
        statement = text(f"SELECT rowid FROM {table} WHERE {table} MATCH :match LIMIT :limit")
        return {term: list(session.scalars(statement, {"match": _phrase(term), "limit": limit})) for term in set(terms)}

    def search(
        self, session: Session, kb_id: int, query: str, k: int, allowed: Collection[int] | None = None
    ) -> list[tuple[int, float]]:
        """Top ``k`` (chunk id, BM25 score), best first; higher is better. With ``allowed``, only
        those chunks are ranked (metadata filters); BM25 statistics stay those of the whole KB."""
        terms = sorted(set(tokenize(query)))
        if not terms or (allowed is not None and not allowed):
            return []
        match = " OR ".join(_phrase(term) for term in terms)
        table = _table(kb_id)
        where = f"{table} MATCH :match"
        params: dict = {"match": match, "k": k}
        if allowed is not None:  # one JSON parameter, whatever the number of ids
            where += " AND rowid IN (SELECT value FROM json_each(:allowed))"
            params["allowed"] = json.dumps(sorted(int(i) for i in allowed))
        rows = session.execute(
            text(f"SELECT rowid, bm25({table}) AS rank FROM {table} WHERE {where} ORDER BY rank LIMIT :k"), params
        )
        return [(int(rowid), -float(rank)) for rowid, rank in rows]
