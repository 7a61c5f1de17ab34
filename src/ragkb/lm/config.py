"""A model's shape: one :class:`ModelConfig`, from a preset or a JSON/TOML file."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

from ragkb.errors import ConfigError


@dataclass(frozen=True)
class ModelConfig:
    vocab_size: int = 16000
    dim: int = 512
    n_layers: int = 8
    n_heads: int = 8
    n_kv_heads: int = 2
    """Grouped-query attention: each key/value head serves ``n_heads // n_kv_heads`` query heads."""
    hidden_dim: int = 1408
    """SwiGLU's inner width (about 8/3 of ``dim``, a multiple of 64)."""
    max_seq_len: int = 512
    rope_theta: float = 10000.0
    norm_eps: float = 1e-5

    def __post_init__(self) -> None:
        if self.dim % self.n_heads or self.n_heads % self.n_kv_heads:
            raise ConfigError(
                f"model config: dim ({self.dim}) must divide by n_heads ({self.n_heads}) and n_heads by n_kv_heads ({self.n_kv_heads})"
            )
        if (self.dim // self.n_heads) % 2:
            raise ConfigError("model config: the head size (dim / n_heads) must be even for RoPE")

    @property
    def head_dim(self) -> int:
        return self.dim // self.n_heads

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)


PRESETS: dict[str, ModelConfig] = {
    "tiny": ModelConfig(dim=64, n_layers=2, n_heads=4, n_kv_heads=2, hidden_dim=192, max_seq_len=128),
    "5m": ModelConfig(dim=192, n_layers=4, n_heads=6, n_kv_heads=2, hidden_dim=512, max_seq_len=256),
    "20m": ModelConfig(dim=384, n_layers=6, n_heads=6, n_kv_heads=2, hidden_dim=1024, max_seq_len=512),
    "40m": ModelConfig(dim=512, n_layers=8, n_heads=8, n_kv_heads=2, hidden_dim=1408, max_seq_len=512),
    "100m": ModelConfig(dim=768, n_layers=12, n_heads=12, n_kv_heads=4, hidden_dim=2048, max_seq_len=1024),
}
"""Sizes with the default 16k vocabulary: tiny ≈ 1M parameters (tests), then about 5M, 20M, 40M and 100M."""


def load_config(source: str, vocab_size: int) -> ModelConfig:
    """A preset name or a ``.json``/``.toml`` file of :class:`ModelConfig` fields; the vocabulary
    size always comes from the tokenizer the model is trained with."""
    if source in PRESETS:
        return replace(PRESETS[source], vocab_size=vocab_size)
    path = Path(source)
    if not path.is_file():
        raise ConfigError(f"no preset or config file '{source}'; use one of {', '.join(PRESETS)} or a .json/.toml file")
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".toml":
        if sys.version_info < (3, 11):
            raise ConfigError("TOML model configs need Python 3.11; write the config as JSON")
        import tomllib

        data = tomllib.loads(text)
    else:
        data = json.loads(text)
    known = {field.name for field in fields(ModelConfig)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"{path}: unknown model config field(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    return ModelConfig(**{**data, "vocab_size": vocab_size})


def config_from_json(text: str) -> ModelConfig:
    return ModelConfig(**json.loads(text))
