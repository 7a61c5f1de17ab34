"""Where training and generation run: CUDA when present, else the CPU; bf16 autocast only where
the hardware computes in it (a CUDA GPU that supports it; on a CPU without AMX bf16 is slower)."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext

import torch

from ragkb.errors import ConfigError


def pick_device(requested: str | None = None) -> torch.device:
    if not requested:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(requested)
    except RuntimeError:
        raise ConfigError(f"unknown device '{requested}'; use cpu, cuda or cuda:N") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device '{requested}' asked for, but torch sees no CUDA GPU here; use --device cpu")
    return device


def autocast(device: torch.device) -> AbstractContextManager:
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return nullcontext()


def precision(device: torch.device) -> str:
    return "bf16" if device.type == "cuda" and torch.cuda.is_bf16_supported() else "fp32"
