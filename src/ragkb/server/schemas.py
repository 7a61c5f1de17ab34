"""Request and response bodies of the HTTP API (docs/api.md), as they appear in /openapi.json."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Literal, Optional

from fastapi import Path
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema, create_model
from pydantic_core import PydanticCustomError

from ragkb.config import KBSettings
from ragkb.errors import InvalidName
from ragkb.names import MAX_CHARS, check_name, name_pattern
from ragkb.profiles import SearchOptions


def _new_name(kind: str) -> object:
    """A new name of a ``kind``, checked by :func:`ragkb.names.check_name` (422 with its reason)."""

    def check(value: str) -> str:
        try:
            return check_name(kind, value)
        except InvalidName as error:
            raise PydanticCustomError("invalid_name", "{reason}", {"reason": str(error)}) from None

    schema = {"type": "string", "minLength": 1, "maxLength": MAX_CHARS, "pattern": name_pattern()}
    return Annotated[str, AfterValidator(check), WithJsonSchema(schema)]


KBName = _new_name("knowledge base")
SessionName = _new_name("session")
NAME_RULE = f"1-{MAX_CHARS} characters; no '/', '\\', leading '.', spaces at either end or invisible characters"


REQUEST_CONFIG = ConfigDict(extra="forbid", allow_inf_nan=False)
"""Every request body: unknown fields are mistakes, and JSON's NaN and Infinity are no numbers."""

MAX_ROW_ID = 2**63 - 1
"""Ids are signed 64-bit integers in every store; a larger one is no id (a 422, not a 500)."""
ChunkId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="a chunk id, from a hit or a citation")]
FileId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="a file id, from the KB's file list")]


class Strict(BaseModel):
    model_config = REQUEST_CONFIG


class KBSettingsIn(KBSettings):
    model_config = REQUEST_CONFIG


KBSettingsPatch = create_model(
    "KBSettingsPatch",
    __config__=REQUEST_CONFIG,
    **{
        name: (Optional[field.annotation], Field(None, description=field.description))  # noqa: UP045 (runtime type)
        for name, field in KBSettings.model_fields.items()
    },
)


class KBCreate(Strict):
    name: KBName = Field(description=NAME_RULE)  # type: ignore[valid-type]
    description: str = Field("", max_length=2000)
    settings: KBSettingsIn | None = None


class KBUpdate(Strict):
    description: str | None = Field(None, max_length=2000)
    settings: KBSettingsPatch | None = Field(None, description="only the settings to change")  # type: ignore[valid-type]


class KBOut(BaseModel):
    name: str
    description: str
    settings: KBSettings
    files: int
    failed_files: int
    chunks: int


PublicPath = Annotated[
    str, Field(description="the upload name, or a file added on the server: its path below the folder of the KB's files")
]


class FileOut(BaseModel):
    id: int
    name: str
    path: PublicPath
    status: str = Field(description="indexed | failed")
    chunks: int
    size: int
    version: int
    loader: str
    error: str | None


class UploadAccepted(BaseModel):
    job_id: str
    files: list[str]


class JobAccepted(BaseModel):
    job_id: str


class FailedFile(BaseModel):
    path: PublicPath
    error: str


class IngestReportOut(BaseModel):
    added: list[str]
    updated: list[str]
    skipped: list[str]
    removed: list[str]
    failed: list[FailedFile]
    chunks: int


class JobOut(BaseModel):
    id: str
    kb: str
    state: Literal["queued", "running", "done", "failed"]
    done: int
    total: int
    current: str | None
    report: IngestReportOut | None
    error: str | None


class SearchRequest(SearchOptions):
    """A query with :class:`SearchOptions`: profile, filters and per-request profile overrides."""

    model_config = REQUEST_CONFIG
    query: str = Field(min_length=1, max_length=10_000)

    def options(self) -> SearchOptions:
        return SearchOptions.model_validate(self.model_dump(exclude={"query"}, exclude_unset=True))


class ChunkOut(BaseModel):
    chunk_id: int
    file: PublicPath
    page: int | None
    section: list[str]
    ordinal: int
    char_start: int
    char_end: int
    text: str


class HitOut(ChunkOut):
    score: float
    scores: dict[str, float]


class SearchOut(BaseModel):
    hits: list[HitOut]
    profile: dict = Field(description="the retrieval profile that ran, with this request's overrides")
    queries: list[str] = Field(description="every text searched: the query, then expansions")
    timings: dict[str, float] = Field(description="seconds per stage")
    dense_weight: float | None = Field(
        None, description="the embedder's share in the query's hybrid fusion (null: BM25 or the embedder alone ranked it)"
    )


class AskRequest(SearchOptions):
    """A question with :class:`SearchOptions` for its retrieval."""

    model_config = REQUEST_CONFIG
    question: str = Field(min_length=1, max_length=10_000)
    session: SessionName | None = Field(None, description=f"store the turn in this conversation ({NAME_RULE})")  # type: ignore[valid-type]
    generator: str | None = Field(None, description="extractive, llamacpp:smollm2, ollama:M, openai:M; default: the server's")
    k: int = Field(6, ge=1, le=50, description="chunks retrieved")
    stream: bool = Field(False, description="answer as text/event-stream: meta, token…, answer")

    def options(self) -> SearchOptions:
        return SearchOptions.model_validate(self.model_dump(exclude={"question", "session", "stream"}, exclude_unset=True))


class CitationOut(BaseModel):
    number: int
    file: PublicPath
    page: int | None
    section: list[str]
    quote: str
    chunk_id: int
    inferred: bool
    label: str


class AnswerOut(BaseModel):
    question: str
    query: str
    answer: str
    citations: list[CitationOut]
    dropped_citations: int
    refused: bool
    generator: str
    retrieved: list[HitOut]
    timings: dict[str, float]
    fallback_from: str | None


def _as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]
"""The catalog stores UTC without a zone; the API says so (ISO 8601 with ``+00:00``)."""


class SessionSummary(BaseModel):
    name: str
    created_at: UtcDatetime
    updated_at: UtcDatetime
    messages: int


class MessageOut(BaseModel):
    role: str
    content: str
    query: str | None
    citations: list[CitationOut]
    created_at: UtcDatetime


class SessionOut(BaseModel):
    name: str
    messages: list[MessageOut]


class Health(BaseModel):
    status: Literal["ok"]
    version: str
