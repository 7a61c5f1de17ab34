"""Running a confirmed plan: each operation journaled, backed up, done, and the KB kept in step.

One step at a time (:class:`Run`): check it against the files as they are now (a file changed since
the plan was made is skipped, never touched); append its ``intent`` to the audit log and force it to
disk; copy what it deletes or replaces to ``$RAGKB_HOME/agent/backups/<plan>/``; make the change,
which is one ``rename`` or ``unlink`` (a copy or new content is written whole to a temporary file
first); update the KB; append ``done``. A run killed anywhere leaves at most one intent open:
:func:`recover` (run before every execution and undo) looks at the files, and either finishes that
operation (it had happened: the KB is updated and ``done`` written) or rolls it back (it had not:
the temporary file, the backup copy and folders made for it are removed and ``aborted`` written).
So every file is either done, with its record, or untouched.

:func:`undo_last` reverts the last plan that ran and was not undone: moves go back, copies and new
files are removed (backed up too), deleted and replaced files come back from their backups, tags
are restored, folders the plan made are removed when empty; a file changed since is left alone.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from ragkb.agent import fsops
from ragkb.agent.audit import AgentHome, AuditRecord, pending, sync_folder
from ragkb.agent.kbfiles import KBFiles, indexable
from ragkb.agent.plan import RELOCATIONS, ExecutionReport, OperationResult, Plan
from ragkb.agent.sandbox import MAX_OPERATIONS, Folder, Sandbox, SandboxError
from ragkb.config import Settings
from ragkb.errors import KnowledgeBaseNotFound, RagkbError
from ragkb.ingest import loaders
from ragkb.kb import KnowledgeBase

READ_LIMIT = 20_000
"""Characters of a file a ``read`` operation returns."""
WRITES = ("copy", "create", "restore")


@dataclass
class Step:
    """One change as it is made: a plan's operation, or (undoing) the inverse of one."""

    index: int
    op: str
    path: str | None = None
    """The file it starts from, relative to the root (move, copy, delete, tag, read; rmdir: the folder)."""
    to: str | None = None
    """The file it writes (move, copy, create, restore)."""
    content: bytes | None = None
    backup: Path | None = None
    """restore: the backup copy to put back."""
    sha256: str | None = None
    """What the source must hold (restore: what the target must hold; None: nothing may be there)."""
    tags: list[str] = field(default_factory=list)
    replace_tags: bool = False


class Skip(Exception):
    """A step that cannot be made as planned with the files as they are now: nothing was changed."""


def steps_of(plan: Plan) -> list[Step]:
    steps = []
    for index, op in enumerate(plan.operations):
        if op.op == "create":
            steps.append(Step(index, "create", to=op.path, content=(op.content or "").encode("utf-8")))
        else:
            steps.append(Step(index, op.op, path=op.path, to=op.to, sha256=op.sha256, tags=op.tags if op.op == "tag" else []))
        if op.op == "classify" and op.tags:
            steps.append(Step(index, "tag", path=op.to, tags=op.tags))
    return steps


def open_kb(name: str | None, settings: Settings) -> KBFiles:
    if name is None:
        return KBFiles(None)
    try:
        return KBFiles(KnowledgeBase.open(name, settings=settings))
    except KnowledgeBaseNotFound:
        return KBFiles(None)


class Run:
    """Steps of one plan (or of its undo) in one root, journaled in the agent's audit log."""

    def __init__(self, home: AgentHome, sandbox: Sandbox, kb: KBFiles, plan_id: str, kb_name: str | None, *, undo: bool = False):
        self.home, self.sandbox, self.kb = home, sandbox, kb
        self.plan_id, self.kb_name, self.undo = plan_id, kb_name, undo
        self.backups = home.backups / (plan_id + (f"-undo-{secrets.token_hex(3)}" if undo else ""))
        """A plan runs once; an undo may run again (after a failure), each time into a folder of its own."""

    def run(self, steps: list[Step]) -> list[OperationResult]:
        results: list[OperationResult] = []
        failure = ""
        for seq, step in enumerate(steps):
            result = OperationResult(
                index=step.index, op=step.op, path=step.path or step.to or "", to=step.to if step.path else None, status="done"
            )
            if failure:
                result.status, result.detail = "skipped", f"not tried after an earlier failure ({failure})"
            else:
                try:
                    result.text = self.step(seq, step)
                except Skip as why:
                    result.status, result.detail = "skipped", str(why)
                except (OSError, RagkbError) as error:
                    failure = str(error) if isinstance(error, RagkbError) else f"{type(error).__name__}: {error}"
                    result.status, result.detail = "failed", failure
            results.append(result)
        return results

    def step(self, seq: int, step: Step) -> str | None:
        if step.op == "read":
            return self.read(seq, step)
        try:
            record = self.prepare(seq, step)
        except SandboxError as error:
            raise Skip(str(error)) from None
        self.home.append(record)
        try:
            self.perform(record, step)
        except (OSError, RagkbError) as error:
            event, detail = settle(record, self.sandbox, self.kb)  # as after a crash: finish or roll back
            self.home.append(record.model_copy(update={"event": event, "detail": f"{error}; {detail}"}))
            if event == "done":
                return None
            raise
        self.home.append(record.model_copy(update={"event": "done", "detail": complete(record, self.kb)}))
        return None

    # --- before the intent: checks only -------------------------------------------------------

    def source(self, relative: str | None, expected: str | None) -> tuple[Path, str]:
        if relative is None:
            raise Skip("no file named")
        try:
            path = self.sandbox.existing_file(relative)
        except SandboxError as error:
            raise Skip(str(error)) from None
        with self.sandbox.folder(relative) as folder:
            sha = fsops.file_hash(folder)
        if sha is None or (expected is not None and sha != expected):
            raise Skip(f"{relative} changed since the plan was made; left as it is (plan again)")
        return path, sha

    def target(self, relative: str, record: AuditRecord) -> None:
        try:
            path = self.sandbox.target(relative)
        except SandboxError as error:
            raise Skip(str(error)) from None
        record.after = str(path)
        parts = self.sandbox.parts(relative)
        record.created = [
            "/".join(parts[:n]) for n in range(1, len(parts)) if not self.sandbox.root.joinpath(*parts[:n]).exists()
        ]
        if path.exists():
            with self.sandbox.folder(relative) as folder:
                record.replaced_sha256 = fsops.file_hash(folder)
            record.backup = str(self.backups / f"{record.seq:04d}-{path.name}")

    def prepare(self, seq: int, step: Step) -> AuditRecord:
        record = AuditRecord(
            event="intent", plan=self.plan_id, undo=self.undo, seq=seq, op=step.op, root=str(self.sandbox.root), kb=self.kb_name
        )
        if step.op in (*RELOCATIONS, "copy", "delete", "tag"):
            path, sha = self.source(step.path, step.sha256)
            record.before, record.sha256_before = str(path), sha
        if step.op in (*RELOCATIONS, "copy"):
            if step.to is None or self.sandbox.parts(step.to) == self.sandbox.parts(step.path or ""):
                raise Skip("the target is the file itself")
            self.target(step.to, record)
            record.sha256_after = record.sha256_before
        elif step.op == "create" and step.to is not None:
            self.target(step.to, record)
            record.sha256_after = hashlib.sha256(step.content or b"").hexdigest()
        elif step.op == "restore" and step.to is not None and step.backup is not None:
            record.sha256_after = fsops.path_hash(step.backup)
            if record.sha256_after is None:
                raise Skip(f"the backup {step.backup} is gone; nothing to restore {step.to} from")
            self.target(step.to, record)
            if record.replaced_sha256 != step.sha256:
                raise Skip(f"{step.to} changed since the plan ran; left as it is")
        elif step.op == "delete":
            record.backup = str(self.backups / f"{seq:04d}-{Path(record.before or '').name}")
        elif step.op == "tag":
            tags = self.kb.tags(Path(record.before or ""))
            if self.kb.kb is None or (tags is None and not indexable(Path(record.before or ""))):
                raise Skip("tags live in a knowledge base; this file is not in one (give --kb)")
            record.after, record.tags_before = record.before, tags or []
            record.tags_after = sorted(step.tags if step.replace_tags else {*record.tags_before, *step.tags})
        elif step.op == "rmdir" and step.path is not None:
            folder = self.sandbox.resolve(step.path)
            if not folder.is_dir() or any(folder.iterdir()):
                raise Skip(f"{step.path} is not an empty folder; left as it is")
            record.before = str(folder)
        return record

    # --- the change -----------------------------------------------------------------------------

    def perform(self, record: AuditRecord, step: Step) -> None:
        root = self.sandbox
        if step.op in RELOCATIONS:
            with root.folder(step.path or "") as source, root.folder(step.to or "", create=True) as target:
                os.close(fsops.open_file(source))  # still an ordinary file, reached without a link
                self.back_up_replaced(record, target)
                os.rename(source.name, target.name, src_dir_fd=source.fd, dst_dir_fd=target.fd)
                sync_folder(target.fd)
                sync_folder(source.fd)
        elif step.op in WRITES:
            with root.folder(step.to or "", create=True) as target:
                temp = temporary_name(record)
                if step.op == "copy":
                    with root.folder(step.path or "") as source:
                        fd = fsops.open_file(source)
                        try:
                            written = fsops.write_new(target.fd, temp, fd)
                        finally:
                            os.close(fd)
                elif step.op == "restore":
                    fd = os.open(step.backup or "", fsops.NOFOLLOW_READ)
                    try:
                        written = fsops.write_new(target.fd, temp, fd)
                    finally:
                        os.close(fd)
                else:
                    written = fsops.write_new(target.fd, temp, None, step.content or b"")
                if written != record.sha256_after:
                    raise RagkbError(f"{step.path or step.to} changed while it was copied; nothing was changed")
                self.back_up_replaced(record, target)
                os.rename(temp, target.name, src_dir_fd=target.fd, dst_dir_fd=target.fd)
                sync_folder(target.fd)
        elif step.op == "delete":
            with root.folder(step.path or "") as source:
                fsops.back_up(source, Path(record.backup or ""))
                os.unlink(source.name, dir_fd=source.fd)
                sync_folder(source.fd)
        elif step.op == "rmdir":
            with root.folder(step.path or "") as holder:
                os.rmdir(holder.name, dir_fd=holder.fd)
                sync_folder(holder.fd)
        # tag: only the KB changes, in complete()

    def back_up_replaced(self, record: AuditRecord, target: Folder) -> None:
        if record.backup is not None and fsops.back_up(target, Path(record.backup)) != record.replaced_sha256:
            raise RagkbError(f"{record.after} changed while it was backed up; nothing was changed")

    def read(self, seq: int, step: Step) -> str:
        path, sha = self.source(step.path, step.sha256)
        try:
            text = loaders.load(path).text if indexable(path) else None
        except RagkbError:
            text = None
        if text is None:
            with self.sandbox.folder(step.path or "") as folder:
                text = fsops.read_start(folder, READ_LIMIT * 4).decode("utf-8", "replace")
        self.home.append(
            AuditRecord(
                event="done",
                plan=self.plan_id,
                undo=self.undo,
                seq=seq,
                op="read",
                root=str(self.sandbox.root),
                kb=self.kb_name,
                before=str(path),
                sha256_before=sha,
            )
        )
        return text[:READ_LIMIT]


def temporary_name(record: AuditRecord) -> str:
    return f".ragkb-agent-{record.plan}{'-undo' if record.undo else ''}-{record.seq}.partial"


def complete(record: AuditRecord, kb: KBFiles) -> str:
    """Bring the KB in step with a change that happened; what could not be done is the detail."""
    before, after = Path(record.before or ""), Path(record.after or "")
    try:
        if record.op in RELOCATIONS:
            kb.moved(before, after)
        elif record.op in WRITES:
            kb.written(after)
        elif record.op == "delete":
            kb.deleted(before)
        elif record.op == "tag":
            kb.set_tags(after, record.tags_after or [])
    except RagkbError as error:
        return f"the knowledge base was not updated: {error}"
    return ""


def settle(record: AuditRecord, sandbox: Sandbox, kb: KBFiles) -> tuple[str, str]:
    """Whether the change an open intent announced happened, judged from the files: ``done`` (then
    the KB is updated), ``aborted`` (what it had begun is removed: the file is untouched) or
    ``failed`` (neither state: someone else changed the files; the detail says what to check)."""

    def where(path: str | None) -> str:
        return sandbox.relative(Path(path or ""))

    def hash_of(path: str | None) -> str | None:
        try:
            with sandbox.folder(where(path)) as folder:
                return fsops.file_hash(folder)
        except (SandboxError, ValueError):
            return None

    def gone(path: str | None) -> bool:
        try:
            with sandbox.folder(where(path)) as folder:
                return fsops.lstat(folder) is None
        except SandboxError:
            return True

    if record.op in WRITES:
        try:
            with sandbox.folder(where(record.after)) as target:
                fsops.remove_if_there(target, temporary_name(record))
        except SandboxError:
            pass  # its folder was never made
    if record.op == "tag":
        happened = True
    elif record.op in RELOCATIONS:
        happened = gone(record.before) and hash_of(record.after) == record.sha256_after
        if not happened and hash_of(record.before) != record.sha256_before:
            return "failed", f"neither {record.before} nor {record.after} holds the file as it was; check both by hand"
    elif record.op in WRITES:
        happened = hash_of(record.after) == record.sha256_after
    else:  # delete, rmdir
        happened = gone(record.before)
    if happened:
        return "done", complete(record, kb) or "finished after an interruption"
    if record.backup:
        Path(record.backup).unlink(missing_ok=True)
    for folder in reversed(record.created):
        try:
            with sandbox.folder(folder) as holder:
                os.rmdir(holder.name, dir_fd=holder.fd)
        except (OSError, SandboxError):
            break  # not empty: something else is in it now
    return "aborted", "rolled back after an interruption: nothing was changed"


def recover(home: AgentHome, settings: Settings) -> list[str]:
    """Close the operations a killed run left open (see the module doc); what was done, one line each."""
    lines = []
    for record in pending(home.records()):
        try:
            sandbox = Sandbox(record.root or "", protected=[settings.home])
            event, detail = settle(record, sandbox, open_kb(record.kb, settings))
        except (OSError, RagkbError) as error:
            event, detail = "failed", f"could not be checked ({error}); check {record.before or record.after} by hand"
        home.append(record.model_copy(update={"event": event, "detail": detail}))
        lines.append(f"{record.op} {record.before or ''} → {record.after or ''}: {event}, {detail}".replace(" →  ", " "))
    return lines


def execute_plan(plan: Plan, settings: Settings, *, max_operations: int = MAX_OPERATIONS) -> ExecutionReport:
    """Run a confirmed plan (checked by the sandbox first, as a whole)."""
    home = AgentHome(settings)
    with home.lock():
        recovered = recover(home, settings)
        if home.ran(plan.id):
            raise RagkbError(f"plan {plan.id} has run already; make a new plan, or run its saved file again with --plan")
        sandbox = Sandbox(plan.root, protected=[settings.home], max_operations=max_operations)
        sandbox.check_plan(plan)
        kb = KBFiles(KnowledgeBase.open(plan.kb, settings=settings) if plan.kb else None)
        home.plans.mkdir(parents=True, exist_ok=True)
        plan.save(home.plans / f"{plan.id}.json")
        run = Run(home, sandbox, kb, plan.id, plan.kb)
        results = run.run(steps_of(plan))
    backup = str(run.backups) if run.backups.exists() else None
    return ExecutionReport(plan=plan.id, results=results, backup=backup, recovered=recovered)


def inverse_steps(records: list[AuditRecord], sandbox: Sandbox) -> list[Step]:
    """What reverts the done records of one plan, last first, then its new folders, deepest first."""

    def where(path: str | None) -> str:
        return sandbox.relative(Path(path or ""))

    steps: list[Step] = []
    done = sorted((r for r in records if r.event == "done" and r.op != "read"), key=lambda r: r.seq, reverse=True)
    for record in done:
        index = record.seq
        if record.op in RELOCATIONS:
            steps.append(Step(index, "move", path=where(record.after), to=where(record.before), sha256=record.sha256_after))
        elif record.op in WRITES and not record.backup:
            steps.append(Step(index, "delete", path=where(record.after), sha256=record.sha256_after))
        if record.backup and record.op != "delete":  # a replaced file comes back
            sha = None if record.op in RELOCATIONS else record.sha256_after
            steps.append(Step(index, "restore", to=where(record.after), backup=Path(record.backup), sha256=sha))
        elif record.op == "delete" and record.backup:
            steps.append(Step(index, "restore", to=where(record.before), backup=Path(record.backup)))
        elif record.op == "tag":
            steps.append(Step(index, "tag", path=where(record.after), tags=record.tags_before or [], replace_tags=True))
    folders = {folder for record in done for folder in record.created}
    steps += [Step(-1, "rmdir", path=folder) for folder in sorted(folders, key=lambda f: f.count("/"), reverse=True)]
    return steps


def undo_last(settings: Settings) -> ExecutionReport:
    """Revert the last plan that ran and is not undone yet (see the module doc)."""
    home = AgentHome(settings)
    with home.lock():
        recovered = recover(home, settings)
        records = home.records()
        undone = {record.plan for record in records if record.event == "undone"}
        ran = [record for record in records if not record.undo and record.event == "done" and record.plan not in undone]
        if not ran:
            raise RagkbError("nothing to undo: no plan changed a file that is not undone already (see: ragkb agent log)")
        plan_id = ran[-1].plan
        own = [record for record in ran if record.plan == plan_id]
        sandbox = Sandbox(own[0].root or "", protected=[settings.home])
        run = Run(home, sandbox, open_kb(own[0].kb, settings), plan_id, own[0].kb, undo=True)
        results = run.run(inverse_steps(own, sandbox))
        if not any(result.status == "failed" for result in results):
            home.append(AuditRecord(event="undone", plan=plan_id, root=str(sandbox.root), kb=own[0].kb))
    backup = str(run.backups) if run.backups.exists() else None
    return ExecutionReport(plan=plan_id, undo=True, results=results, backup=backup, recovered=recovered)
