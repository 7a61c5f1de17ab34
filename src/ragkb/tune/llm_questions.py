"""Questions a passage answers, written by the configured LLM (``ragkb synth -g SPEC``), in its language."""

from __future__ import annotations

import re

from ragkb.llms import Generator
from ragkb.tune.questions import Question

PASSAGE_CHARS = 1500
PROMPTS = {
    "en": "Write {n} different questions that a user of these documents might ask and that the passage below "
    "answers. Write them in English, one per line, without numbering or answers.\n\nPassage:\n{passage}\n\nQuestions:",
    "zh": "请根据下面的资料，写出{n}个用户可能提出、且这段资料能够回答的不同问题。用中文，每行一个，不要编号，不要写答案。"
    "\n\n资料：\n{passage}\n\n问题：",
}
NUMBERING = re.compile(r"^\s*(?:[-*•]|\d+[.)、:：]|q\d*[:：.]|问题\s*\d*[:：]?)\s*", re.IGNORECASE)


def parse_questions(reply: str, n: int) -> list[str]:
    """The question lines of a reply: numbering and bullets removed, too short or too long lines dropped."""
    out = []
    for line in reply.splitlines():
        text = NUMBERING.sub("", line).strip().strip('"“”')
        if 4 <= len(text) <= 200 and text not in out:
            out.append(text)
    return out[:n]


def llm_questions(generator: Generator, passage: str, language: str, n: int) -> list[Question]:
    prompt = PROMPTS.get(language, PROMPTS["en"]).format(n=n, passage=passage[:PASSAGE_CHARS])
    reply = "".join(generator.stream([{"role": "user", "content": prompt}], max_tokens=60 * n, temperature=0.7))
    return [Question(text, "llm") for text in parse_questions(reply, n)]
