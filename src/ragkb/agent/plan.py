"""A plan is data: the file operations an instruction asks for, shown before anything changes, saved
as JSON, edited by hand and replayed (``ragkb agent --plan-out F``, then ``--plan F``).

Paths in a plan are relative to its root, with ``/`` between folders; the sandbox checks them when
the plan is made and again when it runs (:mod:`ragkb.agent.sandbox`).
"""

from __future__ import annotations

import os
import secrets
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ragkb.errors import RagkbError

OperationKind = Literal["create", "read", "move", "copy", "rename", "delete", "tag", "classify"]
RELOCATIONS = ("move", "rename", "classify")
"""Operations that take a file from ``path`` to ``to`` (classify: a move that the KB's search chose)."""
TARGETED = (*RELOCATIONS, "copy")
PLAN_ID = r"^\d{8}-\d{6}-[0-9a-f]{6}$"


def new_plan_id() -> str:
    """A plan id that sorts by time and is safe as a file name and a URL part."""
    return datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)


class Operation(BaseModel):
    """One file operation. ``read`` and ``tag`` change no file (``tag`` changes the KB's tags)."""

    model_config = ConfigDict(extra="forbid")

    op: OperationKind
    path: str = Field(min_length=1, description="the file, relative to the plan's root ('/' between folders)")
    to: str | None = Field(None, description="move, copy, rename, classify: where the file goes, relative to the root")
    content: str | None = Field(None, description="create: the new file's text (UTF-8)")
    tags: list[str] = Field(default_factory=list, description="tag, and optionally classify: tags added to the file in the KB")
    query: str | None = Field(None, description="classify: the KB search that chose the file")
    sha256: str | None = Field(None, description="the file's content hash when planned: a file changed since is left alone")
    reason: str = Field("", description="why the planner chose this operation")

    @model_validator(mode="after")
    def _complete(self) -> Operation:
        if (self.op in TARGETED) != (self.to is not None):
            raise ValueError(f"{self.op} {'needs' if self.op in TARGETED else 'takes no'} 'to'")
        if (self.op == "create") != (self.content is not None):
            raise ValueError(f"{self.op} {'needs' if self.op == 'create' else 'takes no'} 'content'")
        if self.op == "tag" and not self.tags:
            raise ValueError("tag needs 'tags'")
        if self.op == "classify" and not self.query:
            raise ValueError("classify needs the 'query' that chose the file")
        if self.op == "rename" and PurePosixPath(self.to or "").parent != PurePosixPath(self.path).parent:
            raise ValueError("rename keeps the file in its folder; use move to change the folder")
        return self

    def describe(self) -> str:
        """One line for people: what happens to which file, and why."""
        target = f" → {self.to}" if self.to else ""
        extra = f" +tags {', '.join(self.tags)}" if self.tags else ""
        size = f" ({len(self.content.encode('utf-8'))} bytes)" if self.content is not None else ""
        why = f"  ({self.reason})" if self.reason else ""
        return f"{self.op} {self.path}{target}{size}{extra}{why}"


class Plan(BaseModel):
    """What an instruction asks for in one root folder, in the order it runs."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(default_factory=new_plan_id, pattern=PLAN_ID, description="sorts by creation time")
    instruction: str
    root: str = Field(description="the folder every path is relative to (absolute, links resolved)")
    kb: str | None = Field(None, description="the knowledge base searched, tagged and re-indexed")
    planner: str = Field(description="rules, or the LLM that planned (openai:<model>, ollama:<model>)")
    created_at: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))
    operations: list[Operation] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list, description="what could not be planned, and why")

    def save(self, path: str | Path) -> Path:
        """Write the plan as JSON (replacing the file at once, never half-written)."""
        path = Path(path).expanduser()
        partial = path.with_name(path.name + ".partial")
        partial.write_text(self.model_dump_json(indent=2) + "\n", encoding="utf-8")
        os.replace(partial, path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> Plan:
        """A plan saved by :meth:`save`, perhaps edited since; a bad one is one line that says where."""
        path = Path(path).expanduser()
        try:
            return cls.model_validate_json(path.read_bytes())
        except OSError as error:
            raise RagkbError(f"cannot read the plan {path} ({error.strerror}); check the path") from None
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "the file"
            raise RagkbError(f"the plan {path} is not valid at {where}: {first['msg']}; fix it or plan again") from None


OperationStatus = Literal["done", "skipped", "failed"]


class OperationResult(BaseModel):
    """What became of one operation of a plan (or of an undo)."""

    index: int = Field(description="the operation's position in the plan, from 0")
    op: str
    path: str
    to: str | None = None
    status: OperationStatus
    detail: str = Field("", description="why it was skipped or failed; what it found")
    text: str | None = Field(None, description="read: the file's text (its start)")


class ExecutionReport(BaseModel):
    """A plan's run, or an undo's: every operation's result, in order."""

    plan: str = Field(description="the plan's id")
    undo: bool = Field(False, description="this run reverted the plan")
    results: list[OperationResult] = Field(default_factory=list)
    backup: str | None = Field(None, description="the folder that deleted and overwritten files were copied to first")
    recovered: list[str] = Field(
        default_factory=list, description="operations of an earlier run that was killed, finished or rolled back first"
    )

    @property
    def failed(self) -> list[OperationResult]:
        return [result for result in self.results if result.status == "failed"]
