"""Context expansion: match small chunks, hand over their surroundings.

``window`` replaces a hit by the hit and its ``n`` neighbouring chunks on each side within the same
section (sentence-window retrieval); ``section`` by its whole section (parent-section retrieval). Both
stop growing at ``max_chars``, outward from the hit. Hits of the same section whose contexts touch
or overlap become one hit (at the better hit's rank and score) instead of repeating the same text;
the chunks' overlap is not repeated either.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from itertools import groupby
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from ragkb.catalog.schema import ChunkRow, FileRow
from ragkb.models import SearchHit
from ragkb.profiles import ContextKind


def join_overlapping(texts: Sequence[str], longest: int = 400) -> str:
    """Consecutive chunk texts joined, each dropping the start it shares with the end of the previous one."""
    joined = ""
    for text in texts:
        if joined:
            shared = next((n for n in range(min(longest, len(text), len(joined)), 0, -1) if joined.endswith(text[:n])), 0)
            text = text[shared:]
            joined += ("" if shared else "\n") + text
        else:
            joined = text
    return joined


def file_text(session: Session, kb_id: int, file_id: int) -> str | None:
    """A file's text as its chunks hold it, in order, without the overlap of neighbouring chunks;
    each section after a line with its headings (``# Title > Section``). ``None`` if the KB has no such file."""
    if session.scalar(select(FileRow.kb_id).where(FileRow.id == file_id)) != kb_id:
        return None
    rows = session.execute(
        select(ChunkRow.heading_path, ChunkRow.text).where(ChunkRow.file_id == file_id).order_by(ChunkRow.ordinal)
    ).all()
    sections = []
    for headings, chunks in groupby(rows, key=lambda row: list(row.heading_path or [])):
        text = join_overlapping([chunk.text for chunk in chunks])
        sections.append(f"# {' > '.join(headings)}\n\n{text}" if headings else text)
    return "\n\n".join(sections)


def _around(ordinals: list[int], centre: int, texts: dict[int, str], max_chars: int) -> list[int]:
    """The ordinals nearest ``centre`` (which is always kept) whose texts fit in ``max_chars``."""
    kept, used = [centre], len(texts[centre])
    for ordinal in sorted((o for o in ordinals if o != centre), key=lambda o: (abs(o - centre), o)):
        if used + len(texts[ordinal]) > max_chars:
            break
        kept.append(ordinal)
        used += len(texts[ordinal])
    return sorted(kept)


def expand(session: Session, hits: list[SearchHit], kind: ContextKind, window: int, max_chars: int) -> list[SearchHit]:
    if kind == "chunk" or not hits:
        return hits
    file_of = dict(
        session.execute(select(ChunkRow.id, ChunkRow.file_id).where(ChunkRow.id.in_([h.chunk_id for h in hits]))).all()
    )
    rows = session.execute(
        select(
            ChunkRow.file_id,
            ChunkRow.ordinal,
            ChunkRow.text,
            ChunkRow.heading_path,
            ChunkRow.page,
            ChunkRow.char_start,
            ChunkRow.char_end,
        ).where(ChunkRow.file_id.in_(set(file_of.values())))
    ).all()
    by_file: dict[int, dict[int, Row[Any]]] = defaultdict(dict)
    for row in rows:
        by_file[row.file_id][row.ordinal] = row
    groups: list[tuple[SearchHit, list[int], int]] = []  # (best hit, ordinals, file id), in rank order
    for hit in hits:
        file_id = file_of[hit.chunk_id]
        chunks = by_file[file_id]
        section = [o for o, row in chunks.items() if list(row.heading_path or []) == hit.section]
        if kind == "window":
            section = [o for o in section if abs(o - hit.ordinal) <= window]
        texts = {o: chunks[o].text for o in section}
        ordinals = _around(section, hit.ordinal, texts, max_chars)
        for index, (best, kept, group_file) in enumerate(groups):
            if (
                group_file == file_id
                and best.section == hit.section
                and ordinals[0] <= kept[-1] + 1
                and kept[0] <= ordinals[-1] + 1
            ):
                union = sorted(set(kept) | set(ordinals))
                groups[index] = (best, _around(union, best.ordinal, {o: chunks[o].text for o in union}, max_chars), group_file)
                break
        else:
            groups.append((hit, ordinals, file_id))
    expanded = []
    for best, ordinals, file_id in groups:
        parts = [by_file[file_id][o] for o in ordinals]
        expanded.append(
            best.model_copy(
                update={
                    "text": join_overlapping([c.text for c in parts]),
                    "page": next((c.page for c in parts if c.page is not None), best.page),
                    "ordinal": ordinals[0],
                    "char_start": min(c.char_start for c in parts),
                    "char_end": max(c.char_end for c in parts),
                    "scores": {**best.scores, "context_chunks": float(len(parts))},
                }
            )
        )
    return expanded
