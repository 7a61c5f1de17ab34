"""Checkpoints as safetensors (no pickle to load): weights, the optimizer's moments, the random
generators, and a JSON of the rest (step, learning-rate schedule, data position, log)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import nn

MODEL, OPTIMIZER, RNG, STATE = "model.safetensors", "optimizer.safetensors", "rng.safetensors", "state.json"


def save_weights(model: nn.Module, path: Path) -> None:
    tensors = {name: tensor.detach().contiguous().cpu() for name, tensor in model.state_dict().items()}
    temporary = path.with_suffix(".partial")
    save_file(tensors, str(temporary))
    os.replace(temporary, path)


def load_weights(model: nn.Module, path: Path) -> None:
    model.load_state_dict(load_file(str(path), device=str(next(model.parameters()).device)))


def save_checkpoint(folder: Path, model: nn.Module, optimizer: torch.optim.Optimizer, state: dict[str, Any]) -> None:
    """Written into a fresh folder that then replaces the old one: a kill leaves one whole checkpoint."""
    partial = folder.with_name(folder.name + ".partial")
    partial.mkdir(parents=True, exist_ok=True)
    save_weights(model, partial / MODEL)
    moments, groups = _flatten_optimizer(optimizer)
    save_file(moments, str(partial / OPTIMIZER))
    rng = {"cpu": torch.get_rng_state()}
    if torch.cuda.is_available():
        rng |= {f"cuda{i}": s for i, s in enumerate(torch.cuda.get_rng_state_all())}
    save_file(rng, str(partial / RNG))
    (partial / STATE).write_text(json.dumps({**state, "param_groups": groups}), encoding="utf-8")
    old = folder.with_name(folder.name + ".old")
    if folder.exists():
        folder.rename(old)
    partial.rename(folder)
    if old.exists():
        for child in old.iterdir():
            child.unlink()
        old.rmdir()


def load_checkpoint(folder: Path, model: nn.Module, optimizer: torch.optim.Optimizer) -> dict[str, Any]:
    """Restore weights, optimizer and random generators; returns the JSON state."""
    load_weights(model, folder / MODEL)
    state = json.loads((folder / STATE).read_text(encoding="utf-8"))
    # moments go to the parameters' device in load_state_dict; the step counters stay on the CPU as AdamW keeps them
    optimizer.load_state_dict(_unflatten_optimizer(load_file(str(folder / OPTIMIZER)), state.pop("param_groups")))
    rng = load_file(str(folder / RNG))
    torch.set_rng_state(rng["cpu"])
    if torch.cuda.is_available():
        torch.cuda.set_rng_state_all([rng[key] for key in sorted(rng) if key.startswith("cuda")])
    return state


def _flatten_optimizer(optimizer: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], list[dict]]:
    saved = optimizer.state_dict()
    tensors = {
        f"{index}.{key}": (value if torch.is_tensor(value) else torch.tensor(value)).detach().contiguous().cpu()
        for index, slots in saved["state"].items()
        for key, value in slots.items()
    }
    return tensors, saved["param_groups"]


def _unflatten_optimizer(tensors: dict[str, torch.Tensor], groups: list[dict]) -> dict[str, Any]:
    state: dict[int, dict[str, torch.Tensor]] = {}
    for name, tensor in tensors.items():
        index, key = name.split(".", 1)
        state.setdefault(int(index), {})[key] = tensor
    return {"state": state, "param_groups": groups}
