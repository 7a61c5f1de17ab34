"""The Python API: :class:`KnowledgeBase`. The CLI and the HTTP server are thin layers over it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
from sqlalchemy import delete, func, select

from ragkb.catalog.schema import ChatSessionRow, ChunkRow, FileRow, KnowledgeBaseRow, MessageRow
from ragkb.config import KBSettings, Settings
from ragkb.errors import KnowledgeBaseExists, KnowledgeBaseNotFound, RagkbError
from ragkb.index.embedders import CachedEmbedder, Embedder, create_embedder, default_query_instruction
from ragkb.index.language import detect_language
from ragkb.index.stores import open_store
from ragkb.index.stores.base import ChunkBatch, Store
from ragkb.index.stores.copy import CopyProgress, copy_knowledge_base
from ragkb.index.tokenize import tokenize
from ragkb.ingest.pipeline import (
    Ingestor,
    ProgressCallback,
    Source,
    collect_files,
    document_source,
    existing_file,
    file_row_values,
    file_source,
    removed_paths,
)
from ragkb.models import (
    Chunk,
    FileInfo,
    IngestReport,
    KBInfo,
    Message,
    ParsedDocument,
    SearchHit,
    SearchResult,
    SessionSummary,
)
from ragkb.names import check_name, storable
from ragkb.profiles import SearchMode, SearchOptions
from ragkb.retrieve.confidence import background_sample
from ragkb.retrieve.filters import set_tags
from ragkb.retrieve.fusion import FUSIONS
from ragkb.retrieve.pipeline import search as run_search
from ragkb.uploads import adopt_legacy_uploads, remove_upload_folder

CANDIDATES = 100
"""How many results each retriever contributes to fusion (at least; more when k is larger)."""


class KnowledgeBase:
    """A named, isolated collection of files, chunks and indexes with its own settings."""

    def __init__(self, row: KnowledgeBaseRow, store: Store, settings: Settings):
        self.id = row.id
        self.name = row.name
        self.description = row.description
        self.settings = KBSettings.model_validate(row.settings)
        self.store = store
        self.catalog = store.catalog
        self.app_settings = settings
        self._embedder: Embedder | None = None
        self._background: tuple[int, list[int]] | None = None

    # --- lifecycle -------------------------------------------------------------------------

    @staticmethod
    def _store(settings: Settings | None) -> tuple[Store, Settings]:
        settings = settings or Settings()
        return open_store(settings), settings

    @classmethod
    def create(
        cls, name: str, *, description: str = "", kb_settings: KBSettings | None = None, settings: Settings | None = None
    ) -> KnowledgeBase:
        check_name("knowledge base", name)
        store, settings = cls._store(settings)
        kb_settings = kb_settings or KBSettings()
        create_embedder(kb_settings.embedder, settings)  # fail now on a bad spec, not at first add
        with store.transaction() as session:
            if session.scalar(select(KnowledgeBaseRow).where(KnowledgeBaseRow.name == name)):
                raise KnowledgeBaseExists(name)
            row = KnowledgeBaseRow(name=name, description=description, settings=kb_settings.model_dump())
            session.add(row)
            session.flush()
            store.create_kb(session, row.id)
        return cls(row, store, settings)

    @classmethod
    def open(cls, name: str, *, settings: Settings | None = None) -> KnowledgeBase:
        store, settings = cls._store(settings)
        with store.catalog.session() as session:
            row = session.scalar(select(KnowledgeBaseRow).where(KnowledgeBaseRow.name == name)) if storable(name) else None
        if row is None:
            raise KnowledgeBaseNotFound(name)
        return cls(row, store, settings)

    @classmethod
    def list(cls, *, settings: Settings | None = None) -> list[KnowledgeBase]:
        store, settings = cls._store(settings)
        with store.catalog.session() as session:
            rows = session.scalars(select(KnowledgeBaseRow).order_by(KnowledgeBaseRow.name)).all()
        return [cls(row, store, settings) for row in rows]

    def delete(self) -> None:
        """Delete the KB with every file, chunk, vector and sparse entry in it, and the files
        uploaded to it (also those from before per-KB upload folders that no other KB lists)."""
        adopt_legacy_uploads(self)
        with self.store.transaction() as session:
            self.store.drop_kb(session, self.id)
            session.delete(session.get(KnowledgeBaseRow, self.id))
        remove_upload_folder(self.app_settings.home, self.id)

    def migrate(self, url: str, progress: CopyProgress | None = None) -> KnowledgeBase:
        """Copy this KB (settings, files, chunks, vectors, sparse entries, chat sessions) into the
        store at ``url``, another backend, without re-embedding; this one stays as it is."""
        settings = self.app_settings.model_copy(update={"database_url": url})
        target = open_store(settings)
        if target is self.store:
            raise RagkbError(f"knowledge base '{self.name}' is stored there already; give another --to URL")
        copy_knowledge_base(self.store, self.id, target, progress)
        return KnowledgeBase.open(self.name, settings=settings)

    # --- ingestion -------------------------------------------------------------------------

    def add(
        self,
        paths: Iterable[str | Path],
        *,
        force: bool = False,
        sync: bool = False,
        progress: ProgressCallback | None = None,
        tags: Iterable[str] | None = None,
    ) -> IngestReport:
        """Index files and folders. Unchanged files are skipped unless ``force``; with ``sync``,
        catalogued files under the given folders that no longer exist are removed. ``tags`` replace
        the tags of every file given (for search filters)."""
        roots = [Path(p) for p in paths]
        files, unusable = collect_files(roots)
        report = Ingestor(self, force, progress).run(self._file_sources(files, unusable), total=len(files) + len(unusable))
        if tags is not None:
            set_tags(self.catalog, self.id, [str(f) for f in files], tags)
        if sync:
            for path in removed_paths(self._file_states(), roots):
                self._remove_path(path)
                report.removed.append(path)
        return report

    def add_documents(
        self, documents: Iterable[tuple[str, str, ParsedDocument]], *, total: int = 0, progress: ProgressCallback | None = None
    ) -> IngestReport:
        """Index documents made in Python, as (source id, title, document)."""
        sources = (document_source(source_id, title, document) for source_id, title, document in documents)
        return Ingestor(self, progress=progress).run(sources, total=total)

    @staticmethod
    def _file_sources(files: list[Path], unusable: list[tuple[str, str]]) -> Iterator[Source | tuple[str, str]]:
        yield from unusable
        for path in files:
            try:
                yield file_source(path)
            except OSError as error:
                yield (str(path), f"{path.name}: cannot read ({error.strerror}); check its permissions")

    def remove(self, paths: Iterable[str | Path]) -> list[str]:
        """Remove files (or every file under a folder) from the KB; returns the removed paths."""
        known = self._file_states()
        removed: list[str] = []
        for path in paths:
            target = str(Path(path).expanduser().resolve())
            matches = [p for p in known if p == target or p.startswith(target.rstrip("/") + "/")]
            if not matches:
                raise RagkbError(f"{path} is not in knowledge base '{self.name}'; see: ragkb kb show {self.name}")
            for match in matches:
                self._remove_path(match)
            removed.extend(matches)
        return removed

    def _remove_path(self, path: str) -> None:
        with self.store.transaction() as session:
            row = existing_file(session, self.id, path)
            if row is not None:
                self.store.delete_file(session, self.id, row.id)
                self.store.bump_revision(session, self.id)

    def _file_states(self) -> dict[str, tuple[str, str, str]]:
        with self.catalog.session() as session:
            rows = session.execute(
                select(FileRow.path, FileRow.content_hash, FileRow.splitter, FileRow.status).where(FileRow.kb_id == self.id)
            )
            return {path: (content_hash, splitter, status) for path, content_hash, splitter, status in rows}

    def _record_failure(self, path: str, error: str, source: Source | None) -> None:
        """Mark a file failed; chunks from an earlier good version stay searchable."""
        with self.catalog.session() as session:
            row = existing_file(session, self.id, path)
            if row is None:
                row = FileRow(kb_id=self.id, path=path, extension=Path(path).suffix.lower())
                session.add(row)
            row.status, row.last_error = "failed", error
            if source is not None:
                row.size, row.mtime = source.size, source.mtime

    def _write_file(self, session, source: Source, loader: str, splitter: str, batch: ChunkBatch) -> None:
        row = existing_file(session, self.id, source.path)
        if row is None:
            row = FileRow(kb_id=self.id, path=source.path, version=0)
            session.add(row)
            session.flush()
        else:
            self.store.delete_file_chunks(session, self.id, row.id)
        for key, value in file_row_values(source, loader, splitter, len(batch.chunks)).items():
            setattr(row, key, value)
        row.version += 1
        self.store.write_chunks(session, self.id, row.id, batch)

    def chunk_languages(self, chunks: list[Chunk]) -> list[str]:
        language = self.settings.language
        return [detect_language(chunk.text) if language == "auto" else language for chunk in chunks]

    # --- embeddings ------------------------------------------------------------------------

    @property
    def embedder(self) -> CachedEmbedder | None:
        if self._embedder is None and self.settings.embedder != "none":
            inner = create_embedder(self.settings.embedder, self.app_settings)
            self._embedder = CachedEmbedder(inner, self.catalog)
        return self._embedder

    @property
    def embedder_languages(self) -> set[str]:
        if self.settings.embedder_languages is not None:
            return set(self.settings.embedder_languages)
        return self.embedder.languages if self.embedder else set()

    @property
    def query_instruction(self) -> str:
        if self.settings.query_instruction is not None:
            return self.settings.query_instruction
        return default_query_instruction(self.settings.embedder)

    def _embed_documents(self, texts: list[str], languages: list[str]) -> tuple[np.ndarray | None, list[bool] | None]:
        """Vectors of the texts in a language the embedder reads, and which texts those are
        (see :class:`ChunkBatch`); ``(None, None)`` without an embedder."""
        if not self.embedder or not texts:
            return None, None
        readable = self.embedder_languages
        embedded = [language in readable for language in languages]
        wanted = [text for text, keep in zip(texts, embedded) if keep]
        return (self.embedder.embed(wanted) if wanted else np.zeros((0, self.embedder.dimension), np.float32)), embedded

    # --- search ----------------------------------------------------------------------------

    def search(
        self, query: str, k: int | None = None, mode: SearchMode | None = None, options: SearchOptions | None = None
    ) -> list[SearchHit]:
        """The ``k`` (default 5) best chunks for ``query``, ranked as ``options`` and the KB's profile say."""
        return self.retrieve(query, options, k=k, mode=mode).hits

    def retrieve(
        self, query: str, options: SearchOptions | None = None, *, k: int | None = None, mode: SearchMode | None = None
    ) -> SearchResult:
        """A search with the profile it ran, the queries it searched and each stage's seconds
        (:mod:`ragkb.retrieve.pipeline`); ``k`` and ``mode`` override ``options``."""
        updates = {name: value for name, value in (("k", k), ("mode", mode)) if value is not None}
        return run_search(self, query, (options or SearchOptions()).model_copy(update=updates))

    def _fuse(self, session, mode: SearchMode, sparse: dict, dense: dict, dense_weight: float) -> dict[int, float]:
        if mode == "sparse":
            return sparse
        if mode == "dense":
            return dense
        languages = self.embedder_languages
        unsupported = set(
            session.scalars(select(ChunkRow.id).where(ChunkRow.id.in_(list(dense)), ChunkRow.language.not_in(languages)))
        )
        trusted_dense = {key: value for key, value in dense.items() if key not in unsupported}
        return FUSIONS[self.settings.fusion](sparse, trusted_dense, dense_weight)

    def _background_chunks(self, session, revision: int) -> list[int]:
        """The chunks a query's dense similarities are compared with (:mod:`ragkb.retrieve.confidence`),
        sampled again when the KB changes."""
        if self._background is None or self._background[0] != revision:
            self._background = (revision, background_sample(session, self.id, self.embedder_languages))
        return self._background[1]

    def _hits(self, session, chunk_ids: list[int], scores: dict, sparse: dict, dense: dict) -> list[SearchHit]:
        rows = {
            chunk.id: (chunk, path)
            for chunk, path in session.execute(
                select(ChunkRow, FileRow.path).join(FileRow, FileRow.id == ChunkRow.file_id).where(ChunkRow.id.in_(chunk_ids))
            )
        }
        hits = []
        for chunk_id in chunk_ids:
            chunk, path = rows[chunk_id]
            parts = {"sparse": sparse.get(chunk_id), "dense": dense.get(chunk_id)}
            hits.append(
                SearchHit(
                    chunk_id=chunk_id,
                    score=float(scores[chunk_id]),
                    text=chunk.text,
                    file=path,
                    page=chunk.page,
                    section=list(chunk.heading_path or []),
                    ordinal=chunk.ordinal,
                    char_start=chunk.char_start,
                    char_end=chunk.char_end,
                    scores={name: value for name, value in parts.items() if value is not None},
                )
            )
        return hits

    def term_weights(self, text: str) -> dict[str, float]:
        """IDF of the text's tokens in this KB: rare and missing terms weigh most."""
        with self.store.snapshot() as session:
            return self.store.sparse.idf(session, self.id, tokenize(text))

    # --- inspection ------------------------------------------------------------------------

    def files(self) -> list[FileInfo]:
        with self.catalog.session() as session:
            rows = session.scalars(select(FileRow).where(FileRow.kb_id == self.id).order_by(FileRow.path)).all()
        return [
            FileInfo(
                id=r.id,
                path=r.path,
                status=r.status,
                chunks=r.chunk_count,
                size=r.size,
                version=r.version,
                loader=r.loader,
                error=r.last_error,
            )
            for r in rows
        ]

    def file(self, file_id: int) -> FileInfo | None:
        """One file of this KB by its id; ``None`` if this KB has no such file."""
        return next((info for info in self.files() if info.id == file_id), None)

    def remove_file(self, file_id: int) -> FileInfo | None:
        """Remove one file (by id) with its chunks; returns what was removed, ``None`` if unknown."""
        info = self.file(file_id)
        if info is not None:
            self._remove_path(info.path)
        return info

    def chunk(self, chunk_id: int) -> SearchHit | None:
        """One chunk of this KB (a citation's passage) with its place in the file; score 0."""
        with self.catalog.session() as session:
            if session.scalar(select(ChunkRow.kb_id).where(ChunkRow.id == chunk_id)) != self.id:
                return None
            return self._hits(session, [chunk_id], {chunk_id: 0.0}, {}, {})[0]

    def stats(self) -> dict:
        with self.catalog.session() as session:
            files = session.scalar(select(func.count()).select_from(FileRow).where(FileRow.kb_id == self.id))
            failed = session.scalar(
                select(func.count()).select_from(FileRow).where(FileRow.kb_id == self.id, FileRow.status == "failed")
            )
            chunks = session.scalar(select(func.count()).select_from(ChunkRow).where(ChunkRow.kb_id == self.id))
        return {"files": files, "failed_files": failed, "chunks": chunks}

    def info(self) -> KBInfo:
        """The KB's name, description, settings and counts of files, failed files and chunks."""
        return KBInfo(name=self.name, description=self.description, settings=self.settings, **self.stats())

    def update(self, *, description: str | None = None, settings: dict | None = None) -> None:
        """Change the description and some settings. New chunking settings and ``embedder_languages``
        (which chunks get a vector) apply to files as they are re-indexed (``add(force=True)``); the
        embedder cannot change once there are chunks (their vectors would not match)."""
        new_settings = KBSettings.model_validate({**self.settings.model_dump(), **(settings or {})})
        if new_settings.embedder != self.settings.embedder:
            if self.stats()["chunks"]:
                raise RagkbError(
                    f"knowledge base '{self.name}' already has chunks (embedder {self.settings.embedder}); "
                    "create a new knowledge base for another embedder"
                )
            create_embedder(new_settings.embedder, self.app_settings)
        with self.catalog.session() as session:
            row = session.get(KnowledgeBaseRow, self.id)
            row.settings = new_settings.model_dump()
            if description is not None:
                row.description = description
        self.settings, self._embedder = new_settings, None
        self.description = self.description if description is None else description

    # --- conversations ---------------------------------------------------------------------

    def sessions(self) -> list[SessionSummary]:
        """Stored conversations, most recently used first, with their message counts."""
        with self.catalog.session() as session:
            rows = session.execute(
                select(ChatSessionRow, func.count(MessageRow.id))
                .outerjoin(MessageRow, MessageRow.session_id == ChatSessionRow.id)
                .where(ChatSessionRow.kb_id == self.id)
                .group_by(ChatSessionRow.id)
                .order_by(ChatSessionRow.updated_at.desc(), ChatSessionRow.id.desc())
            ).all()
        return [SessionSummary(name=r.name, created_at=r.created_at, updated_at=r.updated_at, messages=n) for r, n in rows]

    def session_messages(self, name: str) -> list[Message] | None:
        """A conversation's messages, oldest first; ``None`` if there is no such session."""
        if not storable(name):
            return None
        with self.catalog.session() as session:
            session_id = session.scalar(
                select(ChatSessionRow.id).where(ChatSessionRow.kb_id == self.id, ChatSessionRow.name == name)
            )
            if session_id is None:
                return None
            rows = session.scalars(select(MessageRow).where(MessageRow.session_id == session_id).order_by(MessageRow.id))
            return [
                Message(role=m.role, content=m.content, query=m.query, citations=m.citations, created_at=m.created_at)
                for m in rows
            ]

    def delete_session(self, name: str) -> bool:
        """Delete a conversation with its messages; ``False`` if there was none."""
        if not storable(name):
            return False
        with self.catalog.session() as session:
            result = session.execute(delete(ChatSessionRow).where(ChatSessionRow.kb_id == self.id, ChatSessionRow.name == name))
            return result.rowcount > 0
