"""The Python API: :class:`KnowledgeBase`. The CLI and the HTTP server are thin layers over it."""

from __future__ import annotations

import builtins  # KnowledgeBase.list (a classmethod) shadows list in the annotations of its class
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import func, select

from ragkb.catalog import Catalog
from ragkb.catalog.chats import ChatSessions
from ragkb.catalog.schema import ChunkRow, FileRow, KnowledgeBaseRow
from ragkb.config import AUTO_EMBEDDER, KBSettings, Persona, Settings, embedder_for
from ragkb.errors import KnowledgeBaseExists, KnowledgeBaseNotFound, RagkbError
from ragkb.index.context import KBContext
from ragkb.index.embedders import CachedEmbedder, create_embedder
from ragkb.index.stores import open_store
from ragkb.index.stores.base import Store
from ragkb.index.stores.copy import CopyProgress, copy_knowledge_base
from ragkb.index.tokenize import tokenize
from ragkb.ingest.pipeline import EmbedderChoice, EmbeddingProgress, Ingestor, ProgressCallback
from ragkb.ingest.sources import collect_files, document_source, file_sources, removed_paths
from ragkb.ingest.writer import IndexWriter
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
from ragkb.profiles import RetrievalProfile, SearchMode, SearchOptions, builtin_profiles
from ragkb.retrieve.context import file_text
from ragkb.retrieve.filters import set_tags
from ragkb.retrieve.hits import load_chunk
from ragkb.retrieve.pipeline import Searcher
from ragkb.uploads import adopt_legacy_uploads, remove_upload_folder

CANDIDATES = 100
"""How many results each retriever contributes to fusion (at least; more when k is larger)."""


class KnowledgeBase:
    """A named, isolated collection of files, chunks and indexes with its own settings.

    A facade: ingestion goes through an :class:`~ragkb.ingest.writer.IndexWriter`, searches through a
    :class:`~ragkb.retrieve.pipeline.Searcher`, conversations through
    :class:`~ragkb.catalog.chats.ChatSessions`, all given the KB's :class:`~ragkb.index.context.KBContext`.
    """

    def __init__(self, row: KnowledgeBaseRow, store: Store, settings: Settings):
        self.description = row.description
        self._use(KBContext(row.id, row.name, KBSettings.model_validate(row.settings), store, settings))

    def _use(self, context: KBContext) -> None:
        """Work with ``context`` from now on (a KB with other settings is another context)."""
        self.context = context
        self._writer = IndexWriter(context)
        self._searcher = Searcher(context)
        self._sessions = ChatSessions(context.catalog, context.id)

    @property
    def id(self) -> int:
        return self.context.id

    @property
    def name(self) -> str:
        return self.context.name

    @property
    def settings(self) -> KBSettings:
        return self.context.settings

    @settings.setter
    def settings(self, settings: KBSettings) -> None:
        """Search with other settings from now on, without storing them (that is :meth:`update`)."""
        self._use(self.context.with_settings(settings=settings))

    @property
    def app_settings(self) -> Settings:
        return self.context.app_settings

    @app_settings.setter
    def app_settings(self, settings: Settings) -> None:
        self._use(self.context.with_settings(app_settings=settings))

    @property
    def store(self) -> Store:
        return self.context.store

    @property
    def catalog(self) -> Catalog:
        return self.context.catalog

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
        adopt_legacy_uploads(self.context)
        with self.store.transaction() as session:
            self.store.drop_kb(session, self.id)
            session.delete(session.get_one(KnowledgeBaseRow, self.id))
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
        embedding: EmbeddingProgress | None = None,
    ) -> IngestReport:
        """Index files and folders. Unchanged files are skipped unless ``force``; with ``sync``,
        catalogued files under the given folders that no longer exist are removed. ``tags`` replace
        the tags of every file given (for search filters). ``progress`` hears of each file done,
        ``embedding`` of each slice of a batch's chunks embedded."""
        roots = [Path(p) for p in paths]
        files, unusable = collect_files(roots)
        ingestor = Ingestor(self._writer, force, progress, self._embedder_choice(), embedding)
        report = ingestor.run(file_sources(files, unusable), total=len(files) + len(unusable))
        if tags is not None:
            set_tags(self.catalog, self.id, [str(f) for f in files], tags)
        if sync:
            for path in removed_paths(self._writer.file_states(), roots):
                self._writer.remove_path(path)
                report.removed.append(path)
        return report

    def add_documents(
        self, documents: Iterable[tuple[str, str, ParsedDocument]], *, total: int = 0, progress: ProgressCallback | None = None
    ) -> IngestReport:
        """Index documents made in Python, as (source id, title, document)."""
        sources = (document_source(source_id, title, document) for source_id, title, document in documents)
        return Ingestor(self._writer, progress=progress, choose_embedder=self._embedder_choice()).run(sources, total=total)

    def _embedder_choice(self) -> EmbedderChoice | None:
        """For a KB whose embedder is ``auto``: what chooses it from the first chunks' languages and stores it
        (one chosen meanwhile by another process stays); ``None`` for a KB that has its embedder."""
        if self.settings.embedder != AUTO_EMBEDDER:
            return None

        def choose(languages: builtins.list[str]) -> IndexWriter:
            with self.catalog.session() as session:
                stored = KBSettings.model_validate(session.get_one(KnowledgeBaseRow, self.id).settings)
            if stored.embedder == AUTO_EMBEDDER:
                self.update(settings={"embedder": embedder_for(languages)})
            else:
                self._use(self.context.with_settings(settings=stored))
            return self._writer

        return choose

    def remove(self, paths: Iterable[str | Path]) -> builtins.list[str]:
        """Remove files (or every file under a folder) from the KB; returns the removed paths."""
        known = self._writer.file_states()
        removed: list[str] = []
        for path in paths:
            target = str(Path(path).expanduser().resolve())
            matches = [p for p in known if p == target or p.startswith(target.rstrip("/") + "/")]
            if not matches:
                raise RagkbError(f"{path} is not in knowledge base '{self.name}'; see: ragkb kb show {self.name}")
            for match in matches:
                self._writer.remove_path(match)
            removed.extend(matches)
        return removed

    def chunk_languages(self, chunks: builtins.list[Chunk]) -> builtins.list[str]:
        return self.context.chunk_languages(chunks)

    # --- embeddings ------------------------------------------------------------------------

    @property
    def embedder(self) -> CachedEmbedder | None:
        return self.context.embedder

    @property
    def embedder_languages(self) -> set[str]:
        return self.context.embedder_languages

    @property
    def query_instruction(self) -> str:
        return self.context.query_instruction

    # --- search ----------------------------------------------------------------------------

    def search(
        self, query: str, k: int | None = None, mode: SearchMode | None = None, options: SearchOptions | None = None
    ) -> builtins.list[SearchHit]:
        """The ``k`` (default 5) best chunks for ``query``, ranked as ``options`` and the KB's profile say."""
        return self.retrieve(query, options, k=k, mode=mode).hits

    def retrieve(
        self, query: str, options: SearchOptions | None = None, *, k: int | None = None, mode: SearchMode | None = None
    ) -> SearchResult:
        """A search with the profile it ran, the queries it searched and each stage's seconds
        (:mod:`ragkb.retrieve.pipeline`); ``k`` and ``mode`` override ``options``."""
        updates = {name: value for name, value in (("k", k), ("mode", mode)) if value is not None}
        return self._searcher.search(query, (options or SearchOptions()).model_copy(update=updates))

    def term_weights(self, text: str) -> dict[str, float]:
        """IDF of the text's tokens in this KB: rare and missing terms weigh most."""
        with self.store.snapshot() as session:
            return self.store.sparse.idf(session, self.id, tokenize(text))

    # --- inspection ------------------------------------------------------------------------

    def files(self) -> builtins.list[FileInfo]:
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
                ocr_pages=r.ocr_pages or [],
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
            self._writer.remove_path(info.path)
        return info

    def move_file(self, old: str | Path, new: str | Path) -> bool:
        """Record that a file was moved or renamed with its content unchanged: it keeps its chunks,
        vectors and index entries under the new path, nothing is embedded again (the title in its
        chunks' indexed text stays the old name until ``add(force=True)``). A file catalogued at
        ``new`` is replaced. ``False`` if ``old`` is not in this KB."""
        return self._writer.move_path(str(Path(old).expanduser().resolve()), str(Path(new).expanduser().resolve()))

    def chunk(self, chunk_id: int) -> SearchHit | None:
        """One chunk of this KB (a citation's passage) with its place in the file; score 0."""
        with self.catalog.session() as session:
            return load_chunk(session, self.id, chunk_id)

    def file_text(self, file_id: int) -> str | None:
        """The text ragkb indexed for one file (by id), section by section; ``None`` if unknown."""
        with self.catalog.session() as session:
            return file_text(session, self.id, file_id)

    def stats(self) -> dict:
        """Counts of files, failed files and chunks, read in one statement: one snapshot, so a reader
        never counts a file without its chunks while another process ingests (three statements did,
        under PostgreSQL's read committed)."""
        files = select(func.count()).select_from(FileRow).where(FileRow.kb_id == self.id)
        failed = files.where(FileRow.status == "failed")
        chunks = select(func.count()).select_from(ChunkRow).where(ChunkRow.kb_id == self.id)
        with self.catalog.session() as session:
            counts = session.execute(select(files.scalar_subquery(), failed.scalar_subquery(), chunks.scalar_subquery())).one()
        return {"files": counts[0], "failed_files": counts[1], "chunks": counts[2]}

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
            if row is None:
                raise KnowledgeBaseNotFound(self.name)
            row.settings = new_settings.model_dump()
            if description is not None:
                row.description = description
        self._use(self.context.with_settings(settings=new_settings))
        self.description = self.description if description is None else description

    def set_profile(
        self, name: str, changes: dict | None = None, *, base: str | None = None, reset: bool = False
    ) -> RetrievalProfile:
        """Create or change the retrieval profile ``name``: the profile as it is (or ``base``, or
        ``default``), this version's built-in one with ``reset``, then ``changes`` (field → value)."""
        profiles = dict(self.settings.profiles)
        builtins_now = builtin_profiles()
        if reset and name not in builtins_now:
            raise RagkbError(f"'{name}' is not a built-in profile; --reset works for {', '.join(builtins_now)}")
        if base is not None and base not in profiles:
            raise RagkbError(
                f"no retrieval profile '{base}' to start from; this knowledge base has: {', '.join(sorted(profiles))}"
            )
        start = builtins_now[name] if reset else profiles.get(name) if base is None else None
        start = start or profiles.get(base or "default") or RetrievalProfile()
        profiles[name] = RetrievalProfile.model_validate({**start.model_dump(), **(changes or {})})
        self.update(settings={"profiles": {key: value.model_dump() for key, value in profiles.items()}})
        return profiles[name]

    def set_persona(self, changes: dict | None = None, *, reset: bool = False) -> Persona:
        """Change the fields ``changes`` names (field → value) of the KB's persona, the empty one
        with ``reset``; answers use it from then on (:mod:`ragkb.answer.persona`)."""
        start = Persona() if reset else self.settings.persona
        persona = Persona.model_validate({**start.model_dump(), **(changes or {})})
        self.update(settings={"persona": persona.model_dump()})
        return persona

    # --- conversations ---------------------------------------------------------------------

    def sessions(self) -> builtins.list[SessionSummary]:
        """Stored conversations, most recently used first, with their message counts."""
        return self._sessions.summaries()

    def session_messages(self, name: str) -> builtins.list[Message] | None:
        """A conversation's messages, oldest first; ``None`` if there is no such session."""
        return self._sessions.messages(name)

    def delete_session(self, name: str) -> bool:
        """Delete a conversation with its messages; ``False`` if there was none."""
        return self._sessions.delete(name)
