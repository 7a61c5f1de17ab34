"""Generation: token by token with a KV cache, stop tokens, streamed text, and the calculator tool.

When the model closes a ``<calc>EXPR</calc>`` call, the calculator's result is fed to it as if it
had written ``=RESULT`` itself, so what follows builds on the right number. The visible text drops
the tags: ``<calc>3+5</calc>=8`` reads ``3+5=8``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import torch

from ragkb.lm.calculator import run_call
from ragkb.lm.model import KVCache, Transformer
from ragkb.lm.sampling import Sampling, next_token
from ragkb.lm.tokenizer import CALC_CLOSE, CALC_OPEN, END, EOS, Tokenizer


def visible(text: str) -> str:
    return text.replace(CALC_OPEN, "").replace(CALC_CLOSE, "")


@dataclass
class Stats:
    prompt_tokens: int = 0
    tokens: int = 0
    seconds: float = 0.0
    finish: str = "length"
    calls: list[dict[str, str]] = field(default_factory=list)

    @property
    def tokens_per_s(self) -> float:
        return round(self.tokens / self.seconds, 1) if self.seconds else 0.0


class Decoder:
    """One generation. Iterate :meth:`stream` for text pieces; :attr:`stats` afterwards."""

    def __init__(
        self,
        model: Transformer,
        tokenizer: Tokenizer,
        sampling: Sampling,
        *,
        calculator: bool = True,
        use_cache: bool = True,
        stop: tuple[str, ...] = (),
    ):
        self.model, self.tokenizer, self.sampling = model, tokenizer, sampling
        self.calculator, self.use_cache, self.stop = calculator, use_cache, stop
        self.stop_ids = {tokenizer.ids[END], tokenizer.ids[EOS]}
        self.stats = Stats()

    def token_ids(self, prompt: list[int]) -> Iterator[int]:
        """The generated ids (calculator results included), one at a time."""
        model = self.model
        limit = model.config.max_seq_len
        device = next(model.parameters()).device
        generator = torch.Generator().manual_seed(self.sampling.seed)
        context = list(prompt[-(limit - 1) :])
        self.stats.prompt_tokens = len(context)
        cache = KVCache(model.config.n_layers) if self.use_cache else None
        pending = context
        call_start: int | None = None
        model.eval()
        with torch.inference_mode():
            for _ in range(self.sampling.max_tokens):
                feed = pending if cache is not None else context
                logits = model(torch.tensor([feed], device=device), cache)[0, -1]
                token = next_token(logits, self.sampling, generator)
                if token in self.stop_ids:
                    self.stats.finish = "stop"
                    return
                context.append(token)
                pending = [token]
                yield token
                if token == self.tokenizer.ids[CALC_OPEN]:
                    call_start = len(context)
                elif token == self.tokenizer.ids[CALC_CLOSE] and call_start is not None and self.calculator:
                    expression = self.tokenizer.decode(context[call_start:-1])
                    result = run_call(expression)
                    self.stats.calls.append({"expression": expression, "result": result})
                    forced = self.tokenizer.encode("=" + result)
                    context += forced
                    pending = [token, *forced]
                    yield from forced
                    call_start = None
                if len(context) >= limit:
                    return

    def stream(self, prompt: list[int]) -> Iterator[str]:
        """Visible text as it grows; a piece never ends inside a UTF-8 character or a stop string."""
        started = time.perf_counter()
        ids: list[int] = []
        shown = ""
        try:
            for token in self.token_ids(prompt):
                ids.append(token)
                text = visible(self.tokenizer.decode(ids))
                cut = min((text.find(s) for s in self.stop if s in text), default=-1)
                if cut >= 0:
                    self.stats.finish = "stop"
                    if cut > len(shown):
                        yield text[len(shown) : cut]
                    return
                if text.endswith("\ufffd") or any(text.endswith(s[:i]) for s in self.stop for i in range(1, len(s))):
                    continue  # wait for the rest of the character or of a possible stop string
                if len(text) > len(shown):
                    yield text[len(shown) :]
                    shown = text
            text = visible(self.tokenizer.decode(ids)).rstrip("\ufffd")
            if len(text) > len(shown):  # held back for a stop string that never came
                yield text[len(shown) :]
        finally:
            self.stats.tokens = len(ids)
            self.stats.seconds = time.perf_counter() - started

    def text(self, prompt: list[int]) -> str:
        return "".join(self.stream(prompt))
