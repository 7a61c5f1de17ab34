"""The training stages: pretraining on plain text, then fine-tuning on conversations (``sft``) and
on reasoning in the CoT template (``reasoning``). Each resumes from its own checkpoint."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch

from ragkb.errors import ConfigError
from ragkb.lm.chat import render
from ragkb.lm.checkpoint import load_weights, save_weights
from ragkb.lm.config import ModelConfig, load_config
from ragkb.lm.data import Examples, split, windows
from ragkb.lm.model import Transformer
from ragkb.lm.plot import plot_perplexity
from ragkb.lm.sft_data import Conversation
from ragkb.lm.store import ModelFolder
from ragkb.lm.tokenizer import EOS, PAD
from ragkb.lm.train import Trainer, TrainSettings

OnStep = Callable[[dict[str, Any]], None]
VAL_FRACTION = 0.05


def pretrain(
    folder: ModelFolder,
    texts: Iterable[str],
    *,
    config: str,
    settings: TrainSettings,
    device: torch.device,
    fresh: bool = False,
    on_step: OnStep | None = None,
) -> dict[str, Any]:
    """Train from random weights (or the checkpoint) on ``texts``, each ended by ``<|endoftext|>``."""
    tokenizer = folder.tokenizer()
    checkpoint = folder.run("pretrain") / "checkpoint"
    resuming = not fresh and (checkpoint / "state.json").is_file()
    model_config = folder.config() if resuming else load_config(config, tokenizer.vocab_size)
    if not resuming:
        folder.config_path.write_text(model_config.to_json(), encoding="utf-8")
    stream: list[int] = []
    for text in texts:
        stream += [*tokenizer.encode(text), tokenizer.ids[EOS]]
    sequences: list[tuple[list[int], list[bool] | None]] = windows(stream, model_config.max_seq_len)
    if len(sequences) < 2:
        raise ConfigError(
            f"the corpus is {len(stream)} tokens, too short for two sequences of {model_config.max_seq_len}; give more text"
        )
    return _train(
        folder, "pretrain", model_config, sequences, None, settings, device, fresh, on_step, {"corpus_tokens": len(stream)}
    )


def finetune(
    folder: ModelFolder,
    conversations: list[Conversation],
    *,
    reasoning: bool,
    settings: TrainSettings,
    device: torch.device,
    fresh: bool = False,
    on_step: OnStep | None = None,
) -> dict[str, Any]:
    """Fine-tune the pretrained (or, for reasoning, the fine-tuned) weights, the loss on assistant tokens only."""
    stage = "reasoning" if reasoning else "sft"
    tokenizer, model_config = folder.tokenizer(), folder.config()
    span = model_config.max_seq_len + 1
    sequences: list[tuple[list[int], list[bool] | None]] = []
    for messages in conversations:
        ids, mask = render(tokenizer, messages)
        sequences.append((ids[:span], mask[:span]))
    base = folder.base_weights(stage)
    return _train(
        folder, stage, model_config, sequences, base, settings, device, fresh, on_step, {"conversations": len(sequences)}
    )


def _train(
    folder: ModelFolder,
    stage: str,
    model_config: ModelConfig,
    sequences: list[tuple[list[int], list[bool] | None]],
    base: Path | None,
    settings: TrainSettings,
    device: torch.device,
    fresh: bool,
    on_step: OnStep | None,
    extra: dict[str, Any],
) -> dict[str, Any]:
    pad = folder.tokenizer().ids[PAD]
    train, val = split(sequences, VAL_FRACTION, seed=settings.seed)
    torch.manual_seed(settings.seed)
    model = Transformer(model_config)
    if base is not None:
        load_weights(model, base)
    run = folder.run(stage)
    run.mkdir(parents=True, exist_ok=True)
    trainer = Trainer(model, Examples(train, pad), Examples(val, pad), settings, run / "checkpoint", device)
    resumed_at = trainer.step if not fresh and trainer.resume() else 0
    started, first_step = time.perf_counter(), trainer.step
    log = trainer.run(on_step)
    seconds = time.perf_counter() - started
    save_weights(trainer.model, run / "final.safetensors")
    folder.finish(stage, log, {"config": asdict(model_config)})
    trained = log[first_step:]
    validated = [e["val_perplexity"] for e in log if e.get("val_perplexity") is not None]
    return {
        "name": folder.name,
        "stage": stage,
        "parameters": model.parameter_count(),
        "device": str(device),
        "precision": trainer.precision,
        "threads": torch.get_num_threads(),
        "resumed_at": resumed_at,
        "train_sequences": len(train),
        "val_sequences": len(val),
        **extra,
        "steps": trainer.step,
        "seconds": round(seconds, 1),
        "tokens_per_s": round(sum(e["tokens"] for e in trained) / seconds, 1) if seconds and trained else 0.0,
        "final_loss": log[-1]["loss"] if log else None,
        "val_perplexity": validated[-1] if validated else None,
        "plot": str(plot_perplexity(log, run / "perplexity.png", f"{folder.name}: {stage}")) if log else None,
        "log": log,
    }
