"""The reasoning stage: the chain-of-thought template, reading the final answer, and the vote.

    【推理过程】小明有3个苹果，又买了5个，一共<calc>3+5</calc>=8个。【最终答案】8

Self-consistency: several samples at a temperature above zero, and the final answer most of them
reach wins (ties: the one reached first).
"""

from __future__ import annotations

import re
from collections import Counter

THOUGHT, FINAL = "【推理过程】", "【最终答案】"
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def reasoning_text(steps: str, answer: str) -> str:
    return f"{THOUGHT}{steps}{FINAL}{answer}"


def final_answer(text: str) -> str | None:
    """What follows 【最终答案】, as a number when it holds one ("8个" → "8", "8.50" → "8.5")."""
    if FINAL not in text:
        return None
    tail = text.rsplit(FINAL, 1)[1].strip()
    answer = tail.splitlines()[0].strip() if tail else ""
    number = _NUMBER.search(answer.replace(",", ""))
    if number:
        value = float(number.group())
        return str(int(value)) if value.is_integer() else f"{value:g}"
    return answer or None


def vote(answers: list[str | None]) -> tuple[str | None, dict[str, int]]:
    """The majority final answer over samples and the count of each."""
    counts = Counter(answer for answer in answers if answer is not None)
    if not counts:
        return None, {}
    best = max(counts.values())
    winner = next(answer for answer in answers if answer is not None and counts[answer] == best)
    return winner, dict(counts)
