"""Personas (:class:`ragkb.config.Persona`) in prompts and answers.

A persona changes how the assistant speaks, never what it may say. In a prompt it comes first, in
its own block that says the rules after it win (``<language>.persona.txt``, overridable like the
other templates); and the rules hold in code whatever a model makes of it: an answer that cites no
source is replaced by quoted ones, a question without usable sources is refused before any model
runs (:mod:`ragkb.answer.answering`). The topics a persona refuses are declined in code too, before
retrieval, so every generator, the extractive one included, declines them alike.
"""

from __future__ import annotations

from pathlib import Path

from ragkb.answer.prompts import load_template
from ragkb.config import Persona
from ragkb.index.language import detect_language
from ragkb.index.tokenize import tokenize

DECLINES = {
    "en": "Sorry, I can't help with questions on that topic.",
    "zh": "抱歉，这个话题我无法回答。",
}
"""What the assistant says to a question about a topic its persona refuses."""

_LINES = {
    "en": {
        "name": "- Your name is {}.",
        "tone": "- Tone: {}.",
        "refuse": '- Do not answer questions about: {}. To those reply exactly: "{}"',
        "prompt": "- More about your role and style:\n{}",
    },
    "zh": {
        "name": "- 你的名字是{}。",
        "tone": "- 语气：{}。",
        "refuse": "- 不回答关于这些话题的问题：{}。遇到这类问题请只回答：“{}”",
        "prompt": "- 关于你的角色和风格的更多说明：\n{}",
    },
}


def is_empty(persona: Persona) -> bool:
    return persona == Persona()


def merged(base: Persona, override: Persona | None) -> Persona:
    """``base`` (the KB's persona) with the fields a request's ``override`` sets replaced."""
    if override is None:
        return base
    return base.model_copy(update=override.model_dump(exclude_unset=True))


def answer_language(question: str, persona: Persona) -> str:
    """The language of the answer: the persona's, else the question's."""
    return persona.language or detect_language(question)


def declined_topic(persona: Persona, question: str) -> str | None:
    """The refused topic the question is about (every word of the topic is in it), if any."""
    words = set(tokenize(question))
    for topic in persona.refuse:
        terms = set(tokenize(topic))
        if terms and terms <= words:
            return topic
    return None


def is_decline(text: str, language: str) -> bool:
    """Whether a model's answer is the decline sentence (quoted, or with a little around it)."""
    decline = DECLINES[language].rstrip("。.")
    return decline in text and len(text) <= 2 * len(decline)


def persona_block(persona: Persona, language: str, home: Path) -> str:
    """The persona's part of the system prompt, in the answer's language; empty for no persona."""
    lines = _LINES[language]
    parts = [
        lines["name"].format(persona.name) if persona.name else "",
        lines["tone"].format(persona.tone) if persona.tone else "",
    ]
    if persona.refuse:
        separator = "、" if language == "zh" else ", "
        parts.append(lines["refuse"].format(separator.join(persona.refuse), DECLINES[language]))
    if persona.prompt and persona.prompt.strip():
        parts.append(lines["prompt"].format(persona.prompt.strip()))
    described = "\n".join(part for part in parts if part)
    return load_template("persona", language, home).format(persona=described).strip() if described else ""
