"""Where the agent may act: files below one root folder, and none that a deny pattern names.

A plan path is relative to the root. It is refused when it could name anything else: absolute
paths, ``~``, ``..`` and its look-alikes (fullwidth ``．．``, ``…``), slashes that are not ``/``
(``\\``, ``／``, ``∕``, ``⁄``), control and invisible characters. The rest is resolved against the
filesystem: no component may be a symbolic link (to a file or a folder, pointing in or out), a file
may not have other hard links (its content would be shared with a place outside the root), and the
result must still lie below the root once every link is resolved. Deny patterns are matched on the
name as a person or a case-insensitive filesystem sees it (NFKC, case-folded, without the trailing
dots and spaces Windows drops), so ``EVIL.EXE``, ``evil.ｅｘｅ`` and ``.SSH`` are caught; look-alike
names that differ only in case or Unicode form from a file there already are refused as targets.

When a plan runs, :meth:`Sandbox.folder` opens the folder of each path component by component from
the root with ``O_NOFOLLOW``, and the operation works on that descriptor (the ``*at`` system calls),
so a folder swapped for a link after the plan was checked is not followed either.
"""

from __future__ import annotations

import os
import stat
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path

from ragkb.agent.plan import RELOCATIONS, Plan
from ragkb.errors import RagkbError

EXECUTABLE_TYPES = (
    *("*.exe", "*.com", "*.bat", "*.cmd", "*.scr", "*.pif", "*.msi", "*.msp", "*.cpl", "*.dll", "*.sys", "*.lnk"),
    *("*.ps1", "*.psm1", "*.vbs", "*.vbe", "*.js", "*.jse", "*.wsf", "*.wsh", "*.hta", "*.jar", "*.reg"),
    *("*.sh", "*.bash", "*.zsh", "*.csh", "*.ksh", "*.fish", "*.command", "*.run", "*.bin", "*.elf", "*.appimage"),
    *("*.app", "*.so", "*.so.*", "*.dylib", "*.apk", "*.desktop"),
)
SYSTEM_FILES = (
    *(".*", "~$*", "desktop.ini", "thumbs.db", "ehthumbs.db", "icon\r", "$recycle.bin", "system volume information"),
    *("pagefile.sys", "hiberfil.sys", "swapfile.sys", "ntuser.dat*", "lost+found"),
)
"""Hidden names (``.git``, ``.ssh``, ``.DS_Store``), Office lock files and the system's own."""
DEFAULT_DENY = EXECUTABLE_TYPES + SYSTEM_FILES
"""Patterns on each component's :func:`name_key`: a path with a matching folder or file name is refused."""

EXECUTABLE_MAGIC = (b"\x7fELF", b"#!", b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe")
"""How executables start whatever their name: ELF, a script's ``#!``, Mach-O (and PE below)."""

MAX_OPERATIONS = 200
SLASH_LOOKALIKES = "\\\u2044\u2215\u2571\u29f8\u29f5\u29f9"
"""Backslash and characters drawn like a slash that NFKC leaves alone (fullwidth ones it maps to ASCII)."""
NOFOLLOW_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW


class SandboxError(RagkbError):
    """A path or plan the sandbox refuses; the message names the path and what to do."""


def name_key(name: str) -> str:
    """A name as a case-insensitive, normalising filesystem (and a reader) tells names apart."""
    return unicodedata.normalize("NFKC", name).casefold().rstrip(". ")


def is_executable_content(head: bytes) -> bool:
    """Whether a file's first bytes are an executable's (a PE file starts ``MZ`` and has NULs next)."""
    return head.startswith(EXECUTABLE_MAGIC) or (head[:2] == b"MZ" and b"\x00" in head[2:4])


@dataclass
class Folder:
    """An open folder below the root (a descriptor for the ``*at`` calls) and a name in it."""

    fd: int
    name: str
    created: list[str] = field(default_factory=list)
    """Folders made to reach it, relative to the root, outermost first."""


class Sandbox:
    """The policy for one root: which relative paths a plan may name, checked now and at execution."""

    def __init__(
        self,
        root: str | Path,
        *,
        protected: Iterable[Path] = (),
        deny: Iterable[str] = DEFAULT_DENY,
        max_operations: int = MAX_OPERATIONS,
    ) -> None:
        given = Path(root).expanduser()
        if not given.is_dir():
            raise SandboxError(f"{root}: no such folder; give --root an existing folder")
        self.root = Path(os.path.realpath(given))
        if self.root == Path(self.root.anchor) or self.root == Path(os.path.realpath(Path.home())):
            raise SandboxError(f"{self.root} is too wide a root; give the folder whose files you want changed")
        self.protected = [Path(os.path.realpath(path)) for path in protected]
        for place in self.protected:
            if self.root.is_relative_to(place):
                raise SandboxError(f"{self.root} is inside ragkb's own folder {place}; give a folder outside it")
        self.deny = tuple(deny)
        self.max_operations = max_operations

    # --- names ---------------------------------------------------------------------------------

    def parts(self, relative: str) -> list[str]:
        """The components of a plan path; :class:`SandboxError` for anything that is not plainly below the root."""
        shown = relative if len(relative) <= 80 else relative[:80] + "…"
        if not relative.strip():
            raise SandboxError("an empty path; name a file below the root")
        if any(unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") for char in relative):
            raise SandboxError(f"{shown!r} holds a control or invisible character; use a plain name")
        folded = unicodedata.normalize("NFKC", relative)
        if folded.startswith(("/", "~")) or (len(folded) > 1 and folded[1] == ":"):
            raise SandboxError(f"{shown!r} is absolute; give a path relative to the root {self.root}")
        if any(char in relative for char in SLASH_LOOKALIKES) or "\\" in folded or folded.count("/") != relative.count("/"):
            raise SandboxError(f"{shown!r} holds a backslash or a look-alike of '/'; separate folders with '/'")
        parts = [part for part in relative.split("/") if part not in ("", ".")]
        for part in parts:
            if not unicodedata.normalize("NFKC", part).strip(". "):
                raise SandboxError(f"{shown!r} goes up ('..' or a look-alike of it); every path stays below the root")
        if not parts:
            raise SandboxError(f"{shown!r} names the root itself; name a file below it")
        for part in parts:
            key = name_key(part)
            pattern = next((p for p in self.deny if fnmatchcase(key, p)), None)
            if pattern is not None:
                raise SandboxError(
                    f"{shown!r}: {part!r} matches the deny pattern {pattern!r} (executables, hidden and system files)"
                )
        return parts

    def relative(self, path: Path) -> str:
        """``path`` (below the root) as a plan path."""
        return path.relative_to(self.root).as_posix()

    # --- the filesystem as it is now ----------------------------------------------------------

    def resolve(self, relative: str) -> Path:
        """The absolute path of ``relative``, after checking every component that exists: no
        symbolic links, nothing outside the root once links are resolved, nothing protected."""
        parts = self.parts(relative)
        current = self.root
        for index, part in enumerate(parts):
            current = current / part
            try:
                info = os.lstat(current)
            except FileNotFoundError:
                break
            if stat.S_ISLNK(info.st_mode):
                raise SandboxError(f"{relative!r}: {self.relative(current)} is a symbolic link; the agent never follows links")
            if index < len(parts) - 1 and not stat.S_ISDIR(info.st_mode):
                raise SandboxError(f"{relative!r}: {self.relative(current)} is not a folder")
        path = self.root.joinpath(*parts)
        real = Path(os.path.realpath(path))
        if not real.is_relative_to(self.root):
            raise SandboxError(f"{relative!r} leads outside the root {self.root}; name a file below it")
        if any(real.is_relative_to(place) for place in self.protected):
            raise SandboxError(f"{relative!r} is one of ragkb's own files; the agent leaves them alone")
        return path

    def existing_file(self, relative: str) -> Path:
        """``relative`` resolved, and an ordinary file with one link whose content is no executable."""
        path = self.resolve(relative)
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            raise SandboxError(f"{relative!r}: no such file below {self.root}") from None
        self.check_file(relative, info)
        with open(path, "rb") as file:
            if is_executable_content(file.read(4)):
                raise SandboxError(f"{relative!r} is an executable program; the agent leaves programs alone")
        return path

    def check_file(self, relative: str, info: os.stat_result) -> None:
        if stat.S_ISDIR(info.st_mode):
            raise SandboxError(f"{relative!r} is a folder; the agent works on files (name them, or a pattern)")
        if not stat.S_ISREG(info.st_mode):
            raise SandboxError(f"{relative!r} is not an ordinary file; the agent works on ordinary files only")
        if info.st_nlink > 1:
            raise SandboxError(
                f"{relative!r} has other hard links (its content may live outside the root); the agent leaves it alone"
            )

    def target(self, relative: str) -> Path:
        """A place a file may be written: resolved, an ordinary file if something is there already (an
        overwrite), and not a look-alike of another name in its folder (case, Unicode form)."""
        path = self.resolve(relative)
        if os.path.lexists(path):
            return self.existing_file(relative)
        key = name_key(path.name)
        if path.parent.is_dir():
            twin = next((entry for entry in os.listdir(path.parent) if name_key(entry) == key), None)
            if twin is not None:
                raise SandboxError(
                    f"{relative!r} differs from {self.relative(path.parent / twin)!r} only in case or Unicode form; use that name"
                )
        return path

    # --- execution: descriptors, links never followed -----------------------------------------

    @contextmanager
    def folder(self, relative: str, *, create: bool = False) -> Iterator[Folder]:
        """The folder holding ``relative``, opened from the root one component at a time without
        following links (made first with ``create``), and the last component's name."""
        parts = self.parts(relative)
        fd = os.open(self.root, NOFOLLOW_DIR)
        made: list[str] = []
        try:
            for index, part in enumerate(parts[:-1]):
                try:
                    child = os.open(part, NOFOLLOW_DIR, dir_fd=fd)
                except FileNotFoundError:
                    if not create:
                        raise SandboxError(f"{relative!r}: no such folder {'/'.join(parts[: index + 1])!r}") from None
                    os.mkdir(part, 0o755, dir_fd=fd)
                    made.append("/".join(parts[: index + 1]))
                    child = os.open(part, NOFOLLOW_DIR, dir_fd=fd)
                except OSError:  # ELOOP: a link; ENOTDIR: a file
                    raise SandboxError(f"{relative!r}: {'/'.join(parts[: index + 1])} is a link or not a folder") from None
                os.close(fd)
                fd = child
            yield Folder(fd, parts[-1], made)
        finally:
            os.close(fd)

    # --- a whole plan ---------------------------------------------------------------------------

    def key(self, relative: str) -> str:
        """How the filesystem (or a reader) tells this path from others: its components' name keys."""
        return "/".join(name_key(part) for part in self.parts(relative))

    def check_plan(self, plan: Plan) -> None:
        """Refuse the plan as a whole (before anything runs) if it is too long, or if any operation
        names a path the sandbox refuses, a file that is not there at that point of the plan, or a
        target an earlier operation of it wrote."""
        if len(plan.operations) > self.max_operations:
            raise SandboxError(
                f"the plan has {len(plan.operations)} operations, more than the limit of {self.max_operations}; "
                "narrow the instruction or raise --max-operations"
            )
        if plan.kb is None and any(op.op == "tag" for op in plan.operations):
            raise SandboxError("the plan tags files, and tags live in a knowledge base; give --kb")
        made: set[str] = set()  # files the plan has written by this point
        gone: set[str] = set()  # files it has moved away or deleted
        for number, op in enumerate(plan.operations, 1):
            try:
                source = self.key(op.path)
                if op.op != "create":
                    if source in gone:
                        raise SandboxError(f"{op.path!r} is gone by then (moved or deleted earlier in the plan)")
                    if source not in made:
                        self.existing_file(op.path)
                target = self.key(op.to) if op.to is not None else source if op.op == "create" else None
                if target is not None:
                    if target in made:
                        raise SandboxError(f"{op.to or op.path!r} is written twice by the plan; give each file its own name")
                    if target not in gone:
                        self.target(op.to or op.path)
            except SandboxError as error:
                raise SandboxError(f"operation {number} ({op.op} {op.path}): {error}") from None
            if op.op in RELOCATIONS or op.op == "delete":
                gone.add(source)
                made.discard(source)
            if target is not None:
                made.add(target)
                gone.discard(target)
