"""The chat template, and which tokens of a conversation the fine-tuning loss is on.

    <|system|>…<|end|><|user|>…<|end|><|assistant|>…<|end|>

Only the assistant's text and its closing ``<|end|>`` count in the loss: the model learns to answer
and to stop, never to write the user's part.
"""

from __future__ import annotations

from ragkb.errors import RagkbError
from ragkb.lm.tokenizer import ASSISTANT, END, SYSTEM, USER, Tokenizer

ROLE_TOKENS = {"system": SYSTEM, "user": USER, "assistant": ASSISTANT}


def render(tokenizer: Tokenizer, messages: list[dict[str, str]], *, prompt: bool = False) -> tuple[list[int], list[bool]]:
    """Token ids of a conversation and, for each, whether the loss is on it. ``prompt`` ends with
    an open assistant turn for the model to write."""
    ids: list[int] = []
    mask: list[bool] = []
    for message in messages:
        role = message.get("role")
        if role not in ROLE_TOKENS:
            raise RagkbError(f"unknown chat role {role!r}; use system, user or assistant")
        body = [*tokenizer.encode(message.get("content") or ""), tokenizer.ids[END]]
        ids += [tokenizer.ids[ROLE_TOKENS[role]], *body]
        mask += [False] + [role == "assistant"] * len(body)
    if prompt:
        ids.append(tokenizer.ids[ASSISTANT])
        mask.append(False)
    return ids, mask
