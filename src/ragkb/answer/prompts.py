"""Prompt templates (zh/en, overridable files) and fitting sources into the model's window."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from ragkb.models import SearchHit, source_label

REFUSALS = {
    "en": "The knowledge base does not contain this information.",
    "zh": "知识库中没有找到相关信息。",
}


def load_template(name: str, language: str, home: Path) -> str:
    """``<home>/prompts/<language>.<name>.txt`` if the user wrote one, else the bundled template."""
    filename = f"{language}.{name}.txt"
    override = home / "prompts" / filename
    if override.is_file():
        return override.read_text(encoding="utf-8")
    return (files("ragkb.answer") / "templates" / filename).read_text(encoding="utf-8")


def format_source(number: int, hit: SearchHit) -> str:
    return f"[{number}] ({source_label(hit.file, hit.page, hit.section)})\n{hit.text}"


@dataclass
class Prompt:
    messages: list[dict[str, str]]
    sources: list[SearchHit]
    """The hits that made it into the prompt; source [n] is ``sources[n-1]``."""
    tokens: int


def build_prompt(
    question: str,
    hits: list[SearchHit],
    language: str,
    home: Path,
    count_tokens: Callable[[str], int],
    budget: int,
    history: list[dict[str, str]] | None = None,
    persona: str = "",
) -> Prompt:
    """Numbered sources, best first, as many as fit in ``budget`` tokens with the rest of the prompt.
    ``persona`` (:func:`ragkb.answer.persona.persona_block`) opens the system prompt, before its rules."""
    system = load_template("system", language, home)
    system = f"{persona}\n\n{system}" if persona else system
    user_template = load_template("user", language, home)
    history = history or []
    fixed = count_tokens(system) + count_tokens(user_template.format(sources="", question=question))
    fixed += sum(count_tokens(m["content"]) for m in history)
    used = fixed
    blocks: list[str] = []
    kept: list[SearchHit] = []
    for hit in hits:
        block = format_source(len(kept) + 1, hit)
        cost = count_tokens(block) + 2
        if used + cost > budget:
            continue  # a smaller later source may still fit
        blocks.append(block)
        kept.append(hit)
        used += cost
    user = user_template.format(sources="\n\n".join(blocks), question=question)
    messages = [{"role": "system", "content": system}, *history, {"role": "user", "content": user}]
    return Prompt(messages, kept, used)
