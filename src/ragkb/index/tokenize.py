"""Tokens for BM25: jieba for Chinese, Snowball stemming and stop words for English, every other
script as its words, and written-together strings such as %d/%m/%Y or --no-cache whole as well.

Text is split into Chinese runs and the space-separated pieces between them. A piece gives its
words (letters with their combining marks and digits, of any script; ' and . may join them: don't,
file.txt, د.ل) and currency signs (€, ₹); a piece that is more than one word (%d/%m/%Y, --force,
C++, HK$, a/b) is a token of its own too, after its parts, so a query that writes it the same way
finds it first. So "使用 Docker 部署" gives jieba the Chinese and the stemmer the English, and
"Январь", "février" or "जानुवारी" stay whole words.

jieba is imported at the first Chinese run: loading its dictionary takes about a second, which
an English-only ingest or search need not spend.
"""

from __future__ import annotations

from functools import lru_cache

import regex
import Stemmer

from ragkb.tables.text import jieba_module

_WORD_CHAR = r"[[\p{L}\p{M}\p{N}_\u200c\u200d]--\p{Han}]"  # with the zero-width joiners of Indic and Persian words
_WORD = rf"{_WORD_CHAR}+(?:['.]{_WORD_CHAR}+)*"
_SEGMENTS = regex.compile(r"(\p{Han}+)|([^\s\p{Han}]+)", regex.VERSION1)
_PARTS = regex.compile(rf"{_WORD}|\p{{Sc}}", regex.VERSION1)
_ONE_WORD = regex.compile(_WORD, regex.VERSION1)
_OPENING = "'\"([{<«“‘"
_CLOSING = ".,;:!?'\")]}>»”’…、，。；：！？"
LONGEST_WHOLE = 64
"""Longer pieces (URLs, hashes) are searchable by their parts only."""

ENGLISH_STOP_WORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
    ]
)

CHINESE_STOP_WORDS = frozenset(
    [
        "的",
        "了",
        "是",
        "在",
        "和",
        "与",
        "及",
        "或",
        "等",
        "也",
        "都",
        "就",
        "而",
        "之",
        "其",
        "这",
        "那",
        "这个",
        "那个",
        "一个",
        "有",
        "被",
        "把",
        "对",
        "为",
        "以",
        "于",
        "上",
        "下",
        "中",
        "吗",
        "呢",
        "吧",
        "啊",
        "哪些",
        "什么",
        "怎么",
        "如何",
        "多少",
        "多久",
        "是否",
        "需要",
        "可以",
        "应",
        "应当",
        "应该",
        "我",
        "你",
        "他",
        "她",
        "它",
        "我们",
        "你们",
        "他们",
        "请问",
    ]
)


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def _add_word(word: str, tokens: list[str], english_positions: list[int]) -> None:
    word = word.lower()
    if word not in ENGLISH_STOP_WORDS:
        english_positions.append(len(tokens))
        tokens.append(word)


def tokenize(text: str) -> list[str]:
    """Lower-cased, stemmed tokens without stop words, in order of appearance."""
    tokens: list[str] = []
    english_positions: list[int] = []
    for chinese_run, piece in _SEGMENTS.findall(text):
        if chinese_run:
            tokens.extend(t for t in jieba_module().cut_for_search(chinese_run) if t not in CHINESE_STOP_WORDS)
            continue
        if piece.isalnum():  # a plain word, most of the time: one token, no whole to add
            _add_word(piece, tokens, english_positions)
            continue
        for word in _PARTS.findall(piece):
            _add_word(word, tokens, english_positions)
        whole = piece.lstrip(_OPENING).rstrip(_CLOSING)
        if len(whole) <= LONGEST_WHOLE and not _ONE_WORD.fullmatch(whole) and _ONE_WORD.search(whole):
            tokens.append(whole.lower())
    stems = _stemmer().stemWords([tokens[i] for i in english_positions])
    for position, stem in zip(english_positions, stems, strict=True):
        tokens[position] = stem
    return tokens
