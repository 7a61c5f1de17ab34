"""A sentence-transformers model run by ONNX Runtime: ``onnx:<model>`` (fp32) or ``onnx:<model>@int8``.

The model is exported once, from the installed copy (:mod:`ragkb.index.onnx_export`), into
``Settings.model_cache`` (``~/.cache/ragkb/onnx/``, shared by every ragkb home); later runs load
only ONNX Runtime and the tokenizer, not torch. fp32 gives the model's own vectors (within 1e-7 of
sentence-transformers') for a quarter of the CPU time torch takes on 2 cores; int8 takes about half
of fp32's and moves the vectors a little (bench/RESULTS.md, "Ingest speed: ragkb vs a naive pipeline").

Texts are tokenized in one call, sorted by length and run in small batches (:data:`BATCH`) padded
only to their longest text. ONNX Runtime runs ``RAGKB_EMBED_THREADS`` threads, else one per core
the process may use, which do not spin while they wait: between batches they leave the cores to
the parser (on two cores, spinning threads burn the time the read-ahead thread needs).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from functools import lru_cache
from pathlib import Path

import numpy as np

from ragkb.config import Settings
from ragkb.errors import ConfigError
from ragkb.extras import MissingExtra, installed, require
from ragkb.index.embedders import guess_languages, model_location
from ragkb.index.onnx_export import CONFIG_FILE, EXPORT_VERSION, MODEL_FILE, TOKENIZER_FILE, export_model

PRECISIONS = ("fp32", "int8")
BATCH = 4
"""Texts per ONNX Runtime call. On 2 cores the CPU time per text grows with the batch (the bookworm
manual's 503 chunks, fp32: 6.3 s CPU in batches of 4, 6.7 of 8, 7.2 of 16, 9.0 of 64, 11.3 of 128;
int8: 3.0, 3.7 and 4.9 s in batches of 4, 16 and 64); texts are sorted by length first, so small
batches pad little too."""


class OnnxEmbedder:
    """``onnx:<model>[@int8]``: ``<model>`` as for ``sentence-transformers:`` (a folder, the bundled
    all-MiniLM-L6-v2, or a hub id downloaded before)."""

    def __init__(self, model: str, settings: Settings):
        for module in ("onnxruntime", "tokenizers"):
            if not installed(module):
                raise MissingExtra(module, f"the embedder onnx:{model}")
        source, _, precision = model.partition("@")
        precision = precision or "fp32"
        if precision not in PRECISIONS:
            raise ConfigError(f"unknown precision '{precision}' in onnx:{model}; use onnx:{source} or onnx:{source}@int8")
        self.name = f"onnx:{model}"
        self.languages = guess_languages(source)
        self._location = model_location(source)
        self._precision = precision
        self._folder = settings.model_cache / "onnx" / f"{_slug(source, self._location)}-{precision}"
        self._threads = settings.embed_threads or _cores()

    def embed(self, texts: list[str]) -> np.ndarray:
        if not (self._folder / CONFIG_FILE).exists():
            export_model(self._location, self._folder, self._precision)
        return _load(self._folder, self._threads).embed(texts, BATCH)


def _slug(model: str, location: str) -> str:
    """A folder name for a model: the last part of its name and a hash of where it is, when that
    folder last changed (a reinstalled model is exported again) and the export's version."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(model).name) or "model"
    changed = Path(location).stat().st_mtime_ns if Path(location).exists() else 0
    return f"{name}-{hashlib.sha256(f'{location} {changed} {EXPORT_VERSION}'.encode()).hexdigest()[:8]}"


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class _Session:
    """One loaded model: its ONNX Runtime session, tokenizer and exported settings."""

    def __init__(self, folder: Path, threads: int):
        ort = require("onnxruntime", "an ONNX embedder")
        tokenizers = require("tokenizers", "an ONNX embedder")
        self.config = json.loads((folder / CONFIG_FILE).read_text())
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(folder / MODEL_FILE), options, providers=["CPUExecutionProvider"])
        self.tokenizer = tokenizers.Tokenizer.from_file(str(folder / TOKENIZER_FILE))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(self.config["max_tokens"])

    def embed(self, texts: list[str], batch_size: int) -> np.ndarray:
        if self.config["lowercase"]:
            texts = [text.lower() for text in texts]
        encodings = self.tokenizer.encode_batch(texts)
        order = np.argsort([-len(encoding.ids) for encoding in encodings], kind="stable")
        vectors: np.ndarray | None = None
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            output = self.session.run(None, self._feed([encodings[row] for row in rows]))[0]
            if vectors is None:
                vectors = np.zeros((len(texts), output.shape[1]), dtype=np.float32)
            vectors[rows] = output
        if vectors is None:
            return np.zeros((0, 0), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1, norms)

    def _feed(self, encodings: list) -> dict[str, np.ndarray]:
        """The batch's inputs, padded to its longest text."""
        width = max(len(encoding.ids) for encoding in encodings)
        ids = np.full((len(encodings), width), self.config["pad_id"], dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        return {name: feed[name] for name in self.config["inputs"]}


@lru_cache(maxsize=4)
def _load(folder: Path, threads: int) -> _Session:
    return _Session(folder, threads)
