"""Request bodies of the HTTP API (docs/api.md), as they appear in /openapi.json; responses are the
result models of :mod:`ragkb.models`, shared with the Python API and the CLI's ``--json``."""

from __future__ import annotations

from typing import Annotated, Any, Literal, cast

from fastapi import Path
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema, create_model
from pydantic_core import PydanticCustomError

from ragkb.agent.plan import Plan
from ragkb.agent.sandbox import MAX_OPERATIONS
from ragkb.config import KBSettings, Persona
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


class PersonaIn(Persona):
    """A persona in a request body: name, tone, language, refused topics, instructions."""

    model_config = REQUEST_CONFIG


_PATCH_FIELDS: dict[str, Any] = {
    # FieldInfo.annotation is typed ``type | None``: None only for fields declared without one (none here)
    name: (cast(Any, field.annotation) | None, Field(None, description=field.description))
    for name, field in KBSettings.model_fields.items()
}
KBSettingsPatch = create_model("KBSettingsPatch", __config__=REQUEST_CONFIG, **_PATCH_FIELDS)


class KBCreate(Strict):
    name: KBName = Field(description=NAME_RULE)  # type: ignore[valid-type]
    description: str = Field("", max_length=2000)
    settings: KBSettingsIn | None = None


class KBUpdate(Strict):
    description: str | None = Field(None, max_length=2000)
    settings: KBSettingsPatch | None = Field(None, description="only the settings to change")  # type: ignore[valid-type]


class UploadAccepted(BaseModel):
    job_id: str
    files: list[str]


class JobAccepted(BaseModel):
    job_id: str


class SearchRequest(SearchOptions):
    """A query with :class:`SearchOptions`: profile, filters and per-request profile overrides."""

    model_config = REQUEST_CONFIG
    query: str = Field(min_length=1, max_length=10_000)

    def options(self) -> SearchOptions:
        return SearchOptions.model_validate(self.model_dump(exclude={"query"}, exclude_unset=True))


class AskRequest(SearchOptions):
    """A question with :class:`SearchOptions` for its retrieval."""

    model_config = REQUEST_CONFIG
    question: str = Field(min_length=1, max_length=10_000)
    session: SessionName | None = Field(None, description=f"store the turn in this conversation ({NAME_RULE})")  # type: ignore[valid-type]
    regenerate: bool = Field(
        False,
        description="with session: answer the session's last question again, not from the answer cache, and replace its "
        "answer (when question is that question; else the turn is added)",
    )
    generator: str | None = Field(None, description="extractive, llamacpp:smollm2, ollama:M, openai:M; default: the server's")
    k: int = Field(6, ge=1, le=50, description="chunks retrieved")
    stream: bool = Field(False, description="answer as text/event-stream: meta, token…, answer")
    persona: PersonaIn | None = Field(None, description="for this answer: these fields replace the KB persona's")

    def options(self) -> SearchOptions:
        return SearchOptions.model_validate(
            self.model_dump(exclude={"question", "session", "regenerate", "stream", "persona"}, exclude_unset=True)
        )


class Health(BaseModel):
    status: Literal["ok"]
    version: str


class AgentPlanIn(BaseModel):
    """Plan for an instruction in a root, or check a saved (perhaps edited) plan: one or the other."""

    model_config = REQUEST_CONFIG

    instruction: str | None = Field(None, min_length=1, max_length=2000, description="what to do, in Chinese or English")
    root: str | None = Field(None, description="the folder to change: one of GET /api/agent/roots or below one")
    kb: str | None = Field(None, description="the knowledge base to search, tag and keep in step")
    planner: str = Field("auto", description="auto (the server's openai:/ollama: generator, else rules), rules, or a model spec")
    plan: Plan | None = Field(None, description="a plan made before (GET /api/agent/plans/{id}), edited, to check and store anew")
    max_operations: int = Field(MAX_OPERATIONS, ge=1, le=MAX_OPERATIONS, description="refuse longer plans")
