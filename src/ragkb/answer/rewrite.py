"""History-aware query rewriting: the standalone query a follow-up question is searched with.

Modes (``Answerer(rewrite=...)``, ``ragkb eval answers --rewrite``):

- ``none``: the question as asked;
- ``previous``: the previous question and this one (ragkb before 0.2; kept to compare);
- ``rules``: :mod:`ragkb.answer.rewrite_rules`, offline, Chinese and English;
- ``auto`` (default): the answering LLM when there is one and it reads the question's language, else the rules;
- a generator spec (``llamacpp:smollm2``, ``openai:gpt-4o-mini``): that model rewrites.

An LLM's rewrite is used only if it is usable (:func:`unusable` says why not): one line, in the
question's language, not much longer than the conversation's questions, keeping the follow-up's
own words and adding few the conversation does not have; otherwise the rules' rewrite is. The
previous question the rules lean on is itself made standalone, turn by turn, from the history.
:func:`focus_first` then ranks first the hits that hold the follow-up's own words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ragkb.answer.prompts import load_template
from ragkb.answer.questions import content_terms, covers, terms_of
from ragkb.answer.rewrite_rules import KBTerms, rewrite_with_rules
from ragkb.errors import RagkbError
from ragkb.index.language import detect_language
from ragkb.kb import KnowledgeBase
from ragkb.llms import Generator, create_generator
from ragkb.models import SearchHit

MODES = ("none", "previous", "rules", "auto")
MAX_NEW_SHARE = 1 / 3
"""At most this share of an LLM rewrite's content words may come from outside the conversation."""
QUESTION_START = re.compile(
    r"(?:how|what|which|who|whom|whose|when|where|why|is|are|was|were|do|does|did|can|could|should|would|will|may)\b",
    re.IGNORECASE,
)
_LABEL = re.compile(
    r"^(?:standalone question|rewritten question|question|rewrite|完整问题|改写后的问题|问题)\s*[:：]\s*", re.IGNORECASE
)


@dataclass(frozen=True)
class Rewrite:
    query: str
    method: str
    """``as asked``, ``previous``, ``rules`` or ``llm``; ``rules (llm: <why not>)`` when the model's was unusable."""
    reason: str = ""


def unusable(rewritten: str, question: str, asked: list[str], conversation: list[str]) -> str | None:
    """Why an LLM's rewrite of ``question`` cannot be searched (``None`` if it can); ``asked`` are
    the conversation's questions, ``conversation`` all its messages."""
    if not rewritten:
        return "empty"
    language = detect_language(question)
    if detect_language(rewritten) != language:
        return "another language"
    if len(rewritten) > 2 * sum(len(q) for q in asked) + 20:
        return "too long"
    if re.search(r"(?:^|\s)(?:user|assistant|用户|助手)\s*[:：]", rewritten, re.IGNORECASE):
        return "it repeats the conversation"
    if not rewritten.rstrip().endswith(("?", "？")) and not QUESTION_START.match(rewritten):
        return "not a question"
    words = set(content_terms(rewritten))
    own = set(content_terms(question))
    if own - words and len(own - words) > len(own) / 2:
        return "it drops the question's own words"
    said = {t for text in conversation for t in content_terms(text)}
    if words and len(words - said) > MAX_NEW_SHARE * len(words):
        return "it adds words the conversation does not have"
    return None


def focus_first(hits: list[SearchHit], question: str, query: str) -> list[SearchHit]:
    """For a rewritten follow-up, the hits that hold the follow-up's own words first: the others
    answer the previous question ("那出国呢？" searched as "出国差旅报销的时限是多久？" is answered by
    the passage about 出国, not by the one about 时限 that the previous answer quoted)."""
    own = content_terms(question)
    if query == question or not own:
        return hits
    holds = [all(covers(t, terms_of(" ".join([*hit.section, hit.text]))) for t in own) for hit in hits]
    if all(holds) or not any(holds):
        return hits
    return [h for h, ok in zip(hits, holds, strict=True) if ok] + [h for h, ok in zip(hits, holds, strict=True) if not ok]


class QueryRewriter:
    """Rewrites follow-ups of one KB's conversations (see the module's docstring for ``mode``)."""

    def __init__(self, kb: KnowledgeBase, mode: str = "auto", answering: Generator | None = None):
        self.kb = kb
        self.mode = mode
        self.terms = KBTerms(kb)
        if mode == "auto":
            self.generator = answering
        elif mode in MODES:
            self.generator = None
        else:
            self.generator = create_generator(mode, kb.app_settings)
            if self.generator is None:
                raise RagkbError(f"--rewrite {mode}: give none, previous, rules, auto or an LLM (e.g. llamacpp:smollm2)")

    def rewrite(self, question: str, history: list[dict[str, str]]) -> Rewrite:
        asked = [m["content"] for m in history if m["role"] == "user"]
        if not asked or self.mode == "none":
            return Rewrite(question, "as asked")
        if self.mode == "previous":
            return Rewrite(f"{asked[-1]} {question}", "previous")
        previous = asked[0]
        for earlier in asked[1:]:
            previous = rewrite_with_rules(earlier, previous, self.terms).query
        ruled = rewrite_with_rules(question, previous, self.terms)
        rules = Rewrite(ruled.query, "rules" if ruled.follow_up else "as asked", ruled.reason)
        language = detect_language(question)
        if self.generator is None or language not in self.generator.languages:
            return rules
        rewritten = self._generate(question, history, language)
        why = unusable(rewritten, question, [*asked, question], [*(m["content"] for m in history), question])
        if why:
            return Rewrite(rules.query, f"rules (llm: {why})", rules.reason)
        return Rewrite(rewritten, "llm")

    def _generate(self, question: str, history: list[dict[str, str]], language: str) -> str:
        assert self.generator is not None
        transcript = "\n".join(f"{m['role']}: {m['content'][:300]}" for m in history[-4:])
        prompt = load_template("rewrite", language, self.kb.app_settings.home).format(history=transcript, question=question)
        text = "".join(self.generator.stream([{"role": "user", "content": prompt}], max_tokens=64, temperature=0.0)).strip()
        line = text.splitlines()[0].strip() if text else ""
        return _LABEL.sub("", line).strip().strip("\"'“”「」")
