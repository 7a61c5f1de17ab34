"""Telling Chinese from English text, cheaply, by the share of CJK characters."""

from __future__ import annotations

import re

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
