"""Give a knowledge base another embedder and re-embed its chunks, crash-safe.

ragkb otherwise refuses to change the embedder of a KB with chunks (``KnowledgeBase.update``: the
old vectors would not match new queries). Here it happens in two phases:

1. **embed** every chunk's indexed text with the new model, in batches, through the catalog's
   embedding cache (each batch commits its vectors there). Nothing of the KB changes yet: searches
   go on with the old embedder, and a run that is killed or stopped resumes where it was, embedding
   only what the cache lacks (so does a second KB with the same texts and model);
2. **swap**, in one store transaction: each file's chunks written again with the new vectors (their
   text, sections, pages, boxes and sparse entries as they were; chunk ids change, as with
   ``ragkb add --force``), the KB's settings given the new embedder, the revision bumped. A crash
   leaves the KB wholly on the old embedder or wholly on the new one.

Texts are rebuilt as ingest made them (``file stem > sections`` then the chunk): a document added
through the Python API with a title other than its id's stem is re-embedded under its id's stem.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import select

from ragkb.catalog.boxes import decode_boxes
from ragkb.catalog.schema import ChunkRow, KnowledgeBaseRow
from ragkb.config import KBSettings
from ragkb.index.stores.base import ChunkBatch
from ragkb.kb import KnowledgeBase
from ragkb.models import Chunk
from ragkb.tune.passages import Passage, kb_passages
from ragkb.tune.training import Progress

BATCH = 64
"""Chunks embedded (and committed to the embedding cache) at a time."""


def embed_all(
    kb: KnowledgeBase, settings: KBSettings, passages: list[Passage], progress: Progress | None
) -> dict[int, np.ndarray]:
    """Phase 1: the new vector of every chunk in a language the new embedder reads."""
    ctx = kb.context.with_settings(settings=settings)
    vectors: dict[int, np.ndarray] = {}
    for start in range(0, len(passages), BATCH):
        part = passages[start : start + BATCH]
        found, embedded = ctx.embed_documents([p.indexed for p in part], [p.language for p in part])
        if found is not None and embedded is not None:
            ids = [p.chunk_id for p, has in zip(part, embedded, strict=True) if has]
            vectors.update(zip(ids, found, strict=True))
        if progress:
            progress("re-embedding", min(start + BATCH, len(passages)), len(passages))
    return vectors


def reembed(kb: KnowledgeBase, settings: KBSettings, progress: Progress | None = None) -> KnowledgeBase:
    """Move ``kb`` to ``settings`` (another embedder), re-embedding its chunks; the KB as it is afterwards."""
    passages = kb_passages(kb)
    vectors = embed_all(kb, settings, passages, progress)
    store = kb.store
    dimension = len(next(iter(vectors.values()))) if vectors else 0
    with store.transaction() as session:
        for file_id in sorted({p.file_id for p in passages}):
            rows = session.scalars(select(ChunkRow).where(ChunkRow.file_id == file_id).order_by(ChunkRow.ordinal)).all()
            terms = store.sparse.terms(session, kb.id, [row.id for row in rows])
            batch = ChunkBatch(
                chunks=[
                    Chunk(r.text, r.ordinal, list(r.heading_path or []), r.page, r.char_start, r.char_end, decode_boxes(r.boxes))
                    for r in rows
                ],
                languages=[r.language for r in rows],
                terms=[terms.get(r.id, []) for r in rows],
                vectors=np.asarray([vectors[r.id] for r in rows if r.id in vectors], dtype=np.float32).reshape(-1, dimension)
                if settings.embedder != "none"
                else None,
                embedded=[r.id in vectors for r in rows] if settings.embedder != "none" else None,
            )
            store.delete_file_chunks(session, kb.id, file_id)
            store.write_chunks(session, kb.id, file_id, batch)
        session.get_one(KnowledgeBaseRow, kb.id).settings = settings.model_dump()
        store.bump_revision(session, kb.id)
    return KnowledgeBase.open(kb.name, settings=kb.app_settings)
