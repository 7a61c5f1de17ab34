"""Fine-tuning data: JSONL, one conversation per line.

{"messages": [{"role": "user", "content": "…"}, {"role": "assistant", "content": "…"}]}
{"question": "…", "answer": "…"}                       a one-turn conversation
{"question": "…", "steps": "…", "answer": "…"}          with --reasoning: the CoT template
"""

from __future__ import annotations

import json
from pathlib import Path

from ragkb.errors import RagkbError
from ragkb.lm.reasoning import reasoning_text

Conversation = list[dict[str, str]]


def read_conversations(path: Path, *, reasoning: bool = False) -> list[Conversation]:
    if not path.is_file():
        raise RagkbError(f"no such file: {path}; give a JSONL file of conversations")
    conversations: list[Conversation] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise RagkbError(f"{path}:{number}: not JSON ({error.msg}); write one JSON object per line") from None
        conversations.append(_conversation(record, reasoning, f"{path}:{number}"))
    if not conversations:
        raise RagkbError(f"{path} holds no conversations")
    return conversations


def _conversation(record: dict, reasoning: bool, where: str) -> Conversation:
    if "messages" in record:
        return [{"role": m["role"], "content": m["content"]} for m in record["messages"]]
    if "question" in record and "answer" in record:
        answer = str(record["answer"])
        if reasoning:
            answer = reasoning_text(str(record.get("steps", "")), answer)
        return [{"role": "user", "content": str(record["question"])}, {"role": "assistant", "content": answer}]
    raise RagkbError(f"{where}: expected 'messages' or 'question' and 'answer'")
