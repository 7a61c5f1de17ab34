"""Questions written from a passage without a model (``ragkb synth`` offline), in its language.

Three builders, each from what a passage's structure says it is about:

* **heading**: the section's heading as a user would search for it ("what is X" for a short English
  noun phrase, "X是什么" for a short Chinese one; a generic heading such as DESCRIPTION or 概述 is
  qualified by the document's name);
* **table row**: a row of a Markdown table asked by its label and one of its columns ("what is the
  <column> of <row label>", "<行名>的<列名>是多少");
* **key sentences**: the passage's two sentences whose words are rarest in the KB, each as the
  keywords a user would type: its most distinctive words (IDF from the KB's own sparse index) in their
  order; Chinese is cut into words by jieba.

Every question is later kept only if BM25 finds its passage or the passage answers it
(:mod:`ragkb.tune.synth`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ragkb.index.tokenize import tokenize
from ragkb.tables.text import jieba_module

Idf = Callable[[list[str]], dict[str, float]]
"""IDF of sparse terms in the KB (:meth:`ragkb.index.stores.base.SparseIndex.idf`)."""

GENERIC_HEADINGS = {
    "description", "synopsis", "options", "overview", "introduction", "summary", "notes", "example", "examples",
    "usage", "details", "see also", "name", "background", "general", "other", "misc", "description of options",
    "概述", "简介", "说明", "描述", "选项", "示例", "例子", "用法", "概要", "注意", "其他", "名称", "总结", "介绍",
}  # fmt: skip
SENTENCE_END = re.compile(r"(?<=[.!?。！？；;])\s*|\n+")
ENGLISH_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_+\-./]*[A-Za-z0-9]|[A-Za-z]")
TABLE_ROW = re.compile(r"^\s*\|(.+)\|\s*$")
TABLE_RULE = re.compile(r"^[\s|:\-]+$")
KEYWORDS = {"en": 4, "zh": 3}


@dataclass(frozen=True)
class Question:
    text: str
    source: str
    """heading, table, sentence or llm"""


def is_chinese(text: str) -> bool:
    return sum("\u4e00" <= c <= "\u9fff" for c in text) * 3 >= len(text.strip()) > 0


def heading_question(title: str, headings: list[str], language: str) -> Question | None:
    heading = next((h.strip() for h in reversed(headings) if h.strip()), "")
    if not heading or len(heading) > 80:
        return None
    if heading.lower() in GENERIC_HEADINGS:
        heading = f"{title} {heading.lower()}" if language == "en" else f"{title}的{heading}"
    if language == "zh":
        return Question(f"{heading}是什么？" if len(heading) <= 10 else heading, "heading")
    words = heading.split()
    if heading.endswith("?"):
        return Question(heading, "heading")
    if len(words) <= 4 and not words[0].lower().endswith("ing"):
        return Question(f"what is {heading.lower()}", "heading")
    return Question(heading.lower(), "heading")


def table_question(text: str, language: str, pick: int) -> Question | None:
    """A question about one cell of the first Markdown table in ``text`` (row and column by ``pick``)."""
    rows = [
        [cell.strip() for cell in match.group(1).split("|")]
        for line in text.splitlines()
        if (match := TABLE_ROW.match(line)) and not TABLE_RULE.match(line)
    ]
    if len(rows) < 2 or len(rows[0]) < 2:
        return None
    header, body = rows[0], [r for r in rows[1:] if len(r) == len(rows[0]) and r[0]]
    if not body:
        return None
    row = body[pick % len(body)]
    columns = [i for i in range(1, len(header)) if header[i] and row[i]]
    if not columns:
        return None
    column = header[columns[pick % len(columns)]]
    if language == "zh":
        return Question(f"{row[0]}的{column}是多少？", "table")
    return Question(f"what is the {column.lower()} of {row[0]}", "table")


def _words(sentence: str, language: str) -> list[str]:
    if language == "zh":
        return [w for w in jieba_module().lcut(sentence) if len(w.strip()) >= 2 and not re.fullmatch(r"\W+", w)]
    return ENGLISH_WORD.findall(sentence)


def key_sentence_questions(text: str, language: str, idf: Idf, count: int = 2) -> list[Question]:
    """The rarest words, in order, of each of the ``count`` sentences whose content words are rarest on average."""
    found: list[tuple[float, list[str]]] = []
    for sentence in SENTENCE_END.split(text):
        words = _words(sentence, language)
        terms = {w: tokenize(w) for w in words}
        if not 4 <= len(words) <= 60:
            continue
        weights = idf(sorted({t for ts in terms.values() for t in ts}))
        scored = [(max((weights.get(t, 0.0) for t in terms[w]), default=0.0), i, w) for i, w in enumerate(words)]
        content = [s for s in scored if s[0] > 0]
        if len(content) < 3:
            continue
        top = sorted(content, reverse=True)[: KEYWORDS.get(language, 4)]
        found.append((sum(s[0] for s in top) / len(top), [w for _, _, w in sorted(top, key=lambda s: s[1])]))
    best = sorted(found, key=lambda pair: -pair[0])[:count]
    joiner = "" if language == "zh" else " "
    return [Question(joiner.join(dict.fromkeys(words)).lower(), "sentence") for _, words in best]


def offline_questions(title: str, headings: list[str], text: str, language: str, idf: Idf, pick: int) -> list[Question]:
    """Every question the builders can write for one passage."""
    found = [heading_question(title, headings, language), table_question(text, language, pick)]
    return [q for q in [*found, *key_sentence_questions(text, language, idf)] if q is not None and len(q.text) >= 4]
