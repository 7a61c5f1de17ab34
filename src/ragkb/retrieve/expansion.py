"""Query expansion through the configured generator: multi-query and HyDE.

Multi-query asks for other phrasings of the question (different words find different chunks);
HyDE asks for a short hypothetical answer, which is searched like a passage (dense retrieval of
an answer-shaped text finds answer-shaped chunks; Gao et al. 2022). The results of every query are
fused with reciprocal ranks. A reply that does not look right (empty, in another language, an
echo of the question) is dropped: the search then runs on what is left, at worst the question.
"""

from __future__ import annotations

import re

from ragkb.index.language import detect_language
from ragkb.llms import Generator

MULTI_QUERY_PROMPTS = {
    "en": "Write {n} different search queries that would find documents answering the question below. "
    "Use other words than the question. One query per line, nothing else.\n\nQuestion: {query}\n\nQueries:\n",
    "zh": "请为下面的问题写出{n}个不同的检索查询，用不同于问题的词语表达，用于查找能回答问题的文档。每行一个查询，不要写别的。\n\n问题：{query}\n\n查询：\n",
}
HYDE_PROMPTS = {
    "en": "Write a short passage (2-3 sentences) from a document that answers the question. "
    "Do not mention the question.\n\nQuestion: {query}\n\nPassage:",
    "zh": "请写一段简短的文字（两三句话），像是从能回答下面问题的文档中摘出的，不要提到问题本身。\n\n问题：{query}\n\n文字：",
}
_LIST_MARK = re.compile(r"^\s*(?:[-*•]|\d+[.)、．]|[（(]?\d+[）)])\s*")
_QUOTES = "\"'“”‘’「」"


def _generate(generator: Generator, prompt: str, max_tokens: int) -> str:
    messages = [{"role": "user", "content": prompt}]
    return "".join(generator.stream(messages, max_tokens=max_tokens, temperature=0.0)).strip()


def _fits(text: str, query: str, language: str, max_chars: int) -> bool:
    return 0 < len(text) <= max_chars and detect_language(text) == language and text.lower() != query.lower()


def multi_queries(generator: Generator, query: str, n: int) -> list[str]:
    """Up to ``n`` other phrasings of ``query`` (never the query itself)."""
    language = detect_language(query)
    prompt = MULTI_QUERY_PROMPTS.get(language, MULTI_QUERY_PROMPTS["en"]).format(n=n, query=query)
    reply = _generate(generator, prompt, max_tokens=40 * n)
    found: list[str] = []
    for line in reply.splitlines():
        line = _LIST_MARK.sub("", line).strip().strip(_QUOTES).strip()
        if _fits(line, query, language, max(3 * len(query), 60)) and line not in found:
            found.append(line)
    return found[:n]


def hypothetical_answer(generator: Generator, query: str) -> str | None:
    """A short made-up passage answering ``query``, or ``None`` when the reply is unusable."""
    language = detect_language(query)
    reply = _generate(generator, HYDE_PROMPTS.get(language, HYDE_PROMPTS["en"]).format(query=query), max_tokens=120)
    return reply if _fits(reply, query, language, 2000) else None
