"""Where training and generation run: CUDA when present, else the CPU; bf16 autocast only where
the hardware computes in it (a CUDA GPU that supports it; on a CPU without AMX bf16 is slower)."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext

import torch


def pick_device(requested: str | None = None) -> torch.device:
    if requested:
        return torch.device(requested)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def autocast(device: torch.device) -> AbstractContextManager:
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return nullcontext()


def precision(device: torch.device) -> str:
    return "bf16" if device.type == "cuda" and torch.cuda.is_bf16_supported() else "fp32"
