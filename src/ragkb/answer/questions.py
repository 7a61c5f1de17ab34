"""What a question asks, read from its words (Chinese and English): its content terms without the
interrogative frame, and whether it asks for a quantity, a procedure or what to do.

The frame ("how long", "几天", "多长时间") says what kind of answer is wanted, not what it is about;
a passage that answers rarely repeats it ("婚假有几天？" is answered by "享受婚假10天"), so it is
left out of the terms that relevance and quoting weigh.
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache

import jieba

from ragkb.index.tokenize import tokenize
from ragkb.tables.text import jieba_module

ZH_FRAME = frozenset(
    [
        "几",
        "几天",
        "几个",
        "几次",
        "几点",
        "几年",
        "几位",
        "几号",
        "几月",
        "几岁",
        "几种",
        "几项",
        "几条",
        "几级",
        "多长",
        "多长时间",
        "多大",
        "多高",
        "多远",
        "多快",
        "多少钱",
        "什么样",
        "什么时候",
        "哪个",
        "哪些",
        "哪里",
        "哪儿",
        "哪种",
        "哪类",
        "哪家",
        "哪位",
        "谁",
        "为什么",
        "为何",
        "何时",
        "怎样",
        "怎么办",
        "怎么样",
        "是不是",
        "能否",
        "有没有",
        "要不要",
        "能不能",
        "可不可以",
        "多久",
        "多少",
        "什么",
        "怎么",
        "如何",
        "是否",
        "请问",
    ]
)
"""Interrogative words and phrases, as jieba cuts them (some are stop words already)."""
EN_FRAME_AFTER_HOW = frozenset(["long", "many", "much", "often", "far", "big", "old", "soon", "quickly", "fast", "large"])
EN_FRAME_AFTER_WHAT = frozenset(["kind", "type", "sort"])

QUANTITY = re.compile(
    r"多久|多少|几|多长|多大|多高|多远|时限|期限|上限|下限|标准是|比例|金额|费用是|"
    r"\bhow (?:long|many|much|often|far|big|old|soon|fast)\b|\bwhen\b|\bwhat time\b|\bwhich version\b|"
    r"\bhow quickly\b|\bwhat (?:is|are) the (?:limit|deadline|price|cost|size|speed|range)",
    re.IGNORECASE,
)
PROCEDURE = re.compile(r"怎么|怎样|如何|步骤|\bhow (?:do|can|should|would|to)\b|\bsteps?\b|\bwhat steps\b", re.IGNORECASE)
ACTION = re.compile(
    r"怎么办|该怎么|如何处理|怎么处理|应该怎么做|what (?:should|do|can) (?:i|we|you) do|what to do|how (?:do|can) (?:i|we) fix",
    re.IGNORECASE,
)
"""A question about what to do (in a situation), answered by the instruction that follows the situation."""


@lru_cache(maxsize=1024)
def frame_terms(question: str) -> frozenset[str]:
    """The tokens of ``question`` that only frame it as a question."""
    terms = {t for t in tokenize(question) if t in ZH_FRAME}
    words = re.findall(r"[a-z]+", question.lower())
    for before, word in itertools.pairwise(words):
        if (before == "how" and word in EN_FRAME_AFTER_HOW) or (before == "what" and word in EN_FRAME_AFTER_WHAT):
            terms.update(tokenize(word))
    return frozenset(terms)


ZH_FUNCTION = frozenset(
    [
        "后",
        "前",
        "内",
        "时",
        "向",
        "从",
        "到",
        "给",
        "让",
        "要",
        "会",
        "能",
        "将",
        "又",
        "再",
        "还",
        "才",
        "去",
        "来",
        "过",
        "着",
        "得",
        "地",
        "所",
        "每",
        "各",
        "该",
        "此",
        "其",
        "内要",
        "之后",
        "之前",
        "以后",
        "以内",
    ]
)
"""Chinese words jieba leaves that say nothing about the topic ("多久内、向谁报告")."""


EN_FUNCTION = frozenset(
    tokenize("must one ones else also now yet still ever please thing things anything something way really actually")
)
"""English words the stop list keeps that say nothing about the topic ("How long must the new one be?")."""


def content_terms(question: str) -> list[str]:
    """The question's tokens without its interrogative frame and function words, in order, each once."""
    frame = frame_terms(question) | ZH_FUNCTION | EN_FUNCTION
    return list(dict.fromkeys(t for t in (normal(t) for t in tokenize(question)) if t and t not in frame))


def normal(token: str) -> str:
    """A token without the Markdown around it (`AUTH-403`, **bold**) so that the question's
    ``auth-403`` finds the text's ```auth-403```."""
    return token.strip("`*_~\"'")


def terms_of(text: str) -> set[str]:
    """The tokens of a passage, normalised, with the parts of written-together words."""
    return {normal(t) for t in tokenize(text)}


def covers(term: str, terms: set[str]) -> bool:
    """Whether a passage with ``terms`` holds ``term``, or all the parts of a written-together one
    (``wi-fi``, ``auth-403``)."""
    if term in terms:
        return True
    parts = re.split(r"[^\w]+", term)
    return len(parts) > 1 and all(part in terms for part in parts if part)


def asks_quantity(question: str) -> bool:
    return bool(QUANTITY.search(question))


def asks_procedure(question: str) -> bool:
    return bool(PROCEDURE.search(question))


def asks_action(question: str) -> bool:
    return bool(ACTION.search(question))


_ZH_ASKED = re.compile(r"(?:哪些|哪个|哪种|哪类|哪家|什么)([\u4e00-\u9fff]{1,4})")
_EN_ASKED = re.compile(r"\b(?:which|what)\s+([a-z][\w-]*)(?:\s+([a-z][\w-]*))?", re.IGNORECASE)
_NOT_NOUNS = frozenset(
    [
        "is",
        "are",
        "was",
        "were",
        "do",
        "does",
        "did",
        "can",
        "could",
        "should",
        "would",
        "will",
        "shall",
        "may",
        "might",
        "must",
        "has",
        "have",
        "had",
        "i",
        "you",
        "we",
        "they",
        "it",
        "he",
        "she",
        "the",
        "a",
        "an",
        "this",
        "that",
        "these",
        "those",
        "my",
        "your",
        "our",
        "to",
        "of",
        "in",
        "on",
        "for",
        "if",
    ]
)


def asked_terms(question: str) -> set[str]:
    """The terms of the kind of thing asked for: the words after 哪些/什么/which/what ("哪些材料",
    "which firmware version"), which an answer must hold."""
    terms: set[str] = set()
    for match in _ZH_ASKED.finditer(question):
        terms.update(t for t in tokenize(match.group(1)) if t not in ZH_FRAME)
    for match in _EN_ASKED.finditer(question):
        for word in match.groups():
            if not word or word.lower() in _NOT_NOUNS:
                break
            terms.update(tokenize(word))
    return terms


_PARTS = re.compile(
    r"(?<=[？?])\s*|[，,;；]\s*(?:and\s+|以及|还有|另外)?(?=(?:how|what|when|where|which|who|why)\b|多久|多少|哪些|什么时候)",
    re.IGNORECASE,
)


def parts(question: str) -> list[str]:
    """The sub-questions of a question that asks several things ("…多久内要提交报销？境外住宿标准是多少？",
    "How do I report it, and how fast will you respond?")."""
    return [part.strip() for part in _PARTS.split(question) if len(part.strip()) > 3]


def identifiers(terms: list[str] | set[str]) -> set[str]:
    """Terms that name one thing, letters and digits together (NX-5000, AUTH-403, WPA3): a passage
    that lacks the one asked about is about something else."""
    return {t for t in terms if re.search(r"[a-z]", t) and re.search(r"\d", t)}


COMMON_WORD = 15000
"""A Chinese word jieba has seen this often (自己, 最后, 公司, 时间) is common language, no topic."""


def common(term: str) -> bool:
    """Whether a Chinese term says little about a topic: one character, or a very frequent word."""
    if not re.fullmatch(r"[\u4e00-\u9fff]+", term):
        return False
    jieba_module().initialize()
    return len(term) == 1 or (jieba.get_FREQ(term) or 0) >= COMMON_WORD
