"""File operations on a :class:`~ragkb.agent.sandbox.Folder` (a descriptor and a name in it): nothing
here follows a symbolic link, every write is made whole in a temporary file and forced to disk
before one ``rename`` puts it in place."""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from pathlib import Path

from ragkb.agent.audit import sync_folder
from ragkb.agent.sandbox import Folder, SandboxError

BLOCK = 1 << 20
NOFOLLOW_READ = os.O_RDONLY | os.O_NOFOLLOW
NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW


def lstat(folder: Folder) -> os.stat_result | None:
    try:
        return os.stat(folder.name, dir_fd=folder.fd, follow_symlinks=False)
    except FileNotFoundError:
        return None


def open_file(folder: Folder) -> int:
    """A descriptor of the ordinary, singly linked file ``folder.name`` (never a link's target)."""
    try:
        fd = os.open(folder.name, NOFOLLOW_READ, dir_fd=folder.fd)
    except FileNotFoundError:
        raise SandboxError(f"{folder.name!r} is gone") from None
    except OSError:  # ELOOP: it is a link
        raise SandboxError(f"{folder.name!r} is a symbolic link; the agent never follows links") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_nlink > 1:
        os.close(fd)
        raise SandboxError(f"{folder.name!r} is no longer an ordinary file with one link")
    return fd


def digest(fd: int) -> str:
    sha = hashlib.sha256()
    while block := os.read(fd, BLOCK):
        sha.update(block)
    return sha.hexdigest()


def file_hash(folder: Folder) -> str | None:
    """The SHA-256 of the file, ``None`` when there is no ordinary file of that name."""
    try:
        fd = open_file(folder)
    except SandboxError:
        return None
    try:
        return digest(fd)
    finally:
        os.close(fd)


def path_hash(path: Path) -> str | None:
    """The SHA-256 of an ordinary file at ``path`` (the agent's own backups), ``None`` if there is none."""
    try:
        fd = os.open(path, NOFOLLOW_READ)
    except OSError:
        return None
    try:
        return digest(fd) if stat.S_ISREG(os.fstat(fd).st_mode) else None
    finally:
        os.close(fd)


def read_start(folder: Folder, limit: int) -> bytes:
    fd = open_file(folder)
    try:
        return os.read(fd, limit)
    finally:
        os.close(fd)


def write_new(target_fd: int, name: str, source_fd: int | None, data: bytes = b"") -> str:
    """Create ``name`` in the folder ``target_fd`` (it must not exist) with the bytes of ``source_fd``
    (or ``data``), forced to disk; returns their SHA-256."""
    sha = hashlib.sha256()
    fd = os.open(name, NEW_FILE, 0o644, dir_fd=target_fd)
    try:
        blocks = iter(lambda: os.read(source_fd, BLOCK), b"") if source_fd is not None else iter([data])
        for block in blocks:
            sha.update(block)
            view = memoryview(block)
            while view:
                view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    return sha.hexdigest()


def back_up(folder: Folder, target: Path) -> str:
    """Copy the file to ``target`` (the agent's backup folder), forced to disk; returns its SHA-256."""
    target.parent.mkdir(parents=True, exist_ok=True)
    source = open_file(folder)
    holder = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        sha = write_new(holder, target.name, source)
        sync_folder(holder)
    finally:
        os.close(holder)
        os.close(source)
    return sha


def remove_if_there(folder: Folder, name: str) -> None:
    """Remove a file the agent made (a temporary file) if it is there."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(name, dir_fd=folder.fd)
