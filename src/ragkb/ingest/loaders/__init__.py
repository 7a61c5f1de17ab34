"""Loaders turn one file into a :class:`~ragkb.models.ParsedDocument`.

Each format lives in its own module; a loader is a function ``Path → ParsedDocument`` declared for
its file extension (with the leading dot) as an entry point in the ``ragkb.loaders`` group, ragkb's
own in its pyproject.toml like a third party's (docs/plugins.md). A format's module, and the parser
library it needs, is imported only when a file of that type is loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ragkb.errors import LoaderError, UnsupportedFormat
from ragkb.models import ParsedDocument
from ragkb.plugins import Registry

Loader = Callable[[Path], ParsedDocument]

MAX_FILE_BYTES = 200 * 1024 * 1024

LOADERS: Registry[Loader] = Registry("loaders", noun="file type", usage="supported:")


def supported_extensions() -> list[str]:
    return LOADERS.names()


def load(path: Path) -> ParsedDocument:
    """Parse ``path`` with the loader for its extension.

    Raises :class:`LoaderError` (one line, says what to do) for anything wrong with the file.
    """
    extension = path.suffix.lower()
    if extension not in LOADERS:
        raise UnsupportedFormat(
            f"{path.name}: unsupported file type '{extension or '(none)'}'; supported: {', '.join(supported_extensions())}"
        )
    size = path.stat().st_size
    if size == 0:
        raise LoaderError(f"{path.name}: file is empty")
    if size > MAX_FILE_BYTES:
        raise LoaderError(
            f"{path.name}: file is {size / 2**20:.0f} MiB, over the {MAX_FILE_BYTES / 2**20:.0f} MiB limit; split it first"
        )
    loader = LOADERS.get(extension)  # outside the try: a plugin that fails to import is not a corrupt file
    try:
        document = loader(path)
    except LoaderError:
        raise
    except Exception as error:  # a parser library choking on a corrupt file
        raise LoaderError(
            f"{path.name}: cannot parse as {extension} ({type(error).__name__}: {error}); is the file corrupt?"
        ) from error
    if not any(block.text.strip() for block in document.blocks):
        raise LoaderError(f"{path.name}: no text found (scanned image or empty document?)")
    return document
