"""Qdrant: dense and sparse vectors in one collection per KB, beside a SQLAlchemy catalog.

URLs:

- ``qdrant:///path/to/folder``: local mode (qdrant-client runs Qdrant in this process, one process
  at a time); the catalog is ``catalog.db`` (SQLite) in the same folder.
- ``qdrant://host:6333``: a Qdrant server. The catalog defaults to ``qdrant-HOST-PORT.db`` in the
  ragkb home; ``?catalog=postgresql://...`` puts it in a shared database instead. Also
  ``?api_key=...``, ``?https=true`` and ``?prefix=ragkb`` (collection names: ``PREFIX_kb_ID``).

Points are chunks (point id = chunk id) with a named dense vector (cosine) and a sparse BM25
vector: terms are ragkb's tokens, hashed to 32-bit indices, weighted by BM25's saturated term
frequency with length normalisation against :data:`AVERAGE_TOKENS`; Qdrant's IDF modifier
supplies the inverse document frequency at query time. The payload keeps the file id and the
tokens (for IDF look-ups and for copying a KB elsewhere).

Crash safety: Qdrant cannot join the catalog's transaction, so index writes are queued during
:meth:`QdrantStore.transaction` and sent after the catalog commits. Files written in it commit
with status ``syncing`` and become ``indexed`` once Qdrant has their points. If the process dies
(or Qdrant fails) in between, the catalog says ``syncing``: the next ``ragkb add`` of the file
does not skip it (only ``indexed`` files are skipped) and re-indexes it, replacing whatever points
the file had; the embedding cache makes that cheap. Until then searches only return chunk ids
the catalog has, so points of replaced or deleted chunks never surface.
"""

from __future__ import annotations

import atexit
import hashlib
from collections import Counter, defaultdict
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
from qdrant_client import QdrantClient, models
from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from ragkb.catalog import Catalog
from ragkb.catalog.schema import ChunkRow, FileRow
from ragkb.errors import ConfigError, RagkbError
from ragkb.index.stores.base import (
    BM25_B,
    BM25_K1,
    CatalogStore,
    ChunkBatch,
    existing_chunk_ids,
    insert_chunk_rows,
    inverse_document_frequency,
    restrict,
)
from ragkb.index.tokenize import tokenize

DENSE = "dense"
SPARSE = "bm25"
SYNCING = "syncing"
AVERAGE_TOKENS = 60.0
"""BM25 length normalisation needs the average chunk length; stored weights cannot follow a
changing average, so a typical one (tokens of a 400-character chunk) is fixed."""
UPSERT_BATCH = 256
_QUEUE = "ragkb_qdrant_queue"


def term_index(term: str) -> int:
    return int.from_bytes(hashlib.blake2b(term.encode("utf-8"), digest_size=4).digest(), "little")


def bm25_document(tokens: list[str]) -> models.SparseVector:
    weights: dict[int, float] = defaultdict(float)
    norm = BM25_K1 * (1 - BM25_B + BM25_B * len(tokens) / AVERAGE_TOKENS)
    for term, tf in Counter(tokens).items():
        weights[term_index(term)] += tf * (BM25_K1 + 1) / (tf + norm)
    return models.SparseVector(indices=list(weights), values=list(weights.values()))


def bm25_query(text: str) -> models.SparseVector:
    indices = sorted({term_index(term) for term in tokenize(text)})
    return models.SparseVector(indices=indices, values=[1.0] * len(indices))


def _only(chunk_ids: Collection[int] | None) -> models.Filter | None:
    return None if chunk_ids is None else models.Filter(must=[models.HasIdCondition(has_id=[int(i) for i in chunk_ids])])


def _tokens(point: models.Record) -> list[str]:
    """A point's stored tokens (every point of ours has them; read with ``with_payload=["tokens"]``)."""
    assert point.payload is not None
    return point.payload["tokens"]


def _dense_vector(point: models.Record) -> np.ndarray:
    """A point's dense vector (read with ``with_vectors=[DENSE]``; our collections name their vectors)."""
    assert isinstance(point.vector, dict)
    return np.asarray(point.vector[DENSE], dtype=np.float32)


def _known_hits(session: Session, points: list[models.ScoredPoint]) -> list[tuple[int, float]]:
    """(chunk id, score) of the points whose chunk is committed in the catalog, in order."""
    hits = [(int(p.id), float(p.score)) for p in points]
    known = existing_chunk_ids(session, [chunk_id for chunk_id, _ in hits])
    return [hit for hit in hits if hit[0] in known]


def _holding(term: str) -> models.Filter:
    """Points whose stored tokens include ``term``."""
    return models.Filter(must=[models.FieldCondition(key="tokens", match=models.MatchValue(value=term))])


class _Collections:
    """Collection names and existence, shared by the indexes and the writer."""

    def __init__(self, client: QdrantClient, prefix: str, local: bool):
        self.client = client
        self.prefix = prefix
        self.local = local
        self._known: set[str] = set()
        self._dense: dict[str, bool] = {}  # collection → has a dense vector (fixed at creation)

    def name(self, kb_id: int) -> str:
        return f"{self.prefix}_kb_{int(kb_id)}"

    def exists(self, kb_id: int) -> bool:
        name = self.name(kb_id)
        if name not in self._known and self.client.collection_exists(name):
            self._known.add(name)
        return name in self._known

    def has_dense(self, kb_id: int) -> bool:
        name = self.name(kb_id)
        if name not in self._dense:
            vectors = self.client.get_collection(name).config.params.vectors
            self._dense[name] = isinstance(vectors, dict) and DENSE in vectors
        return self._dense[name]

    def create(self, kb_id: int, dimension: int | None) -> None:
        dense = {DENSE: models.VectorParams(size=dimension, distance=models.Distance.COSINE)} if dimension else {}
        self.client.create_collection(
            self.name(kb_id),
            vectors_config=dense,
            sparse_vectors_config={SPARSE: models.SparseVectorParams(modifier=models.Modifier.IDF)},
        )
        if not self.local:  # servers answer IDF look-ups from a payload index; local mode scans
            self.client.create_payload_index(self.name(kb_id), "tokens", models.PayloadSchemaType.KEYWORD)
        self._known.add(self.name(kb_id))

    def drop(self, kb_id: int) -> None:
        self._known.discard(self.name(kb_id))
        self._dense.pop(self.name(kb_id), None)
        if self.client.collection_exists(self.name(kb_id)):
            self.client.delete_collection(self.name(kb_id))


class QdrantSparseIndex:
    def __init__(self, collections: _Collections):
        self.collections = collections
        self._local_postings: dict[int, tuple[int, dict[str, list[int]]]] = {}
        self._writes: Counter[int] = Counter()

    def forget(self, kb_id: int) -> None:
        """Drop what :meth:`_postings` read of this KB (its points changed)."""
        self._writes[kb_id] += 1
        self._local_postings.pop(kb_id, None)

    def _postings(self, kb_id: int) -> tuple[int, dict[str, list[int]]] | None:
        """Local mode: the number of points and term → point ids, read once from every point's tokens.
        Local Qdrant answers a payload filter by scanning every point (0.1 s a term at 6,400 chunks,
        so 1.5 s a search for document coverage); local mode serves one process, whose store drops
        this after each write. ``None`` for a server, whose payload index answers such filters."""
        if not self.collections.local:
            return None
        if (cached := self._local_postings.get(kb_id)) is not None:
            return cached
        writes, postings, offset, count = self._writes[kb_id], defaultdict(list), None, 0
        while True:
            points, offset = self.collections.client.scroll(
                self.collections.name(kb_id), limit=1024, offset=offset, with_payload=["tokens"]
            )
            count += len(points)
            for point in points:
                for term in set(_tokens(point)):
                    postings[term].append(int(point.id))
            if offset is None:
                break
        if self._writes[kb_id] == writes:  # keep it only if no write came in while it was read
            self._local_postings[kb_id] = (count, dict(postings))
        return count, postings

    def search(
        self, session: Session, kb_id: int, query: str, k: int, allowed: Collection[int] | None = None
    ) -> list[tuple[int, float]]:
        vector = bm25_query(query)
        if not vector.indices or (allowed is not None and not allowed) or not self.collections.exists(kb_id):
            return []
        points = self.collections.client.query_points(
            self.collections.name(kb_id), query=vector, using=SPARSE, limit=k, query_filter=_only(allowed), with_payload=False
        ).points
        return _known_hits(session, points)

    def idf(self, session: Session, kb_id: int, terms: list[str]) -> dict[str, float]:
        client, name = self.collections.client, self.collections.name(kb_id)
        if not self.collections.exists(kb_id):
            return inverse_document_frequency(0, dict.fromkeys(terms, 0))
        if (local := self._postings(kb_id)) is not None:
            total, postings = local
            return inverse_document_frequency(total, {term: len(postings.get(term, ())) for term in set(terms)})
        total = client.count(name, exact=True).count
        frequencies = {term: client.count(name, count_filter=_holding(term), exact=True).count for term in set(terms)}
        return inverse_document_frequency(total, frequencies)

    def holders(self, session: Session, kb_id: int, terms: list[str], limit: int) -> dict[str, list[int]]:
        if not self.collections.exists(kb_id):
            return {term: [] for term in terms}
        client, name = self.collections.client, self.collections.name(kb_id)
        local = self._postings(kb_id)
        found = {}
        for term in set(terms):
            if local is not None:
                point_ids = local[1].get(term, [])[:limit]
            else:
                scrolled = client.scroll(name, scroll_filter=_holding(term), limit=limit, with_payload=False)[0]
                point_ids = [int(p.id) for p in scrolled]
            known = existing_chunk_ids(session, point_ids)  # as search: committed chunks only
            found[term] = [i for i in point_ids if i in known]
        return found

    def terms(self, session: Session, kb_id: int, chunk_ids: list[int]) -> dict[int, list[str]]:
        if not self.collections.exists(kb_id):
            return {}
        points = self.collections.client.retrieve(self.collections.name(kb_id), chunk_ids, with_payload=["tokens"])
        return {int(p.id): list(_tokens(p)) for p in points}


class QdrantDenseIndex:
    def __init__(self, collections: _Collections):
        self.collections = collections

    def _ready(self, kb_id: int, allowed: Collection[int] | None) -> bool:
        if allowed is not None and not allowed:
            return False
        return self.collections.exists(kb_id) and self.collections.has_dense(kb_id)

    def search(
        self, session: Session, kb_id: int, revision: int, query: np.ndarray, k: int, allowed: Collection[int] | None = None
    ) -> list[tuple[int, float]]:
        if not self._ready(kb_id, allowed):
            return []
        points = self.collections.client.query_points(
            self.collections.name(kb_id),
            query=np.asarray(query, dtype=np.float32).tolist(),
            using=DENSE,
            limit=k,
            query_filter=_only(allowed),
            with_payload=False,
        ).points
        return _known_hits(session, points)

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
        return dict(self.search(session, kb_id, revision, query, len(chunk_ids), chunk_ids)) if chunk_ids else {}

    def vectors(self, session: Session, kb_id: int, chunk_ids: list[int]) -> dict[int, np.ndarray]:
        if not self._ready(kb_id, None):
            return {}
        points = self.collections.client.retrieve(self.collections.name(kb_id), chunk_ids, with_vectors=[DENSE])
        return {int(p.id): _dense_vector(p) for p in points}


class QdrantStore(CatalogStore):
    def __init__(self, url: str, client: QdrantClient, catalog: Catalog, prefix: str, local: bool):
        self.url = url
        self.catalog = catalog
        self.collections = _Collections(client, prefix, local)
        self.sparse = QdrantSparseIndex(self.collections)
        self.dense = QdrantDenseIndex(self.collections)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        queue: list[tuple] = []
        with self.catalog.session() as session:
            session.info[_QUEUE] = queue
            yield session
            files = {operation[2] for operation in queue if operation[0] == "upsert"}
            self._set_status(session, files, "indexed", SYNCING)
        try:
            for operation, kb_id, *arguments in queue:
                getattr(self, f"_{operation}")(kb_id, *arguments)
        except Exception as error:  # the catalog has committed: say what happens next
            raise RagkbError(
                f"Qdrant failed after the catalog was written ({type(error).__name__}: {error}); "
                "the files stay 'syncing' and the next ragkb add re-indexes them"
            ) from error
        finally:
            for kb_id in {operation[1] for operation in queue}:
                self.sparse.forget(kb_id)
        if files:
            with self.catalog.session() as session:
                self._set_status(session, files, SYNCING, "indexed")

    @staticmethod
    def _set_status(session: Session, file_ids: set[int], old: str, new: str) -> None:
        if file_ids:
            session.execute(update(FileRow).where(FileRow.id.in_(file_ids), FileRow.status == old).values(status=new))

    def create_kb(self, session: Session, kb_id: int) -> None:
        """The collection is made with the first points, when the vector size is known."""

    def drop_kb(self, session: Session, kb_id: int) -> None:
        session.info[_QUEUE].append(("drop", kb_id))

    def write_chunks(self, session: Session, kb_id: int, file_id: int, batch: ChunkBatch) -> list[int]:
        if not batch.chunks:
            return []
        chunk_ids = insert_chunk_rows(session, kb_id, file_id, batch)
        session.info[_QUEUE].append(("upsert", kb_id, file_id, chunk_ids, batch))
        return chunk_ids

    def delete_file_chunks(self, session: Session, kb_id: int, file_id: int) -> None:
        session.info[_QUEUE].append(("delete_file", kb_id, file_id))
        session.execute(delete(ChunkRow).where(ChunkRow.file_id == file_id))

    # --- queued Qdrant operations, run after the catalog commit ------------------------------

    def _drop(self, kb_id: int) -> None:
        self.collections.drop(kb_id)

    def _delete_file(self, kb_id: int, file_id: int) -> None:
        if self.collections.exists(kb_id):
            condition = models.FieldCondition(key="file_id", match=models.MatchValue(value=file_id))
            self.collections.client.delete(self.collections.name(kb_id), models.Filter(must=[condition]), wait=True)

    def _upsert(self, kb_id: int, file_id: int, chunk_ids: list[int], batch: ChunkBatch) -> None:
        if not self.collections.exists(kb_id):
            self.collections.create(kb_id, None if batch.vectors is None else batch.vectors.shape[1])
        dense = {} if batch.vectors is None else dict(zip(batch.vector_ids(chunk_ids), batch.vectors, strict=True))
        points = [
            models.PointStruct(
                id=chunk_id,
                vector={SPARSE: bm25_document(tokens)}
                | ({DENSE: np.asarray(dense[chunk_id], dtype=np.float32).tolist()} if chunk_id in dense else {}),
                payload={"file_id": file_id, "tokens": tokens},
            )
            for chunk_id, tokens in zip(chunk_ids, batch.terms, strict=True)
        ]
        for start in range(0, len(points), UPSERT_BATCH):
            self.collections.client.upsert(self.collections.name(kb_id), points[start : start + UPSERT_BATCH], wait=True)


def open_qdrant(url: str, home: Path) -> QdrantStore:
    parts = urlsplit(url)
    options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    try:
        if parts.netloc:
            client = QdrantClient(
                host=parts.hostname,
                port=parts.port or 6333,
                api_key=options.get("api_key"),
                https=options.get("https", "").lower() in {"1", "true", "yes"},
            )
            default_catalog = f"sqlite:///{home / f'qdrant-{parts.hostname}-{parts.port or 6333}.db'}"
        else:
            folder = Path(parts.path).expanduser()
            folder.mkdir(parents=True, exist_ok=True)
            client = QdrantClient(path=str(folder))
            default_catalog = f"sqlite:///{folder / 'catalog.db'}"
    except RuntimeError as error:  # local mode: the folder is locked by another process
        raise ConfigError(
            f"cannot open the local Qdrant folder {parts.path} ({error}); local mode serves one process at a time, "
            "run a Qdrant server for more"
        ) from error
    atexit.register(client.close)  # local mode persists and unlocks on close; too late in __del__ at exit
    catalog_url = options.get("catalog", default_catalog)
    return QdrantStore(url, client, Catalog(catalog_url), options.get("prefix", "ragkb"), local=not parts.netloc)
