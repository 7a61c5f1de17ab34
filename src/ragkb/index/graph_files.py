"""Where one KB's HNSW graph is persisted: ``kb-<id>.usearch`` and the JSON state beside it in
``<catalog>-vectors/`` (:class:`GraphFiles`), or, for an in-memory catalog, in memory
(:class:`MemoryFiles`). :mod:`ragkb.index.ann` decides when to save and what to load.

usearch 2.26.0 corrupts memory and aborts the process when it loads a graph that was saved with
removed entries in it (``count_deleted`` in the file's header; a KB that lost a third of its
vectors was enough). So :mod:`ragkb.index.ann` never saves one (see ``_apply_changes``), and
:meth:`GraphFiles.load` treats such a file, written by an earlier ragkb, as damaged.
"""

from __future__ import annotations

import fcntl
import itertools
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from usearch.index import Index

CONNECTIVITY = 16
EXPANSION_ADD = 128
EXPANSION_SEARCH = 1024
"""HNSW parameters. Recall@10 against exact search (bench/vector_scale.py, bench/RESULTS.md
section 10): 0.998 with expansion_search 128 on real MiniLM vectors of the bundled datasets; on
clustered synthetic vectors 0.982 with 256 at 200k; at 1M two builds of the same vectors gave
0.957 / 0.938 with 512 and 0.969 / 0.958 with 1024 (multi-threaded insertion makes each graph a
little different), so 1024 (6 ms of CPU a query) keeps recall above 0.95 up to 1M."""
INSERT_THREADS = 1
"""Threads for adding vectors to a graph. usearch 2.26 inserting on several threads leaves some
entries unreachable: a search for such a vector itself, even with expansion_search 1024, returns
another one (on 1,240 clustered vectors, 29 of 100 builds on all cores lost up to 12 entries; 0
of 100 on one thread). Every vector must stay findable, so the graph is built on one thread."""
FORMAT = 1


@dataclass
class GraphState:
    """What a persisted graph reflects (the JSON beside it)."""

    format: int
    kb_created: str
    ndim: int
    max_id: int
    log_seq: int
    revision: int
    trimmed: int = 0
    """Deletion log entries at or before this position may be gone."""
    garbage: int = 0
    """Entries of deleted chunks kept under keys from :data:`GARBAGE` on (see ``_apply_changes``)."""
    size: int = 0
    """Vectors it holds (its live entries)."""


GARBAGE = 2**63
"""First key of the entries that stand for nothing; chunk ids stay below it."""


@dataclass
class Generation:
    """One persisted graph, loaded: never changed once searches can see it."""

    index: Index
    state: GraphState
    stamp: object
    """Identity of the save it came from (:meth:`GraphFiles.stamp`)."""
    lock: threading.Lock = field(default_factory=threading.Lock)
    """usearch searches of one index are not safe from several threads at once."""

    def copy(self) -> Generation:
        return Generation(self.index.copy(), replace(self.state), self.stamp)


def new_index(ndim: int) -> Index:
    return Index(
        ndim=ndim,
        metric="ip",
        dtype="f32",
        connectivity=CONNECTIVITY,
        expansion_add=EXPANSION_ADD,
        expansion_search=EXPANSION_SEARCH,
    )


def _write_durably(path: Path, write) -> None:
    """``write(partial)``, synced, then renamed over ``path``: the deletion log is trimmed after."""
    partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    write(partial)
    with open(partial, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(partial, path)


class GraphFiles:
    """A KB's graph on disk; a saver holds :meth:`exclusive`, readers need no lock."""

    def __init__(self, folder: Path, kb_id: int):
        self.folder = folder
        self.kb_id = kb_id
        self.graph_path = folder / f"kb-{kb_id}.usearch"
        self.state_path = folder / f"kb-{kb_id}.json"

    def stamp(self) -> tuple | None:
        """Changes with every save (the state file is replaced, never rewritten in place)."""
        try:
            stat = self.state_path.stat()
        except OSError:
            return None
        return stat.st_ino, stat.st_mtime_ns, stat.st_size

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """One saver at a time, across processes (so a save never replaces a newer graph)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / "lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes
            for partial in self.folder.glob(f"kb-{self.kb_id}.*.tmp"):  # left by a killed saver
                partial.unlink(missing_ok=True)
            yield

    def read_state(self) -> tuple[GraphState, tuple | None] | None:
        stamp = self.stamp()
        try:
            state = GraphState(**json.loads(self.state_path.read_text()))
        except (OSError, ValueError, TypeError):
            return None
        return (state, stamp) if state.format == FORMAT else None

    def load(self, kb_created: str) -> Generation | None:
        """The persisted graph; ``None`` when missing, damaged or another catalog's.

        The state is read before the graph: a saver replaces the graph first, so the graph read
        is at or ahead of its state, and a delta taken from that state only repeats changes the
        graph has (harmless: the delta scores ids the graph holds again)."""
        found = self.read_state()
        if found is None or found[0].kb_created != kb_created:
            return None
        try:
            header = Index.metadata(str(self.graph_path))
            if header is None or header["count_deleted"]:  # would abort the process (module doc)
                return None
            index = new_index(found[0].ndim)
            index.load(str(self.graph_path))
            # usearch declares this property's setter apart from its getter, which mypy reads as read-only
            index.expansion_search = EXPANSION_SEARCH  # type: ignore[misc]
        except (OSError, ValueError, RuntimeError):
            return None  # partial or corrupt: rebuilt from SQLite
        return Generation(index, found[0], found[1])

    def save(self, generation: Generation) -> None:
        _write_durably(self.graph_path, lambda partial: generation.index.save(str(partial)))
        _write_durably(self.state_path, lambda partial: partial.write_text(json.dumps(asdict(generation.state))))
        generation.stamp = self.stamp()

    def remove(self) -> None:
        self.graph_path.unlink(missing_ok=True)
        self.state_path.unlink(missing_ok=True)


class MemoryFiles:
    """The same for a catalog that has no folder (in-memory SQLite): the saved generation is
    kept, and loading hands out a copy for the writer to change."""

    _saves = itertools.count(1)

    def __init__(self) -> None:
        self.saved: Generation | None = None
        self._lock = threading.Lock()

    def stamp(self) -> object:
        return self.saved.stamp if self.saved else None

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._lock:
            yield

    def read_state(self) -> tuple[GraphState, object] | None:
        saved = self.saved
        return (saved.state, saved.stamp) if saved else None

    def load(self, kb_created: str) -> Generation | None:
        saved = self.saved
        return saved.copy() if saved and saved.state.kb_created == kb_created else None

    def save(self, generation: Generation) -> None:
        generation.stamp = next(self._saves)
        self.saved = generation

    def remove(self) -> None:
        self.saved = None


def graph_files(folder: Path | None, kb_id: int) -> GraphFiles | MemoryFiles:
    return MemoryFiles() if folder is None else GraphFiles(folder, kb_id)
