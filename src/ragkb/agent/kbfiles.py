"""What the agent asks of a knowledge base: a file's text and tags, the files a search or a tag picks,
and keeping the catalog in step with what a plan changed (a moved file keeps its chunks and vectors)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from ragkb.catalog.schema import FileRow
from ragkb.ingest.loaders import supported_extensions
from ragkb.kb import KnowledgeBase
from ragkb.models import SearchHit
from ragkb.profiles import MAX_HITS, SearchOptions


def indexable(path: Path) -> bool:
    return path.suffix.lower() in supported_extensions()


class KBFiles:
    """One KB as the agent uses it; without a KB (``None``) there is nothing to read or keep in step."""

    def __init__(self, kb: KnowledgeBase | None) -> None:
        self.kb = kb

    def _row(self, path: Path) -> tuple[int, list[str]] | None:
        if self.kb is None:
            return None
        with self.kb.catalog.session() as session:
            row = session.execute(
                select(FileRow.id, FileRow.tags).where(FileRow.kb_id == self.kb.id, FileRow.path == str(path))
            ).first()
        return None if row is None else (row[0], list(row[1] or []))

    def tags(self, path: Path) -> list[str] | None:
        """The file's tags in the KB; ``None`` when the KB does not have the file."""
        row = self._row(path)
        return None if row is None else row[1]

    def text(self, path: Path) -> str | None:
        """The file's text as the KB read it (its chunks in order, tables included); ``None`` when the
        KB does not have the file, ``""`` when it found no text in it (a scan without a text layer)."""
        row = self._row(path)
        return None if row is None or self.kb is None else self.kb.file_text(row[0])

    def search(self, query: str, root: Path) -> dict[Path, SearchHit]:
        """Files below ``root`` whose text holds the query's words (BM25: a file without them is not
        returned, as a dense search would), with each file's best passage."""
        if self.kb is None:
            return {}
        options = SearchOptions(k=MAX_HITS, mode="sparse")
        best: dict[Path, SearchHit] = {}
        for hit in self.kb.retrieve(query, options).hits:
            path = Path(hit.file)
            if path.is_relative_to(root) and (path not in best or hit.score > best[path].score):
                best[path] = hit
        return best

    def tagged(self, tag: str, root: Path) -> list[Path]:
        """Files below ``root`` that have ``tag`` in the KB."""
        if self.kb is None:
            return []
        with self.kb.catalog.session() as session:
            rows = session.execute(select(FileRow.path, FileRow.tags).where(FileRow.kb_id == self.kb.id)).all()
        return sorted(Path(path) for path, tags in rows if tag in (tags or []) and Path(path).is_relative_to(root))

    # --- keeping the KB in step ---------------------------------------------------------------

    def moved(self, old: Path, new: Path) -> None:
        """A file moved: same loader, so its chunks stay under the new path; another loader (a new
        extension) reads it again."""
        if self.kb is None:
            return
        if old.suffix.lower() == new.suffix.lower():
            if not self.kb.move_file(old, new) and self._row(new) is not None:
                self.written(new)  # the KB had the file this one replaced, not this one
            return
        self.deleted(old)
        self.written(new)

    def written(self, path: Path) -> None:
        """A file was created or its content replaced: index it (unchanged text is not embedded again)."""
        if self.kb is not None and indexable(path):
            self.kb.add([path])

    def deleted(self, path: Path) -> None:
        if self.kb is not None and self._row(path) is not None:
            self.kb.remove([path])

    def set_tags(self, path: Path, tags: list[str]) -> None:
        """Give the file exactly ``tags``, indexing it first if the KB does not have it yet."""
        if self.kb is not None:
            self.kb.add([path], tags=tags)
