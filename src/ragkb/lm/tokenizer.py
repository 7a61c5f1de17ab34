"""Byte-level BPE (the ``tokenizers`` library) with the chat and tool tokens.

Byte-level means every string round-trips exactly, Chinese included: text is split into UTF-8
bytes before merging, and decoding joins the bytes back. No normalizer runs, so nothing is changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from ragkb.extras import require

EOS = "<|endoftext|>"
SYSTEM, USER, ASSISTANT, END = "<|system|>", "<|user|>", "<|assistant|>", "<|end|>"
PAD = "<|pad|>"
CALC_OPEN, CALC_CLOSE = "<calc>", "</calc>"
SPECIAL_TOKENS = [EOS, PAD, SYSTEM, USER, ASSISTANT, END]
TOOL_TOKENS = [CALC_OPEN, CALC_CLOSE]
"""One token each so the generator sees a calculator call end; unlike the chat tokens, they decode as text."""


class Tokenizer:
    """A trained ``tokenizers.Tokenizer`` and the ids of its special tokens."""

    def __init__(self, inner):
        self.inner = inner
        self.ids = {token: inner.token_to_id(token) for token in SPECIAL_TOKENS + TOOL_TOKENS}
        if None in self.ids.values():
            raise ValueError("tokenizer lacks ragkb's special tokens; train it with `ragkb lm tokenizer`")

    @classmethod
    def load(cls, path: Path) -> Tokenizer:
        return cls(require("tokenizers", "ragkb lm").Tokenizer.from_file(str(path)))

    def save(self, path: Path) -> None:
        self.inner.save(str(path))

    @property
    def vocab_size(self) -> int:
        return self.inner.get_vocab_size()

    def encode(self, text: str) -> list[int]:
        """Ids of ``text``; special-token strings inside it are read as those tokens."""
        return self.inner.encode(text, add_special_tokens=False).ids

    def decode(self, ids: list[int]) -> str:
        """Text of ``ids``; chat tokens dropped, tool tokens kept as text."""
        return self.inner.decode(ids, skip_special_tokens=True)


def train_tokenizer(texts: Iterable[str], vocab_size: int = 16000, min_frequency: int = 2) -> Tokenizer:
    tokenizers = require("tokenizers", "ragkb lm tokenizer")
    from tokenizers import AddedToken, decoders, models, pre_tokenizers, trainers

    inner = tokenizers.Tokenizer(models.BPE())
    inner.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    inner.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    inner.train_from_iterator(_nonempty(texts), trainer=trainer)
    inner.add_tokens([AddedToken(token, special=False, normalized=False) for token in TOOL_TOKENS])
    return Tokenizer(inner)


def _nonempty(texts: Iterable[str]) -> Iterator[str]:
    return (text for text in texts if text.strip())
