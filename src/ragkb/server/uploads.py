"""Uploaded files: safe base names, size limit, saved in the KB's folder (:mod:`ragkb.uploads`).

A request's files are written to temporary names first and renamed only when all of them passed,
so a rejected upload leaves nothing behind and never overwrites a stored file.
"""

from __future__ import annotations

import logging
import re
import uuid
from pathlib import Path, PurePosixPath

from fastapi import HTTPException, UploadFile

from ragkb import uploads
from ragkb.config import Settings
from ragkb.ingest import loaders
from ragkb.kb import KnowledgeBase

log = logging.getLogger("ragkb.server")

COPY_CHUNK = 1 << 20
MAX_NAME_CHARS = 200
_UNSAFE = re.compile(r"[\x00-\x1f\x7f<>:\"|?*]")


def safe_name(name: str | None) -> str:
    """The base name of an uploaded file's name, without directories, control characters or
    leading dots (so ``../../etc/passwd`` becomes ``passwd`` and ``..`` is refused)."""
    base = PurePosixPath((name or "").replace("\\", "/")).name
    base = _UNSAFE.sub("_", base).strip().lstrip(".").strip()
    if not base:
        raise HTTPException(400, f"file name {name!r} has no usable base name; rename the file")
    stem, suffix = Path(base).stem, Path(base).suffix
    return stem[: MAX_NAME_CHARS - len(suffix)] + suffix


def check_type(name: str) -> None:
    supported = loaders.supported_extensions()
    if Path(name).suffix.lower() not in supported:
        raise HTTPException(415, f"{name}: unsupported file type; supported: {', '.join(supported)}")


def save_uploads(files: list[UploadFile], folder: Path, max_bytes: int) -> list[Path]:
    """Check and store the files; returns their paths (a name given twice is stored once, the last)."""
    if not files:
        raise HTTPException(400, "no files in the upload; send them as multipart form field 'files'")
    names = [safe_name(upload.filename) for upload in files]
    for name in names:
        check_type(name)
    folder.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[Path, Path]] = []
    try:
        for upload, name in zip(files, names, strict=True):
            temporary = folder / f".{name}.{uuid.uuid4().hex}.part"
            staged.append((temporary, folder / name))
            _copy_limited(upload, temporary, name, max_bytes)
    except BaseException:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        raise
    for temporary, target in staged:
        temporary.replace(target)
    return list(dict.fromkeys(target for _, target in staged))


def _copy_limited(upload: UploadFile, target: Path, name: str, max_bytes: int) -> None:
    written = 0
    upload.file.seek(0)
    with target.open("wb") as out:
        while chunk := upload.file.read(COPY_CHUNK):
            written += len(chunk)
            if written > max_bytes:
                raise HTTPException(
                    413, f"{name} is larger than the {max_bytes / 2**20:g} MiB upload limit (RAGKB_MAX_UPLOAD_MB); split it"
                )
            out.write(chunk)


def remove_upload(kb: KnowledgeBase, path: str) -> None:
    """Delete a file's uploaded copy (files indexed from elsewhere, or that other KBs list, are never touched)."""
    target = Path(path)
    if target.parent == uploads.upload_folder(kb.app_settings.home, kb.id):
        target.unlink(missing_ok=True)


def adopt_legacy_uploads(settings: Settings) -> None:
    """At server start, before any upload: each KB moves its files out of the old shared folders."""
    for kb in KnowledgeBase.list(settings=settings):
        if moved := uploads.adopt_legacy_uploads(kb.context):
            folder = uploads.upload_folder(settings.home, kb.id)
            log.info("moved %d uploaded file(s) of knowledge base '%s' to %s", moved, kb.name, folder)
