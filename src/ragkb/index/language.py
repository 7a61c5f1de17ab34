"""Telling Chinese from English text, cheaply, by the share of CJK characters; and whether a model reads a text."""

from __future__ import annotations

import re
from collections.abc import Collection
from functools import lru_cache

import regex

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
LETTER_OR_CJK = re.compile(r"[A-Za-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def detect_language(text: str) -> str:
    """Return ``"zh"`` when at least a fifth of the letters are CJK characters, else ``"en"``.

    One CJK character carries about as much as a short English word, so a fifth is enough for
    text that is mostly Chinese with English terms in it.
    """
    letters = len(LETTER_OR_CJK.findall(text))
    if letters == 0:
        return "en"
    return "zh" if len(CJK.findall(text)) / letters >= 0.2 else "en"


SCRIPTS = {"en": "Latin", "zh": "Han"}
"""The script each language ragkb tells apart is written in."""


@lru_cache(maxsize=16)
def _foreign_letter(languages: frozenset[str]) -> regex.Pattern:
    scripts = "".join(rf"\p{{{SCRIPTS[language]}}}" for language in sorted(languages) if language in SCRIPTS)
    return regex.compile(rf"[\p{{L}}--[{scripts}]]" if scripts else r"\p{L}", regex.VERSION1)


def readable_by(text: str, languages: Collection[str]) -> bool:
    """Whether a model that reads ``languages`` reads all of ``text``: its language is one of them and no
    word is in another script (a Cyrillic or Arabic name in an English question is what the question
    is about, and an English-only embedder cannot see it)."""
    return detect_language(text) in languages and not _foreign_letter(frozenset(languages)).search(text)
