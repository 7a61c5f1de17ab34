"""Text helpers shared by the table modules: one folding of full-width and spaced text, and a
similarity for matching labels that a PDF or a writer spelled a little differently."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from types import ModuleType
from typing import TypeVar

_SPACES = re.compile(r"\s+")
_HAN = re.compile(r"[\u3400-\u9fff]")
_NOT_WORD = re.compile(r"[\W_]+")
# How jieba cuts text without its Han characters: runs of these characters are one block...
_JIEBA_HAN = re.compile("[\u4e00-\u9fd5]")
_JIEBA_BLOCK = re.compile(r"([a-zA-Z0-9+#&._%\-]+)")
# ...cut into these runs and single characters (its HMM segmenter's rule for non-Han text); any
# other character is a piece of its own. Only its dictionary's five words without Han change that.
_JIEBA_RUN = re.compile(r"([a-zA-Z0-9]+(?:\.\d+)?%?)")
_JIEBA_LATIN_WORDS = re.compile(r"AT&T|[cC]#|[cC]\+\+")

T = TypeVar("T")


def fold(text: str) -> str:
    """NFKC (full-width digits, letters, commas, parentheses and colons become ASCII), one space
    for any run of white space, no space at either end."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def has_chinese(text: str) -> bool:
    return _HAN.search(text) is not None


def latin_word(phrase: str) -> str:
    """A pattern for ``phrase`` as whole words: no letter or digit right before or after it, while
    Chinese may touch it ("与ROE相比")."""
    return rf"(?<![a-z0-9&]){re.escape(phrase)}(?![a-z0-9&])"


def longest_first(named: Iterable[tuple[str, T]]) -> list[tuple[str, T]]:
    """(folded lower-case name, item) pairs, longest name first: the order :func:`find_named` wants."""
    return sorted(((fold(name).lower(), item) for name, item in named), key=lambda pair: len(pair[0]), reverse=True)


def find_named(text: str, names: list[tuple[str, T]]) -> list[tuple[T, str, int, int]]:
    """Where ``text`` names the items (``names`` from :func:`longest_first`): (item, the words as
    written, start, end) in the folded text, in order. The longest name wins where names overlap
    (毛利率 is not 毛利); English names match whole words only."""
    folded = fold(text).lower()
    found: list[tuple[T, str, int, int]] = []
    for name, item in names:
        pattern = re.escape(name) if has_chinese(name) else latin_word(name)
        for match in re.finditer(pattern, folded):
            start, end = match.span()
            if not any(start < other_end and other_start < end for _, _, other_start, other_end in found):
                found.append((item, match.group(0), start, end))
    return sorted(found, key=lambda mention: mention[2])


def squeeze(text: str) -> str:
    """:func:`fold`, lower case, and no spaces where Chinese is involved: a PDF often spaces the
    characters of a label apart ("营 业 收 入"), while English keeps one space between words."""
    folded = fold(text).lower()
    if has_chinese(folded):
        return folded.replace(" ", "")
    return folded


@lru_cache(maxsize=4096)
def words(text: str) -> frozenset[str]:
    """The words of ``text``: jieba's for Chinese, split at spaces and punctuation otherwise. Text
    without Chinese is split as jieba would, without loading its dictionary (a second)."""
    needs_jieba = _JIEBA_HAN.search(text) or _JIEBA_LATIN_WORDS.search(text)
    parts = jieba_module().cut(text) if needs_jieba else _latin_parts(text)
    return frozenset(word for word in (_NOT_WORD.sub("", part) for part in parts) if word)


def _latin_parts(text: str) -> list[str]:
    """What ``jieba.cut`` gives for text without Han characters or its dictionary's Latin words."""
    parts: list[str] = []
    for index, piece in enumerate(_JIEBA_BLOCK.split(text)):
        parts.extend(_JIEBA_RUN.split(piece) if index % 2 else piece)
    return parts


@lru_cache(maxsize=1)
def jieba_module() -> ModuleType:
    """jieba, imported on first use (an English-only run never loads its dictionary) and quiet: its
    "Building prefix dict" notes would land in ragkb's output on stderr."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions and substitutions cost 1)."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]


CHARACTER_WEIGHT = 0.7


def similarity(a: str, b: str, floor: float = 0.0) -> float:
    """How alike two squeezed labels are, 0 to 1: mostly their character similarity (1 − edit
    distance ÷ the longer length), partly the overlap of their words (Jaccard). Characters carry a
    misread character in a long label (净利闰 for 净利润), which changes jieba's words around it;
    words keep apart labels that share most characters but not their words (营业利润率 and 营业利润).
    Where even all words shared would leave it under ``floor``, the characters' part alone (the
    words are not cut: an English label against the Chinese names needs no jieba)."""
    if not a or not b:
        return 0.0
    characters = 1 - edit_distance(a, b) / max(len(a), len(b))
    if CHARACTER_WEIGHT * characters + (1 - CHARACTER_WEIGHT) < floor:
        return CHARACTER_WEIGHT * characters
    words_a, words_b = words(a), words(b)
    overlap = len(words_a & words_b) / len(words_a | words_b) if words_a | words_b else 0.0
    return CHARACTER_WEIGHT * characters + (1 - CHARACTER_WEIGHT) * overlap
