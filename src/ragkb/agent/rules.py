"""The offline planner: an instruction read by :mod:`ragkb.agent.instruction`, applied to the files
below the root (:mod:`ragkb.agent.inventory`) and, with a KB, to their text and tags.

Words of the instruction match a file by its name or, with a KB, by its text (the KB's BM25 search:
such a move is a ``classify`` operation that names the query); a rename by signing date reads the
date from the file's text in the KB (tables included) and says so when it cannot. Files are never
picked without a condition, and targets never overwrite: a name taken gets `` (2)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath

from ragkb.agent.dates import signing_date
from ragkb.agent.instruction import Request, parse, synonyms
from ragkb.agent.inventory import FileFact, duplicates, inventory
from ragkb.agent.kbfiles import KBFiles, indexable
from ragkb.agent.plan import Operation, Plan
from ragkb.agent.sandbox import Sandbox, SandboxError, name_key
from ragkb.errors import RagkbError

SHOWN = 8
"""File names a note lists before it says how many more."""


@dataclass
class Choice:
    """A file the instruction picks, why, and the KB search that picked it by its text (if one did)."""

    fact: FileFact
    reasons: list[str] = field(default_factory=list)
    query: str | None = None


def listing(names: list[str]) -> str:
    more = f" and {len(names) - SHOWN} more" if len(names) > SHOWN else ""
    return ", ".join(names[:SHOWN]) + more


def plan_by_rules(instruction: str, sandbox: Sandbox, kb: KBFiles, kb_name: str | None, *, now: datetime | None = None) -> Plan:
    """The plan for ``instruction`` in the sandbox's root; :class:`RagkbError` when the rules cannot say
    what to do (the message says what to add to the instruction)."""
    request = parse(instruction, now)
    check_request(request, kb)
    notes: list[str] = []
    chosen = select(request, inventory(sandbox), kb, sandbox.root, notes)
    operations = build(request, chosen, sandbox, kb, notes)
    if not chosen:
        notes.append(f"no file below {sandbox.root} matches the instruction")
    return Plan(instruction=instruction, root=str(sandbox.root), kb=kb_name, planner="rules", operations=operations, notes=notes)


def check_request(request: Request, kb: KBFiles) -> None:
    if not request.picks:
        raise RagkbError(
            "the instruction does not say which files (a type, a pattern, words in the name or text, a date, a size, "
            "duplicates, a tag); the agent never acts on every file at once"
        )
    if request.action in ("move", "copy") and not request.destination:
        raise RagkbError(f"say where the files go, e.g. '{request.action} … to archive' or '移到 archive 目录'")
    if request.action == "rename" and request.rename_by is None:
        raise RagkbError("say how to rename: by signing date (按签订日期), by modification date, '*.jpeg to *.jpg', or a prefix")
    if request.action == "tag" and not request.add_tags:
        raise RagkbError("say which tag, e.g. 'tag the contracts as legal' or '打上标签 合同'")
    needs_kb = request.add_tags is not None or request.tagged or request.about or request.rename_by == "signing_date"
    if needs_kb and kb.kb is None:
        raise RagkbError(
            "this instruction needs a knowledge base (tags, or the files' text); give --kb with the KB that indexes this folder"
        )


def select(request: Request, files: list[FileFact], kb: KBFiles, root: Path, notes: list[str]) -> list[Choice]:
    """The files every condition of the request holds for, with why; of duplicates, all but the first."""
    tagged = set(kb.tagged(request.tagged, root)) if request.tagged else None
    about = kb.search(request.about, root) if request.about else None
    by_text = {
        word: {path: hit for alt in synonyms(word) for path, hit in kb.search(alt, root).items()} for word in request.words
    }
    if request.words and kb.kb is None:
        notes.append("only file names were matched; with --kb the files' text is searched too")
    chosen = []
    for fact in files:
        choice = Choice(fact)
        if request.extensions and fact.path.suffix.lower() not in request.extensions:
            continue
        if request.globs and not any(fnmatchcase(name_key(fact.path.name), name_key(glob)) for glob in request.globs):
            continue
        if request.min_size is not None and fact.size < request.min_size:
            continue
        if request.max_size is not None and fact.size > request.max_size:
            continue
        if (request.before and fact.modified >= request.before) or (request.after and fact.modified < request.after):
            continue
        if request.min_size is not None or request.max_size is not None:
            choice.reasons.append(f"{fact.size:,} bytes")
        if request.before or request.after:
            choice.reasons.append(f"modified {fact.modified.date().isoformat()}")
        if tagged is not None:
            if fact.path not in tagged:
                continue
            choice.reasons.append(f"tagged {request.tagged}")
        if about is not None:
            if fact.path not in about:
                continue
            choice.reasons.append(f"its text is about '{request.about}' (KB search, score {about[fact.path].score:.2f})")
            choice.query = request.about
        if all(matches(word, choice, by_text[word]) for word in request.words):
            chosen.append(choice)
    return without_originals(chosen) if request.duplicates else chosen


def matches(word: str, choice: Choice, by_text: dict) -> bool:
    """Whether ``word`` (or a synonym) is in the file's name, else in its text; notes why on the choice."""
    name = name_key(choice.fact.path.stem)
    named = next((alt for alt in sorted(synonyms(word)) if name_key(alt) in name), None)
    if named is not None:
        choice.reasons.append(f"'{named}' in the name")
        return True
    hit = by_text.get(choice.fact.path)
    if hit is None:
        return False
    choice.reasons.append(f"'{word}' in its text (KB search, score {hit.score:.2f})")
    choice.query = choice.query or word
    return True


def without_originals(chosen: list[Choice]) -> list[Choice]:
    """Of each group of files with the same content, all but the one kept (the oldest)."""
    by_path = {choice.fact.path: choice for choice in chosen}
    extra = []
    for group in duplicates([choice.fact for choice in chosen]):
        kept = group[0]
        for fact in group[1:]:
            choice = by_path[fact.path]
            choice.reasons.insert(0, f"same content as {kept.relative} (sha256 {fact.sha256[:12]}…), which is kept")
            extra.append(choice)
    return sorted(extra, key=lambda choice: choice.fact.relative)


class Targets:
    """Names given out in this plan: a target never overwrites a file, another target, or a name that
    differs from one there only in case or Unicode form."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.taken: set[str] = set()

    def usable(self, relative: str) -> bool:
        if self.sandbox.key(relative) in self.taken:
            return False
        try:
            return not self.sandbox.target(relative).exists()
        except SandboxError:
            return False

    def free(self, relative: str) -> str:
        """``relative``, or the first of ``name (2).ext``, ``name (3).ext`` ... that is free."""
        self.sandbox.parts(relative)  # a name the sandbox refuses stays refused with a number
        path = PurePosixPath(relative)
        candidate, number = relative, 1
        while not self.usable(candidate):
            number += 1
            candidate = str(path.with_name(f"{path.stem} ({number}){path.suffix}"))
        self.taken.add(self.sandbox.key(candidate))
        return candidate


def build(request: Request, chosen: list[Choice], sandbox: Sandbox, kb: KBFiles, notes: list[str]) -> list[Operation]:
    operations: list[Operation] = []
    targets = Targets(sandbox)
    unnamed: list[str] = []
    for choice in chosen:
        fact, reason = choice.fact, "; ".join(choice.reasons)
        target: str | None = None
        if request.action == "delete":
            operations.append(Operation(op="delete", path=fact.relative, sha256=fact.sha256, reason=reason))
        elif request.action == "tag":
            target = fact.relative
        elif request.action in ("move", "copy"):
            folder = "/".join(sandbox.parts(request.destination or ""))
            if request.action == "move" and str(PurePosixPath(fact.relative).parent) == folder:
                continue
            target = targets.free(f"{folder}/{fact.path.name}")
            kind = "classify" if request.action == "move" and choice.query else request.action
            operations.append(
                Operation(
                    op=kind,
                    path=fact.relative,
                    to=target,
                    sha256=fact.sha256,
                    reason=reason,
                    query=choice.query if kind == "classify" else None,
                )
            )
        else:
            name, why = new_name(request, fact, kb)
            if name is None or "/" in name:
                unnamed.append(f"{fact.relative} ({why if name is None else 'a new name may not hold /'})")
                continue
            if name == fact.path.name:
                continue
            try:
                target = targets.free(str(PurePosixPath(fact.relative).with_name(name)))
            except SandboxError as error:
                unnamed.append(f"{fact.relative} ({error})")
                continue
            operations.append(
                Operation(op="rename", path=fact.relative, to=target, sha256=fact.sha256, reason=f"{reason}; {why}".strip("; "))
            )
        if request.add_tags and target is not None:
            if indexable(fact.path):
                operations.append(Operation(op="tag", path=target, tags=request.add_tags))
            else:
                unnamed.append(
                    f"{fact.relative} (not tagged: the knowledge base cannot index {fact.path.suffix or 'files without an extension'})"
                )
    if unnamed:
        notes.append(f"could not plan {len(unnamed)} file(s): {listing(unnamed)}")
    return operations


def new_name(request: Request, fact: FileFact, kb: KBFiles) -> tuple[str | None, str]:
    """The file's new name for a rename and why; ``None`` and why not when it cannot be planned."""
    stem, suffix = fact.path.stem, fact.path.suffix
    if request.rename_by == "extension":
        return stem + request.rename_to, f"{suffix} → {request.rename_to}"
    if request.rename_by == "prefix":
        return (fact.path.name if fact.path.name.startswith(request.rename_to) else request.rename_to + fact.path.name), "prefix"
    if request.rename_by == "modified_date":
        day = datetime.fromtimestamp(fact.mtime, timezone.utc).astimezone().date()
        return dated(day, stem, suffix), f"modified {day.isoformat()}"
    text = kb.text(fact.path)
    if text is None:
        return None, "not in the knowledge base; add it first"
    if not text.strip():
        return None, "the knowledge base found no text in it (a scan without a text layer?)"
    signed = signing_date(text)
    if signed is None:
        return None, "its text names no signing date"
    return dated(signed, stem, suffix), f"signed {signed.isoformat()} (its text in the KB)"


def dated(day: date, stem: str, suffix: str) -> str:
    prefix = day.isoformat()
    return stem + suffix if stem.startswith(prefix) else f"{prefix}_{stem}{suffix}"
