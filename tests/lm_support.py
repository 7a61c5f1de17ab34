"""Tiny models and tokenizers for the tests of ragkb.lm (seconds on a CPU)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
import torch

from ragkb.lm.config import PRESETS, ModelConfig
from ragkb.lm.model import Transformer
from ragkb.lm.tokenizer import Tokenizer, train_tokenizer

TEXTS = [
    "The router restarts when the reset button is held for ten seconds. Annual leave is fifteen days.",
    "员工每年享有十五天带薪年假。病假需提供医院证明。路由器按住复位键十秒后重启。",
    "小明有3个苹果，又买了5个，一共有8个苹果。 Tom has 4 pens and buys 6 more: 10 pens.",
] * 20


def tiny_config(vocab_size: int, **changes) -> ModelConfig:
    return replace(PRESETS["tiny"], vocab_size=vocab_size, **changes)


def tiny_model(vocab_size: int = 64, seed: int = 0, **changes) -> Transformer:
    torch.manual_seed(seed)
    return Transformer(tiny_config(vocab_size, **changes))


def tiny_tokenizer() -> Tokenizer:
    return train_tokenizer(TEXTS, vocab_size=400)


@pytest.fixture(autouse=True)
def one_torch_thread() -> Iterator[None]:
    """Tiny models train many times faster on one thread than on two cores others are using too."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
