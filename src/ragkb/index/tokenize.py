"""Tokens for BM25: jieba for Chinese, Snowball stemming and stop words for English.

Mixed text is split into CJK and non-CJK runs first, so "使用 Docker 部署" gives jieba the
Chinese and the stemmer the English.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

import jieba
import Stemmer

jieba.setLogLevel(logging.WARNING)

_RUNS = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)|([A-Za-z0-9_]+(?:['.][A-Za-z0-9_]+)*)")

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


def tokenize(text: str) -> list[str]:
    """Lower-cased, stemmed tokens without stop words, in order of appearance."""
    tokens: list[str] = []
    english_positions: list[int] = []
    for chinese_run, word in _RUNS.findall(text):
        if chinese_run:
            tokens.extend(t for t in jieba.cut_for_search(chinese_run) if t not in CHINESE_STOP_WORDS)
            continue
        word = word.lower()
        if word not in ENGLISH_STOP_WORDS:
            english_positions.append(len(tokens))
            tokens.append(word)
    stems = _stemmer().stemWords([tokens[i] for i in english_positions])
    for position, stem in zip(english_positions, stems):
        tokens[position] = stem
    return tokens
