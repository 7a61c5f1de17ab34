"""PostgreSQL: the catalog, BM25 postings and pgvector in one database, written in one transaction.

``postgresql://user:password@host:5432/database`` (driver: psycopg 3). The database needs the
``vector`` extension (pgvector ≥ 0.8): ragkb runs ``CREATE EXTENSION IF NOT EXISTS vector``, which
takes a superuser the first time.

Sparse: a real BM25 over a postings table (term, chunk, tf, document length) with per-KB totals,
scored by the same formula as SQLite FTS5's ``bm25()``, so a KB ranks the same on both. It beat
PostgreSQL's full-text search on ragkb's tokens ('simple' configuration, ``ts_rank``): sparse
nDCG@10 0.733 vs 0.710 on manpages-zh, 0.766 vs 0.764 on manpages-en (README: Scaling out). Dense: ``chunk_vector.vector`` is a pgvector column;
each KB gets a partial HNSW index (cosine) on its rows once its first vectors (and so their
dimension) are known. Filtered searches (``allowed``) use pgvector's iterative index scans.

Everything goes through the catalog's session: a file's chunks, postings and vectors commit
together with its catalog row, and searches read one REPEATABLE READ snapshot.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Collection
from typing import Any

import numpy as np
from pgvector.sqlalchemy import Vector
from sqlalchemy import BigInteger, Column, ForeignKey, Integer, MetaData, Table, Text, bindparam, delete, select, text
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ragkb.catalog import Catalog
from ragkb.catalog.database import table_of
from ragkb.catalog.schema import ChunkRow, ChunkVectorRow
from ragkb.errors import ConfigError
from ragkb.index.stores.base import BM25_B, BM25_K1, SqlStore, inverse_document_frequency, restrict
from ragkb.index.tokenize import tokenize

MAX_TERM_CHARS = 200
"""Longer tokens (base64 blobs, hashes) are cut: B-tree entries must stay small."""

metadata = MetaData()

HNSW_EF_SEARCH = 400
"""pgvector's ``hnsw.ef_search`` at k = 10: recall@10 0.957 on 500k clustered vectors (0.763 with
pgvector's default 40, 0.905 with 128), 10 ms a query; bench/history/2026-11-lab-notes.md §10."""

sparse_document = Table(
    "sparse_document",
    metadata,
    Column("chunk_id", ForeignKey(ChunkRow.id, ondelete="CASCADE"), primary_key=True),
    Column("kb_id", Integer, nullable=False, index=True),
    Column("length", Integer, nullable=False),
    Column("tokens", Text, nullable=False),
)
sparse_posting = Table(
    "sparse_posting",
    metadata,
    Column("kb_id", Integer, primary_key=True),
    Column("term", Text, primary_key=True),
    Column("chunk_id", ForeignKey(ChunkRow.id, ondelete="CASCADE"), primary_key=True, index=True),
    Column("tf", Integer, nullable=False),
    Column("length", Integer, nullable=False, doc="the chunk's token count (BM25 length normalisation)"),
)
sparse_totals = Table(
    "sparse_totals",
    metadata,
    Column("kb_id", Integer, primary_key=True),
    Column("documents", BigInteger, nullable=False),
    Column("tokens", BigInteger, nullable=False),
)

_BM25 = f"""
WITH totals AS (
    SELECT documents::float8 AS n, tokens::float8 / GREATEST(documents, 1) AS avgdl FROM sparse_totals WHERE kb_id = :kb
), idf AS (
    SELECT term, CASE WHEN ln((n - count(*) + 0.5) / (count(*) + 0.5)) <= 0 THEN 1e-6
                      ELSE ln((n - count(*) + 0.5) / (count(*) + 0.5)) END AS idf
    FROM sparse_posting, totals WHERE kb_id = :kb AND term = ANY(:terms) GROUP BY term, n
)
SELECT p.chunk_id, SUM(idf.idf * p.tf * {BM25_K1 + 1} / (p.tf + {BM25_K1} * (1 - {BM25_B} + {BM25_B} * p.length / totals.avgdl)))
       AS score
FROM sparse_posting p JOIN idf ON idf.term = p.term CROSS JOIN totals
WHERE p.kb_id = :kb AND p.term = ANY(:terms) {{allowed}}
GROUP BY p.chunk_id ORDER BY score DESC, p.chunk_id LIMIT :k
"""


def _terms(tokens: list[str]) -> list[str]:
    return [token[:MAX_TERM_CHARS] for token in tokens]


def _ids(chunk_ids: Collection[int]) -> list[int]:
    return [int(i) for i in chunk_ids]


class PostgresBm25Index:
    def create(self, session: Session, kb_id: int) -> None:
        session.execute(insert(sparse_totals).values(kb_id=kb_id, documents=0, tokens=0).on_conflict_do_nothing())

    def drop(self, session: Session, kb_id: int) -> None:
        for table in (sparse_posting, sparse_document, sparse_totals):
            session.execute(delete(table).where(table.c.kb_id == kb_id))

    def add(self, session: Session, kb_id: int, chunk_ids: list[int], terms: list[list[str]]) -> None:
        documents: list[dict[str, Any]] = []
        postings: list[dict[str, Any]] = []
        for chunk_id, tokens in zip(chunk_ids, terms, strict=True):
            tokens = _terms(tokens)
            documents.append({"chunk_id": chunk_id, "kb_id": kb_id, "length": len(tokens), "tokens": json.dumps(tokens)})
            postings += [
                {"kb_id": kb_id, "term": term, "chunk_id": chunk_id, "tf": tf, "length": len(tokens)}
                for term, tf in Counter(tokens).items()
            ]
        if not documents:
            return
        session.execute(insert(sparse_document), documents)
        if postings:
            session.execute(insert(sparse_posting), postings)
        self._count(session, kb_id, len(documents), sum(d["length"] for d in documents))

    def delete(self, session: Session, kb_id: int, chunk_ids: list[int]) -> None:
        if not chunk_ids:
            return
        lengths = session.scalars(
            delete(sparse_document).where(sparse_document.c.chunk_id.in_(chunk_ids)).returning(sparse_document.c.length)
        ).all()
        session.execute(delete(sparse_posting).where(sparse_posting.c.chunk_id.in_(chunk_ids)))
        if lengths:
            self._count(session, kb_id, -len(lengths), -sum(lengths))

    @staticmethod
    def _count(session: Session, kb_id: int, documents: int, tokens: int) -> None:
        statement = insert(sparse_totals).values(kb_id=kb_id, documents=documents, tokens=tokens)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=[sparse_totals.c.kb_id],
                set_={
                    "documents": sparse_totals.c.documents + statement.excluded.documents,
                    "tokens": sparse_totals.c.tokens + statement.excluded.tokens,
                },
            )
        )

    def idf(self, session: Session, kb_id: int, terms: list[str]) -> dict[str, float]:
        unique = sorted(set(terms))
        total = session.scalar(select(sparse_totals.c.documents).where(sparse_totals.c.kb_id == kb_id)) or 0
        rows = session.execute(
            text("SELECT term, count(*) FROM sparse_posting WHERE kb_id = :kb AND term = ANY(:terms) GROUP BY term"),
            {"kb": kb_id, "terms": _terms(unique)},
        )
        found: dict[str, int] = dict(rows.all())  # not dict(rows): a Result has keys(), dict() would take it for a mapping
        return inverse_document_frequency(total, {term: found.get(term[:MAX_TERM_CHARS], 0) for term in unique})

    def terms(self, session: Session, kb_id: int, chunk_ids: list[int]) -> dict[int, list[str]]:
        rows = session.execute(
            select(sparse_document.c.chunk_id, sparse_document.c.tokens).where(sparse_document.c.chunk_id.in_(chunk_ids))
        )
        return {chunk_id: json.loads(tokens) for chunk_id, tokens in rows}

    def holders(self, session: Session, kb_id: int, terms: list[str], limit: int) -> dict[str, list[int]]:
        found: dict[str, list[int]] = {term: [] for term in set(terms)}
        stored = {term[:MAX_TERM_CHARS]: term for term in found}
        rows = session.execute(
            text(
                "SELECT term, chunk_id FROM (SELECT term, chunk_id, row_number() OVER (PARTITION BY term ORDER BY chunk_id) AS n "
                "FROM sparse_posting WHERE kb_id = :kb AND term = ANY(:terms)) ranked WHERE n <= :limit"
            ),
            {"kb": kb_id, "terms": sorted(stored), "limit": limit},
        )
        for term, chunk_id in rows:
            found[stored[term]].append(int(chunk_id))
        return found

    def search(
        self, session: Session, kb_id: int, query: str, k: int, allowed: Collection[int] | None = None
    ) -> list[tuple[int, float]]:
        terms = sorted(set(_terms(tokenize(query))))
        if not terms or (allowed is not None and not allowed):
            return []
        params: dict = {"kb": kb_id, "terms": terms, "k": k}
        condition = ""
        if allowed is not None:
            condition, params["allowed"] = "AND p.chunk_id = ANY(:allowed)", _ids(allowed)
        rows = session.execute(text(_BM25.format(allowed=condition)), params)
        return [(int(chunk_id), float(score)) for chunk_id, score in rows]


class PgVectorIndex:
    """Cosine similarity with pgvector: a partial HNSW index per KB over ``chunk_vector``."""

    def __init__(self) -> None:
        self._indexed: dict[int, int] = {}  # kb id → dimension of its HNSW index

    @staticmethod
    def _index_name(kb_id: int) -> str:
        return f"chunk_vector_hnsw_kb_{int(kb_id)}"

    def _dimension(self, session: Session, kb_id: int) -> int | None:
        if kb_id not in self._indexed:
            definition = session.scalar(
                text("SELECT indexdef FROM pg_indexes WHERE indexname = :name"), {"name": self._index_name(kb_id)}
            )
            if definition is None:
                return None
            self._indexed[kb_id] = int(definition.split("::vector(")[1].split(")")[0])
        return self._indexed[kb_id]

    def add(self, session: Session, kb_id: int, chunk_ids: list[int], vectors: np.ndarray) -> None:
        vectors = np.asarray(vectors, dtype=np.float32)
        dimension = vectors.shape[1]
        if self._dimension(session, kb_id) is None:
            session.execute(text("SELECT pg_advisory_xact_lock(:kb)"), {"kb": kb_id})  # one creator per KB
            session.execute(
                text(
                    f"CREATE INDEX IF NOT EXISTS {self._index_name(kb_id)} ON chunk_vector "
                    f"USING hnsw ((vector::vector({dimension})) vector_cosine_ops) WHERE kb_id = {int(kb_id)}"
                )
            )
        session.execute(
            table_of(ChunkVectorRow).insert(),
            [{"chunk_id": c, "kb_id": kb_id, "vector": v} for c, v in zip(chunk_ids, vectors, strict=True)],
        )

    def delete(self, session: Session, kb_id: int, chunk_ids: list[int]) -> None:
        if chunk_ids:
            session.execute(delete(ChunkVectorRow).where(ChunkVectorRow.chunk_id.in_(chunk_ids)))

    def drop(self, session: Session, kb_id: int) -> None:
        session.execute(delete(ChunkVectorRow).where(ChunkVectorRow.kb_id == kb_id))
        session.execute(text(f"DROP INDEX IF EXISTS {self._index_name(kb_id)}"))
        self._indexed.pop(kb_id, None)

    def vectors(self, session: Session, kb_id: int, chunk_ids: list[int]) -> dict[int, np.ndarray]:
        rows = session.execute(
            select(ChunkVectorRow.chunk_id, ChunkVectorRow.vector).where(ChunkVectorRow.chunk_id.in_(chunk_ids))
        )
        return {chunk_id: np.asarray(vector, dtype=np.float32) for chunk_id, vector in rows}

    def search(
        self, session: Session, kb_id: int, revision: int, query: np.ndarray, k: int, allowed: Collection[int] | None = None
    ) -> list[tuple[int, float]]:
        dimension = self._dimension(session, kb_id)
        if dimension is None or (allowed is not None and not allowed):
            return []
        # ef_search bounds how many rows one index scan returns; iterative scans go on past
        # rows that the filter drops, in exact distance order.
        session.execute(
            text("SELECT set_config('hnsw.ef_search', :ef, true), set_config('hnsw.iterative_scan', 'strict_order', true)"),
            {"ef": str(min(1000, max(HNSW_EF_SEARCH, 2 * k)))},
        )
        distance = f"(vector::vector({dimension})) <=> :query"
        condition = "AND chunk_id = ANY(:allowed)" if allowed is not None else ""
        statement = text(
            f"SELECT chunk_id, 1 - ({distance}) FROM chunk_vector WHERE kb_id = {int(kb_id)} {condition} "
            f"ORDER BY {distance} LIMIT :k"
        ).bindparams(bindparam("query", type_=Vector(dimension)))
        params: dict = {"query": np.asarray(query, dtype=np.float32), "k": k}
        if allowed is not None:
            params["allowed"] = _ids(allowed)
        return [(int(chunk_id), float(score)) for chunk_id, score in session.execute(statement, params)]

    def scores_for(
        self,
        session: Session,
        kb_id: int,
        revision: int,
        query: np.ndarray,
        chunk_ids: list[int],
        allowed: Collection[int] | None = None,
    ) -> dict[int, float]:
        chunk_ids = restrict(chunk_ids, allowed)
        if not chunk_ids:
            return {}
        statement = text(
            "SELECT chunk_id, 1 - (vector <=> :query) FROM chunk_vector WHERE kb_id = :kb AND chunk_id = ANY(:ids)"
        ).bindparams(bindparam("query", type_=Vector()), bindparam("ids", type_=ARRAY(BigInteger)))
        rows = session.execute(statement, {"query": np.asarray(query, dtype=np.float32), "kb": kb_id, "ids": _ids(chunk_ids)})
        return {int(chunk_id): float(score) for chunk_id, score in rows}


class PostgresStore(SqlStore):
    def __init__(self, url: str):
        driver_url = url.replace("postgresql://", "postgresql+psycopg://", 1)
        try:
            catalog = Catalog(driver_url)
        except DBAPIError as error:  # the driver's message names the cause: refused, password, no such database
            cause = str(error.orig).strip().splitlines()[0]
            hint = "a superuser must run CREATE EXTENSION vector in it" if "extension" in cause else "check RAGKB_DATABASE_URL"
            raise ConfigError(f"cannot open the PostgreSQL store ({cause}); {hint}") from error
        metadata.create_all(catalog.engine)
        super().__init__(url, catalog, PostgresBm25Index(), PgVectorIndex())
