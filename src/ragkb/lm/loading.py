"""A trained model loaded for generation, kept in memory while its weights file is unchanged."""

from __future__ import annotations

from functools import lru_cache

import torch

from ragkb.config import Settings
from ragkb.errors import ConfigError
from ragkb.lm.checkpoint import load_weights
from ragkb.lm.device import pick_device
from ragkb.lm.model import Transformer
from ragkb.lm.store import ModelFolder
from ragkb.lm.tokenizer import Tokenizer


def load_model(name: str, settings: Settings, device: str | None = None) -> tuple[Transformer, Tokenizer, ModelFolder]:
    folder = ModelFolder.of(name, settings)
    if not folder.weights.is_file():
        raise ConfigError(f"no trained model '{name}' in {folder.path.parent}; run: ragkb lm pretrain --name {name}")
    chosen = str(pick_device(device))
    model, tokenizer = _load(str(folder.path), folder.weights.stat().st_mtime_ns, chosen)
    return model, tokenizer, folder


@lru_cache(maxsize=2)
def _load(path: str, mtime_ns: int, device: str) -> tuple[Transformer, Tokenizer]:
    from pathlib import Path

    folder = ModelFolder(Path(path).name, Path(path))
    model = Transformer(folder.config())
    load_weights(model, folder.weights)
    model = model.to(torch.device(device)).eval()
    return model, folder.tokenizer()
