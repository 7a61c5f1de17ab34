"""The offline planner: an instruction read by :mod:`ragkb.agent.instruction`, applied to the files
below the root (:mod:`ragkb.agent.inventory`) and, with a KB, to their text and tags.

Words of the instruction match a file by its name or, with a KB, by its text (the KB's BM25 search:
such a move is a ``classify`` operation that names the query); a rename by signing date reads the
date from the file's text in the KB (tables included) and says so when it cannot. Files are never
picked without a condition, and targets never overwrite: a name taken gets `` (2)``. Every operation
says why, each condition that picked its file (its extension and pattern too), and the notes say
what was not planned, in the instruction's language (:mod:`ragkb.agent.reasons`).
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
from ragkb.agent.reasons import Reasons
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


def listing(names: list[str], reasons: Reasons) -> str:
    more = reasons.say("more", count=len(names) - SHOWN) if len(names) > SHOWN else ""
    return ", ".join(names[:SHOWN]) + more


def plan_by_rules(instruction: str, sandbox: Sandbox, kb: KBFiles, kb_name: str | None, *, now: datetime | None = None) -> Plan:
    """The plan for ``instruction`` in the sandbox's root; :class:`RagkbError` when the rules cannot say
    what to do (the message says what to add to the instruction)."""
    request = parse(instruction, now)
    check_request(request, kb)
    notes: list[str] = []
    reasons = Reasons(instruction)
    chosen = select(request, inventory(sandbox), kb, sandbox.root, notes, reasons)
    operations = build(request, chosen, sandbox, kb, notes, reasons)
    if not chosen:
        notes.append(reasons.say("nothing_matches", root=sandbox.root))
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


def select(request: Request, files: list[FileFact], kb: KBFiles, root: Path, notes: list[str], reasons: Reasons) -> list[Choice]:
    """The files every condition of the request holds for, with why; of duplicates, all but the first."""
    tagged = set(kb.tagged(request.tagged, root)) if request.tagged else None
    about = kb.search(request.about, root) if request.about else None
    by_text = {
        word: {path: hit for alt in synonyms(word) for path, hit in kb.search(alt, root).items()} for word in request.words
    }
    if request.words and kb.kb is None:
        notes.append(reasons.say("names_only"))
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
        if request.extensions:
            choice.reasons.append(reasons.say("extension", extension=fact.path.suffix.lower()))
        if request.globs:
            pattern = next(glob for glob in request.globs if fnmatchcase(name_key(fact.path.name), name_key(glob)))
            choice.reasons.append(reasons.say("pattern", pattern=pattern))
        if request.min_size is not None or request.max_size is not None:
            choice.reasons.append(reasons.say("size", size=fact.size))
        if request.before or request.after:
            choice.reasons.append(reasons.say("modified", day=fact.modified.date().isoformat()))
        if tagged is not None:
            if fact.path not in tagged:
                continue
            choice.reasons.append(reasons.say("tagged", tag=request.tagged))
        if about is not None:
            if fact.path not in about:
                continue
            choice.reasons.append(reasons.say("about", about=request.about, score=about[fact.path].score))
            choice.query = request.about
        if all(matches(word, choice, by_text[word], reasons) for word in request.words):
            chosen.append(choice)
    return without_originals(chosen, reasons) if request.duplicates else chosen


def matches(word: str, choice: Choice, by_text: dict, reasons: Reasons) -> bool:
    """Whether ``word`` (or a synonym) is in the file's name, else in its text; notes why on the choice."""
    name = name_key(choice.fact.path.stem)
    named = next((alt for alt in sorted(synonyms(word)) if name_key(alt) in name), None)
    if named is not None:
        choice.reasons.append(reasons.say("named", word=named))
        return True
    hit = by_text.get(choice.fact.path)
    if hit is None:
        return False
    choice.reasons.append(reasons.say("in_text", word=word, score=hit.score))
    choice.query = choice.query or word
    return True


def without_originals(chosen: list[Choice], reasons: Reasons) -> list[Choice]:
    """Of each group of files with the same content, all but the one kept (the oldest)."""
    by_path = {choice.fact.path: choice for choice in chosen}
    extra = []
    for group in duplicates([choice.fact for choice in chosen]):
        kept = group[0]
        for fact in group[1:]:
            choice = by_path[fact.path]
            choice.reasons.insert(0, reasons.say("duplicate", kept=kept.relative, digest=fact.sha256[:12]))
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


def build(
    request: Request, chosen: list[Choice], sandbox: Sandbox, kb: KBFiles, notes: list[str], reasons: Reasons
) -> list[Operation]:
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
            name, why = new_name(request, fact, kb, reasons)
            if name is None or "/" in name:
                unnamed.append(f"{fact.relative} ({why if name is None else reasons.say('slash')})")
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
                files = fact.path.suffix or reasons.say("no_extension")
                unnamed.append(f"{fact.relative} ({reasons.say('not_tagged', kind=files)})")
    if unnamed:
        notes.append(reasons.say("not_planned", count=len(unnamed), files=listing(unnamed, reasons)))
    return operations


def new_name(request: Request, fact: FileFact, kb: KBFiles, reasons: Reasons) -> tuple[str | None, str]:
    """The file's new name for a rename and why; ``None`` and why not when it cannot be planned."""
    stem, suffix = fact.path.stem, fact.path.suffix
    if request.rename_by == "extension":
        return stem + request.rename_to, f"{suffix} → {request.rename_to}"
    if request.rename_by == "prefix":
        named = fact.path.name if fact.path.name.startswith(request.rename_to) else request.rename_to + fact.path.name
        return named, reasons.say("prefix")
    if request.rename_by == "modified_date":
        day = datetime.fromtimestamp(fact.mtime, timezone.utc).astimezone().date()
        return dated(day, stem, suffix), reasons.say("modified", day=day.isoformat())
    text = kb.text(fact.path)
    if text is None:
        return None, reasons.say("not_in_kb")
    if not text.strip():
        return None, reasons.say("no_text")
    signed = signing_date(text)
    if signed is None:
        return None, reasons.say("no_signing_date")
    return dated(signed, stem, suffix), reasons.say("signed", day=signed.isoformat())


def dated(day: date, stem: str, suffix: str) -> str:
    prefix = day.isoformat()
    return stem + suffix if stem.startswith(prefix) else f"{prefix}_{stem}{suffix}"
