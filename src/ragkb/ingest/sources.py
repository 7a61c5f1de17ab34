"""What to ingest: files on disk (folders expanded) and documents made in Python, as :class:`Source`."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ragkb.ingest import loaders
from ragkb.models import ParsedDocument


@dataclass
class Source:
    """One thing to ingest: a file on disk, or a document handed over from Python."""

    path: str
    extension: str
    size: int
    mtime: float
    content_hash: str
    title: str
    parse: Callable[[], ParsedDocument]


def collect_files(paths: Iterable[Path]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Expand folders (skipping hidden entries and unsupported types). Returns the files to index,
    and the paths that cannot be, with why: missing ones, and names that are not valid UTF-8 (the
    catalog stores paths as UTF-8 text), reported as they print with ``\\xNN`` for bad bytes."""
    found: list[Path] = []
    unusable: list[tuple[str, str]] = []
    extensions = set(loaders.supported_extensions())
    for path in paths:
        path = path.expanduser().resolve()
        if path.is_dir():
            found.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file()
                and p.suffix.lower() in extensions
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        elif path.is_file():
            found.append(path)
        else:
            unusable.append((printable_path(path), f"{printable_path(path)}: no such file or folder; check the path"))
    files = []
    for path in dict.fromkeys(found):
        shown = printable_path(path)
        if shown == str(path):
            files.append(path)
        else:
            unusable.append((shown, f"{shown}: the name is not valid UTF-8; rename it (e.g. with convmv) and add it again"))
    return files, unusable


def printable_path(path: Path) -> str:
    """``path`` as text; bytes of a name that are not UTF-8 (kept by Python as lone surrogates,
    which cannot be printed or stored) appear as ``\\xNN``."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def file_source(path: Path) -> Source:
    data = path.read_bytes()
    stat = path.stat()
    return Source(
        path=str(path),
        extension=path.suffix.lower(),
        size=stat.st_size,
        mtime=stat.st_mtime,
        content_hash=hashlib.sha256(data).hexdigest(),
        title=path.stem,
        parse=lambda: loaders.load(path),
    )


def document_source(source_id: str, title: str, document: ParsedDocument) -> Source:
    body = document.text
    return Source(
        path=source_id,
        extension="",
        size=len(body.encode("utf-8")),
        mtime=0.0,
        content_hash=hashlib.sha256(body.encode("utf-8")).hexdigest(),
        title=title,
        parse=lambda: document,
    )


def file_sources(files: list[Path], unusable: list[tuple[str, str]]) -> Iterator[Source | tuple[str, str]]:
    """What :meth:`ragkb.ingest.pipeline.Ingestor.run` takes: first the paths that cannot be ingested,
    as (path, why), then a :class:`Source` for each file, or (path, why) for one that cannot be read."""
    yield from unusable
    for path in files:
        try:
            yield file_source(path)
        except OSError as error:
            yield (str(path), f"{path.name}: cannot read ({error.strerror}); check its permissions")


def removed_paths(kb_paths: Iterable[str], roots: Iterable[Path]) -> list[str]:
    """Catalogued files under ``roots`` that no longer exist on disk (for ``--sync``)."""
    root_strings = [str(root.expanduser().resolve()) for root in roots]
    return [
        path
        for path in kb_paths
        if any(path == root or path.startswith(root.rstrip("/") + "/") for root in root_strings) and not Path(path).exists()
    ]
