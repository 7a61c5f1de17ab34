"""Where a trained model lives: ``$RAGKB_HOME/lm/<name>/``.

tokenizer.json            the byte-level BPE tokenizer
config.json               the ModelConfig
model.safetensors         the weights served (the last finished stage's)
model.json                which stage they come from
runs/<stage>/             per stage (pretrain, sft, reasoning): checkpoint/, final.safetensors,
                          log.json (steps, loss, validation perplexity, tokens/s), perplexity.png
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ragkb.config import Settings
from ragkb.errors import ConfigError
from ragkb.lm.config import ModelConfig, config_from_json
from ragkb.lm.tokenizer import Tokenizer
from ragkb.names import check_name

STAGES = ("pretrain", "sft", "reasoning")
BASE_OF = {"pretrain": (), "sft": ("pretrain",), "reasoning": ("sft", "pretrain")}
"""The stage whose weights a stage starts from, first found wins."""


@dataclass(frozen=True)
class ModelFolder:
    name: str
    path: Path

    @classmethod
    def of(cls, name: str, settings: Settings) -> ModelFolder:
        check_name("model", name)
        return cls(name, settings.home / "lm" / name)

    @property
    def tokenizer_path(self) -> Path:
        return self.path / "tokenizer.json"

    @property
    def config_path(self) -> Path:
        return self.path / "config.json"

    @property
    def weights(self) -> Path:
        return self.path / "model.safetensors"

    def run(self, stage: str) -> Path:
        return self.path / "runs" / stage

    def tokenizer(self) -> Tokenizer:
        if not self.tokenizer_path.is_file():
            raise ConfigError(f"model '{self.name}' has no tokenizer; run: ragkb lm tokenizer CORPUS... --name {self.name}")
        return Tokenizer.load(self.tokenizer_path)

    def config(self) -> ModelConfig:
        if not self.config_path.is_file():
            raise ConfigError(f"model '{self.name}' is not trained yet; run: ragkb lm pretrain --name {self.name}")
        return config_from_json(self.config_path.read_text(encoding="utf-8"))

    def base_weights(self, stage: str) -> Path:
        """The finished weights a stage starts from."""
        for base in BASE_OF[stage]:
            final = self.run(base) / "final.safetensors"
            if final.is_file():
                return final
        raise ConfigError(f"model '{self.name}' has no pretrained weights; run: ragkb lm pretrain --name {self.name}")

    def finish(self, stage: str, log: list[dict[str, Any]], meta: dict[str, Any]) -> None:
        """Publish a stage's final weights as the model's and write its log."""
        run = self.run(stage)
        (run / "log.json").write_text(json.dumps(log, ensure_ascii=False), encoding="utf-8")
        shutil.copyfile(run / "final.safetensors", self.weights.with_suffix(".partial"))
        self.weights.with_suffix(".partial").replace(self.weights)
        (self.path / "model.json").write_text(json.dumps({"stage": stage, **meta}, ensure_ascii=False), encoding="utf-8")

    def meta(self) -> dict[str, Any]:
        path = self.path / "model.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def trained_models(settings: Settings) -> list[str]:
    root = settings.home / "lm"
    return sorted(p.name for p in root.iterdir() if (p / "model.safetensors").is_file()) if root.is_dir() else []
