"""Where a knowledge base's uploaded files live: ``$RAGKB_HOME/kb-uploads/<kb id>/``, one folder per KB.

KB ids are never reused, so no two KBs ever share a folder (the old layout, ``uploads/<kb name
made safe>/``, mapped ``col?`` and ``col_`` to one folder). The new folders are not under
``uploads/``: any name there can be an old folder (a KB may well have been named ``kb-3``).

Files uploaded before this layout are adopted by their KB (:func:`adopt_legacy_uploads`): moved
into its folder, with the catalog's path updated so they stay indexed and re-indexable. The
server does that when it starts, and :meth:`KnowledgeBase.delete` first, so the CLI also removes
them. A data migration rather than a schema one: it moves files, which the catalog cannot.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from ragkb.catalog.schema import FileRow
from ragkb.index.context import KBContext

log = logging.getLogger("ragkb.uploads")

FOLDER = "kb-uploads"
LEGACY_FOLDER = "uploads"


def uploads_root(home: Path) -> Path:
    return home.expanduser().resolve() / FOLDER


def legacy_root(home: Path) -> Path:
    return home.expanduser().resolve() / LEGACY_FOLDER


def upload_folder(home: Path, kb_id: int) -> Path:
    """The folder holding the files uploaded to KB ``kb_id`` (created by the first upload)."""
    return uploads_root(home) / str(kb_id)


def remove_upload_folder(home: Path, kb_id: int) -> None:
    shutil.rmtree(upload_folder(home, kb_id), ignore_errors=True)


def adopt_legacy_uploads(kb: KBContext) -> int:
    """Move the KB's files from the old ``uploads/<name>/`` folders into its own folder and point
    its catalog rows there; returns how many rows moved. Idempotent, and safe to interrupt: a
    file moved whose row was not yet updated is found in the new folder by the next run.

    A path that other KBs list too stays where it is (two names mapped to one folder: which KB
    the file's last upload was for cannot be told), as does a file whose new place is taken.
    """
    home = kb.app_settings.home
    legacy, folder = legacy_root(home), upload_folder(home, kb.id)
    with kb.catalog.session() as session:
        mine = {
            path: row_id
            for row_id, path in _rows_under(session, legacy, FileRow.kb_id == kb.id)
            if Path(path).parent.parent == legacy
        }
        if not mine:
            return 0
        shared = {path for _, path in _rows_under(session, legacy, FileRow.kb_id != kb.id)}
        taken = {path for _, path in _rows_under(session, folder, FileRow.kb_id == kb.id)}
    moved = 0
    for path, row_id in mine.items():
        source = Path(path)
        target = folder / source.name
        if path in shared or str(target) in taken:
            continue
        if source.exists():
            if target.exists():
                log.warning("not moving %s: %s exists", source, target)
                continue
            folder.mkdir(parents=True, exist_ok=True)
            shutil.move(source, target)  # a rename, or a copy where uploads/ is on another disk
        with kb.catalog.session() as session:
            session.execute(update(FileRow).where(FileRow.id == row_id, FileRow.path == path).values(path=str(target)))
        _remove_if_empty(source.parent)
        moved += 1
    return moved


def _rows_under(session: Session, folder: Path, which: ColumnElement[bool]) -> list[tuple[int, str]]:
    """(id, path) of the file rows ``which`` picks whose path is in ``folder`` or below it."""
    prefix = f"{folder}/"
    rows = session.execute(select(FileRow.id, FileRow.path).where(which, FileRow.path.startswith(prefix, autoescape=True)))
    return [(row_id, path) for row_id, path in rows if path.startswith(prefix)]  # SQLite's LIKE ignores case


def _remove_if_empty(folder: Path) -> None:
    for empty in (folder, folder.parent):
        try:
            empty.rmdir()
        except OSError:  # not empty (or gone): keep it
            return
