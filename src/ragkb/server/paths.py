"""File paths as HTTP clients see them: never the server's own folders.

The catalog holds absolute paths (the CLI, a local user, shows them as they are). Over HTTP an
uploaded file is its upload name, and a file added from a folder on the server is its path
relative to that folder: the folder holding every such file of the KB (``ragkb add ~/docs`` gives
``sub/a.md``). Error texts lose the same prefixes, and ``$RAGKB_HOME`` stands for the home.
A path filter (``filters.paths``) matches those relative paths too: relative globs match at any depth.
"""

from __future__ import annotations

import os
import re
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import select

from ragkb.catalog.schema import FileRow, KnowledgeBaseRow
from ragkb.kb import KnowledgeBase
from ragkb.uploads import legacy_root, uploads_root

PATH_KEYS = frozenset({"file", "path"})
PATH_LIST_KEYS = frozenset({"added", "updated", "skipped", "removed"})
TEXT_KEYS = frozenset({"error", "detail", "message"})

_roots: dict[tuple[str, int], tuple[int, PurePosixPath | None]] = {}
"""(catalog URL, KB id) → (KB revision, the folder its files were added from)."""


class PublicPaths:
    """How paths look to HTTP clients, for one KB (``kb``) or the server at large (errors)."""

    def __init__(self, home: Path, kb: KnowledgeBase | None = None):
        self.home = home.expanduser().resolve()
        self.kb = kb
        self.upload_roots = (PurePosixPath(uploads_root(home)), PurePosixPath(legacy_root(home)))
        folders = "|".join(re.escape(str(root)) for root in self.upload_roots)
        self._uploaded = re.compile(rf"(?:{folders})/[^/]+/")

    @classmethod
    def of(cls, kb: KnowledgeBase) -> PublicPaths:
        return cls(kb.app_settings.home, kb)

    @cached_property
    def root(self) -> PurePosixPath | None:
        """The folder the KB's files on this machine (not its uploads) were added from."""
        return added_from(self.kb, self.upload_roots) if self.kb is not None else None

    def path(self, path: str) -> str:
        pure = PurePosixPath(path)
        if not pure.is_absolute():
            return path  # a source id of a document added from Python
        uploaded = any(pure.is_relative_to(root) for root in self.upload_roots)
        if not uploaded and self.root is not None and pure.is_relative_to(self.root):
            return pure.relative_to(self.root).as_posix()
        return pure.name

    def text(self, text: str, path: str | None = None) -> str:
        """An error message without server paths; ``path``: the file it is about."""
        if path and PurePosixPath(path).is_absolute():
            text = text.replace(path, self.path(path))
        text = self._uploaded.sub("", text)
        if self.root is not None and self.root.parent != self.root:  # never strip a bare "/"
            text = text.replace(f"{self.root}/", "")
        return text.replace(str(self.home), "$RAGKB_HOME")

    def body(self, value: Any) -> Any:
        """A response body (dicts and lists, as JSON) with every path field and error text public:
        ``file``/``path`` fields, a report's ``added``…``removed`` lists, ``error``/``detail`` texts."""
        if isinstance(value, list):
            return [self.body(item) for item in value]
        if not isinstance(value, dict):
            return value
        public: dict[str, Any] = {}
        for key, item in value.items():
            if key in PATH_KEYS and isinstance(item, str):
                public[key] = self.path(item)
            elif key in PATH_LIST_KEYS and isinstance(item, list):
                public[key] = [self.path(p) if isinstance(p, str) else p for p in item]
            elif key in TEXT_KEYS and isinstance(item, str):
                public[key] = self.text(item, value.get("path"))
            else:
                public[key] = self.body(item)
        return public


def added_from(kb: KnowledgeBase, upload_roots: tuple[PurePosixPath, ...]) -> PurePosixPath | None:
    """The deepest folder holding every file of the KB that was not uploaded (``None``: none
    was), read again only when the KB changed."""
    key = (kb.catalog.url, kb.id)
    with kb.catalog.session() as session:
        revision = session.scalar(select(KnowledgeBaseRow.revision).where(KnowledgeBaseRow.id == kb.id)) or 0
        cached = _roots.get(key)
        if cached is not None and cached[0] == revision:
            return cached[1]
        folders = [
            PurePosixPath(path).parent
            for path in session.scalars(select(FileRow.path).where(FileRow.kb_id == kb.id))
            if path.startswith("/") and not any(PurePosixPath(path).is_relative_to(root) for root in upload_roots)
        ]
    root = PurePosixPath(os.path.commonpath(folders)) if folders else None
    _roots[key] = (revision, root)
    return root
