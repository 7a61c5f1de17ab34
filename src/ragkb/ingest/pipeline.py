"""Ingestion: files → parsed documents → chunks → embeddings → one transaction per batch.

Incremental by content hash: an unchanged file is skipped, a changed one replaces its old
chunks. Files are committed in batches (embedding is the slow part, so it is batched across
files); a batch commits whole or not at all, so ``kill -9`` loses at most the batch in flight and
the next run picks it up. A file that fails to load is recorded with its error and never stops
the others.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from ragkb.catalog.schema import FileRow
from ragkb.errors import LoaderError
from ragkb.index.stores.base import ChunkBatch, indexed_text
from ragkb.index.tokenize import tokenize
from ragkb.ingest import loaders
from ragkb.ingest.chunking import chunk_document, splitter_id
from ragkb.models import Chunk, FailedFile, IngestReport, ParsedDocument

BATCH_CHUNKS = 256

ProgressCallback = Callable[[int, int, str], None]
"""Called with (files done, files in total, the file just finished)."""


@dataclass
class Source:
    """One thing to ingest: a file on disk, or a document handed over from Python."""

    path: str
    extension: str
    size: int
    mtime: float
    content_hash: str
    title: str
    parse: Callable[[], ParsedDocument]


@dataclass
class _Prepared:
    source: Source
    loader: str
    chunks: list[Chunk]
    texts: list[str]
    languages: list[str]


def collect_files(paths: Iterable[Path]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Expand folders (skipping hidden entries and unsupported types). Returns the files to index,
    and the paths that cannot be, with why: missing ones, and names that are not valid UTF-8 (the
    catalog stores paths as UTF-8 text), reported as they print with ``\\xNN`` for bad bytes."""
    found: list[Path] = []
    unusable: list[tuple[str, str]] = []
    extensions = set(loaders.supported_extensions())
    for path in paths:
        path = path.expanduser().resolve()
        if path.is_dir():
            found.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file()
                and p.suffix.lower() in extensions
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        elif path.is_file():
            found.append(path)
        else:
            unusable.append((printable_path(path), f"{printable_path(path)}: no such file or folder; check the path"))
    files = []
    for path in dict.fromkeys(found):
        shown = printable_path(path)
        if shown == str(path):
            files.append(path)
        else:
            unusable.append((shown, f"{shown}: the name is not valid UTF-8; rename it (e.g. with convmv) and add it again"))
    return files, unusable


def printable_path(path: Path) -> str:
    """``path`` as text; bytes of a name that are not UTF-8 (kept by Python as lone surrogates,
    which cannot be printed or stored) appear as ``\\xNN``."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def file_source(path: Path) -> Source:
    data = path.read_bytes()
    stat = path.stat()
    return Source(
        path=str(path),
        extension=path.suffix.lower(),
        size=stat.st_size,
        mtime=stat.st_mtime,
        content_hash=hashlib.sha256(data).hexdigest(),
        title=path.stem,
        parse=lambda: loaders.load(path),
    )


def document_source(source_id: str, title: str, document: ParsedDocument) -> Source:
    body = document.text
    return Source(
        path=source_id,
        extension="",
        size=len(body.encode("utf-8")),
        mtime=0.0,
        content_hash=hashlib.sha256(body.encode("utf-8")).hexdigest(),
        title=title,
        parse=lambda: document,
    )


class Ingestor:
    """Runs one ingestion into one knowledge base (see :meth:`ragkb.kb.KnowledgeBase.add`)."""

    def __init__(self, kb, force: bool = False, progress: ProgressCallback | None = None):
        self.kb = kb
        self.force = force
        self.progress = progress
        self.report = IngestReport()
        self.known: dict[str, tuple[str, str, str]] = {}
        """Catalogued files at the start of the run: path → (content hash, splitter, status)."""
        settings = kb.settings
        self.chunk_size, self.chunk_overlap = settings.chunk_size, settings.chunk_overlap
        self.splitter = splitter_id(self.chunk_size, self.chunk_overlap)

    def run(self, sources: Iterable[Source | tuple[str, str]], total: int) -> IngestReport:
        self.known = self.kb._file_states()
        batch: list[_Prepared] = []
        for done, source in enumerate(sources, start=1):
            if isinstance(source, tuple):  # a path that cannot be read (or is not there)
                self._fail(*source)
            else:
                state = self.known.get(source.path)
                if not self.force and state == (source.content_hash, self.splitter, "indexed"):
                    self.report.skipped.append(source.path)
                else:
                    prepared = self._prepare(source)
                    if prepared is not None:
                        batch.append(prepared)
                if sum(len(p.chunks) for p in batch) >= BATCH_CHUNKS:
                    self._commit(batch)
                    batch = []
            if self.progress:
                self.progress(done, total, source[0] if isinstance(source, tuple) else source.path)
        self._commit(batch)
        return self.report

    def _prepare(self, source: Source) -> _Prepared | None:
        try:
            document = source.parse()
        except LoaderError as error:
            self._fail(source.path, str(error), source)
            return None
        chunks = chunk_document(document, self.chunk_size, self.chunk_overlap)
        texts = [indexed_text(source.title, c) for c in chunks]
        return _Prepared(source, document.loader, chunks, texts, self.kb.chunk_languages(chunks))

    def _fail(self, path: str, error: str, source: Source | None = None) -> None:
        """Report a failure; record it in the catalog for a file that exists or is catalogued (a
        catalogued file gone from disk failed to re-index: its old chunks stay, marked failed)."""
        self.report.failed.append(FailedFile(path=path, error=error))
        if source is not None or path in self.known or Path(path).exists():
            self.kb._record_failure(path, error, source)

    def _commit(self, batch: list[_Prepared]) -> None:
        if not batch:
            return
        vectors, embedded = self.kb._embed_documents(
            [text for prepared in batch for text in prepared.texts],
            [language for prepared in batch for language in prepared.languages],
        )
        offset = row = 0  # of the batch's chunks, of its vectors
        with self.kb.store.transaction() as session:
            for prepared in batch:
                count = len(prepared.chunks)
                file_embedded = None if embedded is None else embedded[offset : offset + count]
                with_vectors = sum(file_embedded or [])
                file_vectors = None if vectors is None else vectors[row : row + with_vectors]
                offset, row = offset + count, row + with_vectors
                terms = [tokenize(text) for text in prepared.texts]
                chunk_batch = ChunkBatch(prepared.chunks, prepared.languages, terms, file_vectors, file_embedded)
                self.kb._write_file(session, prepared.source, prepared.loader, self.splitter, chunk_batch)
                is_update = prepared.source.path in self.known
                (self.report.updated if is_update else self.report.added).append(prepared.source.path)
                self.report.chunks += count
            self.kb.store.bump_revision(session, self.kb.id)


def removed_paths(kb_paths: Iterable[str], roots: Iterable[Path]) -> list[str]:
    """Catalogued files under ``roots`` that no longer exist on disk (for ``--sync``)."""
    root_strings = [str(root.expanduser().resolve()) for root in roots]
    return [
        path
        for path in kb_paths
        if any(path == root or path.startswith(root.rstrip("/") + "/") for root in root_strings) and not Path(path).exists()
    ]


def file_row_values(source: Source, loader: str, splitter: str, chunk_count: int) -> dict:
    return {
        "extension": source.extension,
        "size": source.size,
        "mtime": source.mtime,
        "content_hash": source.content_hash,
        "loader": loader,
        "splitter": splitter,
        "chunk_count": chunk_count,
        "status": "indexed",
        "last_error": None,
    }


def existing_file(session, kb_id: int, path: str) -> FileRow | None:
    return session.scalar(select(FileRow).where(FileRow.kb_id == kb_id, FileRow.path == path))
