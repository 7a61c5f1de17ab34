"""The files below a root that a plan may name: what planners choose from."""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path

from ragkb.agent.sandbox import Sandbox, SandboxError, is_executable_content

MAX_FILES = 50_000


@dataclass
class FileFact:
    """A file below the root as the planners see it."""

    relative: str
    path: Path
    size: int
    mtime: float

    @cached_property
    def sha256(self) -> str:
        sha = hashlib.sha256()
        with open(self.path, "rb") as file:
            while block := file.read(1 << 20):
                sha.update(block)
        return sha.hexdigest()

    @property
    def modified(self) -> datetime:
        return datetime.fromtimestamp(self.mtime, timezone.utc)


def inventory(sandbox: Sandbox) -> list[FileFact]:
    """Every file below the root that the sandbox allows, in path order; folders and files it refuses
    (hidden, denied, links, hard links, executables) are left out, links are never followed."""
    found: list[FileFact] = []
    for folder, folders, files in os.walk(sandbox.root, followlinks=False):
        here = Path(folder)
        kept = []
        for name in sorted(folders):
            try:
                sandbox.parts(sandbox.relative(here / name))
                kept.append(name)
            except SandboxError:
                continue
        folders[:] = kept
        for name in sorted(files):
            path = here / name
            relative = sandbox.relative(path)
            try:
                sandbox.parts(relative)
                info = os.lstat(path)
                sandbox.check_file(relative, info)
                with open(path, "rb") as file:
                    if is_executable_content(file.read(4)):
                        continue
            except (SandboxError, OSError):
                continue
            if not stat.S_ISREG(info.st_mode):
                continue
            found.append(FileFact(relative, path, info.st_size, info.st_mtime))
            if len(found) > MAX_FILES:
                raise SandboxError(f"{sandbox.root} holds more than {MAX_FILES} files; give a narrower --root")
    return sorted(found, key=lambda fact: fact.relative)


def duplicates(files: list[FileFact]) -> list[list[FileFact]]:
    """Groups of files with the same content (same size first, then SHA-256), each oldest first
    (then the shorter path): the first of a group is the one to keep."""
    by_size: dict[int, list[FileFact]] = {}
    for fact in files:
        by_size.setdefault(fact.size, []).append(fact)
    groups: dict[str, list[FileFact]] = {}
    for same_size in by_size.values():
        if len(same_size) > 1:
            for fact in same_size:
                groups.setdefault(fact.sha256, []).append(fact)
    return [
        sorted(group, key=lambda fact: (fact.mtime, len(fact.relative), fact.relative))
        for group in groups.values()
        if len(group) > 1
    ]
