"""The agent's audit log, which is also its write-ahead journal: ``$RAGKB_HOME/agent/audit.jsonl``.

Every change is two records: an ``intent`` (what is about to happen, forced to disk with fsync
before anything changes) and then ``done``, ``aborted`` (rolled back, nothing changed) or ``failed``.
An intent without its second record is a run that was killed in between; :mod:`ragkb.agent.execute`
finishes or rolls back such an operation before the next run. The file is only ever appended to.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from ragkb.config import Settings
from ragkb.errors import RagkbError

Event = Literal["intent", "done", "aborted", "failed", "undone"]
CLOSING = ("done", "aborted", "failed")


class AuditRecord(BaseModel):
    """One line of the audit log. Paths are absolute; hashes are SHA-256 of the file's bytes."""

    time: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))
    event: Event
    plan: str = Field(description="the plan's id")
    undo: bool = Field(False, description="part of reverting the plan")
    seq: int = Field(-1, description="the step's position in the run (-1: the run as a whole)")
    op: str = Field("", description="create, read, move, copy, rename, delete, tag, classify; restore, rmdir when undoing")
    root: str | None = None
    kb: str | None = None
    before: str | None = Field(None, description="the file's path before (the source)")
    after: str | None = Field(None, description="its path after (the target)")
    sha256_before: str | None = None
    sha256_after: str | None = None
    replaced_sha256: str | None = Field(None, description="the content a write replaced (backed up first)")
    backup: str | None = Field(None, description="where the deleted or replaced content was copied")
    tags_before: list[str] | None = None
    tags_after: list[str] | None = None
    created: list[str] = Field(default_factory=list, description="folders made for the target, outermost first")
    detail: str = ""

    def key(self) -> tuple[str, bool, int]:
        return (self.plan, self.undo, self.seq)


class AgentHome:
    """The agent's folder in the ragkb home: the audit log, backups, plans, the run lock."""

    def __init__(self, settings: Settings) -> None:
        self.folder = Path(settings.home).expanduser() / "agent"
        self.log = self.folder / "audit.jsonl"
        self.backups = self.folder / "backups"
        self.plans = self.folder / "plans"

    def append(self, record: AuditRecord) -> None:
        """Add one line and force it to disk before returning (the journal's promise)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        new = not self.log.exists()
        fd = os.open(self.log, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            line = record.model_dump_json(exclude_none=True) + "\n"
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                line = "\n" + line  # a line torn by a crash stays alone, unreadable, and is skipped
            os.write(fd, line.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        if new:
            sync_folder(self.folder)

    def records(self) -> list[AuditRecord]:
        """Every readable record, oldest first."""
        if not self.log.exists():
            return []
        records = []
        with open(self.log, encoding="utf-8", errors="replace") as lines:
            for line in lines:
                try:
                    records.append(AuditRecord.model_validate_json(line))
                except ValidationError:
                    continue  # a line torn by a crash (or power loss) during its write
        return records

    def ran(self, plan_id: str) -> bool:
        return any(record.plan == plan_id and not record.undo for record in self.records())

    @contextmanager
    def lock(self) -> Iterator[None]:
        """One agent run at a time per ragkb home (CLI and server alike)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.folder / "lock", os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise RagkbError("another agent run is changing files in this ragkb home; wait for it to end") from None
            yield
        finally:
            os.close(fd)  # closing releases the lock


def pending(records: list[AuditRecord]) -> list[AuditRecord]:
    """Intents without their closing record: the operations a killed run was in the middle of."""
    closed = {record.key() for record in records if record.event in CLOSING}
    return [record for record in records if record.event == "intent" and record.key() not in closed]


def sync_folder(folder: Path | int) -> None:
    """Force a folder's entries (a new, renamed or removed name in it) to disk."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY) if isinstance(folder, Path) else folder
    try:
        os.fsync(fd)
    finally:
        if isinstance(folder, Path):
            os.close(fd)
