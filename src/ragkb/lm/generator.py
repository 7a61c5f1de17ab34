"""``lm:<name>``: a model trained with ``ragkb lm`` as a ragkb generator (``ragkb ask -g lm:NAME``,
the OpenAI-compatible endpoint, the web UI), in the :class:`ragkb.llms.Generator` protocol."""

from __future__ import annotations

from collections.abc import Iterator

from ragkb.config import Settings
from ragkb.extras import require
from ragkb.lm.chat import render
from ragkb.lm.sampling import Sampling

SEED = 42
"""Fixed sampling seed, as for the other in-process models: the same prompt gets the same answer."""
MIN_ANSWER_TOKENS = 16


class LMChat:
    evidence_only = True
    """A small window: it sees only the sentences of each source that cover the question."""

    def __init__(self, model: str, settings: Settings):
        require("torch", "the lm: generator")
        from ragkb.lm.loading import load_model

        self.model, self.tokenizer, _ = load_model(model, settings)
        self.name = f"lm:{model}"
        self.context_window = self.model.config.max_seq_len
        self.languages = {"en", "zh"}

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer.encode(text))

    def stream(self, messages: list[dict[str, str]], *, max_tokens: int, temperature: float = 0.1) -> Iterator[str]:
        from ragkb.lm.generate import Decoder

        prompt, _ = render(self.tokenizer, messages, prompt=True)
        room = max(MIN_ANSWER_TOKENS, min(max_tokens, self.context_window - len(prompt) - 1))
        prompt = prompt[-(self.context_window - room - 1) :]  # too long: the end, where the question is, stays
        sampling = Sampling(temperature=temperature, top_k=40, top_p=0.95, max_tokens=room, seed=SEED)
        yield from Decoder(self.model, self.tokenizer, sampling).stream(prompt)
