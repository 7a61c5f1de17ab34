"""Catalog tables: the source of truth for knowledge bases, files and chunks.

Dense vectors and the sparse (FTS5) index live in the same database and are written in the
same transaction as the chunk rows, so a killed ingest can never leave half a file behind.
"""

from __future__ import annotations

from datetime import datetime, timezone

from pgvector.sqlalchemy import Vector
from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class KnowledgeBaseRow(Base):
    __tablename__ = "knowledge_base"
    # Never reuse the id of a deleted KB: caches and FTS table names are keyed by it.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    settings: Mapped[dict] = mapped_column(JSON)
    revision: Mapped[int] = mapped_column(default=0, doc="bumped on every index write; invalidates caches")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    files: Mapped[list[FileRow]] = relationship(back_populates="kb", cascade="all, delete-orphan", passive_deletes=True)


class FileRow(Base):
    __tablename__ = "knowledge_file"
    __table_args__ = (UniqueConstraint("kb_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kb_id: Mapped[int] = mapped_column(ForeignKey("knowledge_base.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(Text, doc="absolute path, or a source id for documents added from Python")
    extension: Mapped[str] = mapped_column(String(20), default="")
    size: Mapped[int] = mapped_column(default=0)
    mtime: Mapped[float] = mapped_column(default=0.0)
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    version: Mapped[int] = mapped_column(default=0, doc="how many times this file was (re)indexed")
    loader: Mapped[str] = mapped_column(String(50), default="")
    splitter: Mapped[str] = mapped_column(String(100), default="")
    chunk_count: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(20), default="pending", doc="indexed | failed")
    tags: Mapped[list] = mapped_column(JSON, default=list, doc="labels given at ingest (ragkb add --tag), for search filters")
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    ocr_pages: Mapped[list | None] = mapped_column(JSON, default=None, doc="pages whose text was read from their image (OCR)")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    kb: Mapped[KnowledgeBaseRow] = relationship(back_populates="files")


class ChunkRow(Base):
    __tablename__ = "chunk"
    __table_args__ = (Index("ix_chunk_file_ordinal", "file_id", "ordinal"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kb_id: Mapped[int] = mapped_column(ForeignKey("knowledge_base.id", ondelete="CASCADE"), index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("knowledge_file.id", ondelete="CASCADE"))
    ordinal: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    page: Mapped[int | None]
    heading_path: Mapped[list] = mapped_column(JSON, default=list)
    char_start: Mapped[int] = mapped_column(default=0)
    char_end: Mapped[int] = mapped_column(default=0)
    language: Mapped[str] = mapped_column(String(8), default="en")
    boxes: Mapped[list | None] = mapped_column(
        JSON, default=None, doc="where its text is on its pages: [page, x0, y0, x1, y1, start, end, ocr] in fractions of the page"
    )


class ChunkVectorRow(Base):
    __tablename__ = "chunk_vector"

    chunk_id: Mapped[int] = mapped_column(ForeignKey("chunk.id", ondelete="CASCADE"), primary_key=True)
    kb_id: Mapped[int] = mapped_column(ForeignKey("knowledge_base.id", ondelete="CASCADE"), index=True)
    vector: Mapped[bytes] = mapped_column(
        LargeBinary().with_variant(Vector(), "postgresql"), doc="float32, L2-normalised (pgvector on PostgreSQL)"
    )


class DeletedVectorRow(Base):
    """A chunk whose vector was deleted, in deletion order: the embedded store's HNSW graph
    (:mod:`ragkb.index.ann`) replays this log to drop it. Needed because SQLite reuses the id of
    a deleted last row, so "ids above the highest indexed one" cannot tell what changed."""

    __tablename__ = "chunk_vector_deleted"
    __table_args__ = (Index("ix_chunk_vector_deleted_kb_seq", "kb_id", "seq"), {"sqlite_autoincrement": True})

    seq: Mapped[int] = mapped_column(primary_key=True, doc="never reused (AUTOINCREMENT)")
    kb_id: Mapped[int]
    chunk_id: Mapped[int]


class EmbeddingCacheRow(Base):
    """Embeddings by (model, text hash): re-indexing unchanged text costs nothing."""

    __tablename__ = "embedding_cache"

    model: Mapped[str] = mapped_column(String(300), primary_key=True)
    text_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class ChatSessionRow(Base):
    """A named conversation with one knowledge base; survives restarts."""

    __tablename__ = "chat_session"
    __table_args__ = (UniqueConstraint("kb_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kb_id: Mapped[int] = mapped_column(ForeignKey("knowledge_base.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class MessageRow(Base):
    __tablename__ = "chat_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("chat_session.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20), doc="user | assistant")
    content: Mapped[str] = mapped_column(Text)
    query: Mapped[str | None] = mapped_column(Text, default=None, doc="the standalone query retrieval used")
    citations: Mapped[list] = mapped_column(JSON, default=list)
    route: Mapped[str | None] = mapped_column(String(20), default=None, doc="an answer's: what answered it")
    analysis: Mapped[dict | None] = mapped_column(JSON, default=None, doc="an answer's: the question's analysis")
    computations: Mapped[list | None] = mapped_column(JSON, default=None, doc="an answer's: formulas computed")
    sql: Mapped[str | None] = mapped_column(Text, default=None, doc="an answer's: the SELECT a model wrote")
    stopped: Mapped[bool] = mapped_column(default=False, server_default=false(), doc="an answer the user stopped")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class IngestJobRow(Base):
    """An ingestion job of the HTTP server (:mod:`ragkb.server.jobs`), kept so that its outcome
    outlives the server process; the server keeps the last few hundred finished ones."""

    __tablename__ = "ingest_job"
    __table_args__ = (Index("ix_ingest_job_state_created", "state", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, doc="uuid4 hex")
    kb: Mapped[str] = mapped_column(String(200), doc="the knowledge base's name")
    state: Mapped[str] = mapped_column(String(20), default="queued", doc="queued | running | done | failed")
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    current: Mapped[str | None] = mapped_column(Text, default=None, doc="name of the file being indexed")
    report: Mapped[dict | None] = mapped_column(JSON, default=None, doc="the ingest report once done")
    error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ApiKeyRow(Base):
    """An HTTP API key: only its SHA-256 is stored; ``kbs`` None means every knowledge base."""

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, doc="sha256 hex of the key")
    kbs: Mapped[list | None] = mapped_column(JSON, default=None, doc="allowed KB names; null = all")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)


class DocTableRow(Base):
    """A table found in a file at ingest (:mod:`ragkb.index.tables`); deleted with its file."""

    __tablename__ = "doc_table"
    __table_args__ = (Index("ix_doc_table_kb_file", "kb_id", "file_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kb_id: Mapped[int] = mapped_column(ForeignKey("knowledge_base.id", ondelete="CASCADE"))
    file_id: Mapped[int] = mapped_column(ForeignKey("knowledge_file.id", ondelete="CASCADE"))
    page: Mapped[int | None] = mapped_column(doc="its first page")
    page_end: Mapped[int | None] = mapped_column(doc="its last page (a table continued on the next pages)")
    table_index: Mapped[int] = mapped_column(doc="its position among the file's tables, from 0")
    title: Mapped[str] = mapped_column(Text, default="", doc="its caption or the nearest heading above it")
    statement: Mapped[str | None] = mapped_column(String(32), doc="balance_sheet | income_statement | cash_flow | ...")
    scope: Mapped[str | None] = mapped_column(String(16), doc="consolidated | parent")
    unit: Mapped[str | None] = mapped_column(String(32), doc="the unit its unit line states (万元)")
    headers: Mapped[list] = mapped_column(JSON, default=list, doc="column header texts")
    company: Mapped[str | None] = mapped_column(Text, doc="the company whose report the file is")
    company_short: Mapped[str | None] = mapped_column(Text, doc="its short name (股票简称)")
    company_code: Mapped[str | None] = mapped_column(String(16), doc="its stock code")


class TableCellRow(Base):
    """One value cell of a :class:`DocTableRow`: its row label, column, raw text and number."""

    __tablename__ = "table_cell"
    __table_args__ = (
        Index("ix_table_cell_kb_metric_year", "kb_id", "metric", "year"),
        Index("ix_table_cell_kb_file", "kb_id", "file_id"),
        Index("ix_table_cell_table", "table_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    table_id: Mapped[int] = mapped_column(ForeignKey("doc_table.id", ondelete="CASCADE"))
    kb_id: Mapped[int] = mapped_column(ForeignKey("knowledge_base.id", ondelete="CASCADE"))
    file_id: Mapped[int] = mapped_column(ForeignKey("knowledge_file.id", ondelete="CASCADE"))
    page: Mapped[int | None]
    row_index: Mapped[int] = mapped_column(doc="the body row, from 0")
    column_index: Mapped[int] = mapped_column(doc="the column, from 0 (the row label's)")
    row_label: Mapped[str] = mapped_column(Text, default="")
    metric: Mapped[str | None] = mapped_column(String(64), doc="ragkb.tables.metrics id the label names")
    column_header: Mapped[str] = mapped_column(Text, default="")
    year: Mapped[int | None] = mapped_column(doc="the year the column header names")
    period: Mapped[str | None] = mapped_column(String(8), doc="this | last: the report's year or the one before")
    raw_text: Mapped[str] = mapped_column(Text, doc="the cell text exactly as in the document")
    value: Mapped[float | None] = mapped_column(doc="in the base unit (元; a fraction for %)")
    unit: Mapped[str | None] = mapped_column(String(16), doc="the base unit of value: 元, ratio, 元/股, 股")
    boxes: Mapped[list | None] = mapped_column(
        JSON, default=None, doc="where its text is on its page: [[page, x0, y0, x1, y1]] in fractions of the page"
    )


class AnswerCacheRow(Base):
    """An answer kept for a repeated question (:mod:`ragkb.answer.cache`): served only while the
    KB is at ``revision`` (any write bumps it); gone with its KB."""

    __tablename__ = "answer_cache"
    __table_args__ = (UniqueConstraint("kb_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kb_id: Mapped[int] = mapped_column(ForeignKey("knowledge_base.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64), doc="sha256 hex of the normalized question and all that decides its answer")
    revision: Mapped[int] = mapped_column(doc="the KB's revision the answer was made at")
    question: Mapped[str] = mapped_column(Text, doc="the normalized question")
    answer: Mapped[dict] = mapped_column(JSON, doc="the Answer, as JSON")
    seconds: Mapped[float] = mapped_column(doc="how long making the answer took")
    hits: Mapped[int] = mapped_column(default=0, doc="times it was served from the cache")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_hit_at: Mapped[datetime | None] = mapped_column(default=None)
