"""Loaders turn one file into a :class:`~ragkb.models.ParsedDocument`.

Each format lives in its own module and registers itself for its file extensions with
:func:`register`. Third-party packages can add loaders through the ``ragkb.loaders`` entry
point group: the entry point must name a module that calls :func:`register` on import.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from importlib.metadata import entry_points
from pathlib import Path

from ragkb.errors import LoaderError, UnsupportedFormat
from ragkb.models import ParsedDocument

Loader = Callable[[Path], ParsedDocument]

MAX_FILE_BYTES = 200 * 1024 * 1024

_LOADERS: dict[str, Loader] = {}
_BUILTIN_MODULES = ("text", "markdown", "html", "docx", "pdf", "tabular", "jsonl")
_loaded = False


def register(*extensions: str) -> Callable[[Loader], Loader]:
    """Decorator: register ``loader`` for the given extensions (with the leading dot)."""

    def decorator(loader: Loader) -> Loader:
        for extension in extensions:
            _LOADERS[extension.lower()] = loader
        return loader

    return decorator


def _ensure_loaded() -> None:
    global _loaded
    if _loaded:
        return
    for name in _BUILTIN_MODULES:
        import_module(f"{__name__}.{name}")
    for entry_point in entry_points(group="ragkb.loaders"):
        entry_point.load()
    _loaded = True


def supported_extensions() -> list[str]:
    _ensure_loaded()
    return sorted(_LOADERS)


def load(path: Path) -> ParsedDocument:
    """Parse ``path`` with the loader for its extension.

    Raises :class:`LoaderError` (one line, says what to do) for anything wrong with the file.
    """
    _ensure_loaded()
    extension = path.suffix.lower()
    loader = _LOADERS.get(extension)
    if loader is None:
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
