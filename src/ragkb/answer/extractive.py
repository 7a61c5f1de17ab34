"""Answering without an LLM: quote the fewest sentences of the sources that answer the question.

Every source is cut into quotable units (:mod:`ragkb.answer.sentences`): sentences; a sentence
ending in a colon together with the list it introduces; for a table row, the cell the question asks
for with its row and column labels. A unit scores by the share of the question's content terms
(:func:`ragkb.answer.questions.content_terms`, weighted by their IDF in the KB) it holds, its
section heading and list introduction counting for less, with small preferences for numbers when a
quantity is asked, steps when a procedure is, the follow-up's own words in a conversation, and the
better ranked source. The best unit is quoted; another only when it holds asked terms the quoted
ones lack (at most three), plus, for "what should I do" questions, the sentence after the one that
names the situation. Each quoted unit is followed by its one ``[n]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ragkb.answer.questions import (
    asked_terms,
    asks_action,
    asks_procedure,
    asks_quantity,
    content_terms,
    covers,
    frame_terms,
    parts,
    terms_of,
)
from ragkb.answer.sentences import ARTICLE, Block, blocks, split_sentences, table_cells
from ragkb.index.language import detect_language
from ragkb.models import SearchHit

MAX_SENTENCES = 3
MAX_QUOTE_CHARS = 400
RELATIVE_CUTOFF = 0.75
"""A further unit is quoted only if it scores at least this share of the best one…"""
MIN_GAIN = 0.25
"""…and holds at least this share of the question's weight that the quoted units lack."""
CONTEXT_WEIGHT = 0.3
"""What a term found only in the unit's section heading or list introduction counts for…"""
PROCEDURE_CONTEXT_WEIGHT = 0.6
"""…and in a how-to question, whose steps sit under a heading that names the task."""
FAQ_WEIGHT = 0.8
"""What a term of the FAQ question a unit answers counts for: it says what the answer is about
(divided by one more than the number of sentences between them)."""
FRAME_MATCH = 0.2
"""An FAQ question with the question's interrogative words ("how quickly") adds this."""
NOT_A_STEP = 0.7
"""A how-to question is answered by an instruction: other sentences score this much of theirs."""
NOT_ASKED = 0.5
"""A unit without the kind of thing asked for ("哪些材料", "which version") scores this much of its score."""
HEADING_SHARE = 0.15
"""A quote is preceded by its heading (or list introduction) when that holds this share of the
question's weight that the quote lacks (the version in "1. Version 3.2.0 > Bug Fixes")."""
SHORT_SENTENCE = 8
"""A sentence shorter than this many characters ("Yes.") is quoted with the one after it."""
_BULLET = re.compile(r"^[-*•·▪‣◦]\s+")
_STEP_WORDS = (
    r"(?:open|click|press|hold|select|choose|enter|type|go|log|sign|install|download|upload|restart|reset|connect|"
    r"disconnect|unplug|plug|release|wait|find|use|set|turn|update|upgrade|contact|call|email|send|submit|check|make|"
    r"start|stop|tap|insert|remove|back|run)\b|点击|打开|选择|输入|登录|按住|进入|联系|拨打|提交|填写|安装|下载|上传|重启|发送|申请|等待"
)
_STEP = re.compile(rf"^(?:\d{{1,3}}[.)]\s*)?{_STEP_WORDS}|[,，]\s*(?:then\s+)?{_STEP_WORDS}", re.IGNORECASE)
"""An instruction: a sentence that starts with (or continues into) an imperative verb."""


@dataclass
class Unit:
    """A quotable piece of a source."""

    number: int
    order: int
    text: str
    terms: set[str]
    context: dict[str, set[str]] = field(default_factory=dict)
    """Text around the unit that may explain it (heading, list introduction) → its terms."""
    block: int = 0
    step: bool = False
    answers: set[str] = field(default_factory=set)
    """The terms of the question (an FAQ's) that the text before the unit asks…"""
    distance: int = 0
    """…and how many sentences after it the unit comes (the first one answers it most directly)."""
    score: float = 0.0
    covered: set[str] = field(default_factory=set)


class Question:
    """The question's weighted content terms and what kind of answer it wants."""

    def __init__(self, text: str, weights: dict[str, float] | None = None, focus: str | None = None):
        self.text = text
        terms = content_terms(text)
        known = dict(weights or {})
        self.known, self.focus_text = known, focus
        self.asked = asked = asked_terms(text)
        self.weights = {t: known.get(t, max(known.values(), default=1.0)) * (2 if t in asked else 1) for t in terms}
        self.total = sum(self.weights.values())
        self.focus = [t for t in content_terms(focus) if t in self.weights] if focus and focus != text else []
        self.frame = set(frame_terms(text))
        self.quantity = asks_quantity(text)
        self.procedure = asks_procedure(text)
        self.action = asks_action(text)
        self.language = detect_language(text)

    def share(self, terms: set[str], exclude: set[str] | None = None) -> float:
        """The share of the question's weight that ``terms`` hold (``exclude`` counted as held already)."""
        exclude = exclude or set()
        held = sum(w for t, w in self.weights.items() if t not in exclude and covers(t, terms))
        return held / self.total if self.total else 0.0

    def held(self, terms: set[str]) -> set[str]:
        return {t for t in self.weights if covers(t, terms)}


def _weight(question: Question, text: str) -> float:
    return sum(question.weights[t] for t in question.held(terms_of(text)))


def _cell_text(question: Question, header: list[str], row: list[str]) -> str:
    """The cell of a table row that the question asks for, with its row and column labels; the
    whole row with its column labels when no column is asked for."""
    zh = question.language == "zh"
    width = min(len(header), len(row))
    weights = {i: _weight(question, header[i]) for i in range(1, width)}
    most = max(weights.values(), default=0.0)
    asked = [i for i, weight in weights.items() if weight and weight == most]
    labels = [row[i] for i in range(width) if i == 0 or (i not in asked and _weight(question, row[i]))]
    label = ("，" if zh else ", ").join(dict.fromkeys(cell for cell in labels if cell))
    colon, separator = ("：", "；") if zh else (": ", "; ")
    if not asked:
        values = [i for i in range(1, width) if row[i] not in labels]
        if len(values) != 1:
            return f"{label}{colon}" + separator.join(f"{header[i]} {row[i]}" for i in values)
        asked = values
    cells = separator.join(f"{header[i]}{colon}{row[i]}" for i in asked)
    return f"{label}{'，' if zh else ' — '}{cells}"


_RANGE = re.compile(r"(\d+(?:\.\d+)?)\D{0,4}?(?:不满|以下|以内|至|到|-|–|～|~|\bto\b)\D{0,3}?(\d+(?:\.\d+)?)")
_AT_LEAST = re.compile(r"(\d+(?:\.\d+)?)\D{0,3}?(?:及以上|以上|or more|\+)")


def _in_range(label: str, numbers: list[float]) -> bool:
    """Whether a row label that is a range ("满10年不满20年", "20年及以上") holds a number of the question."""
    for low, high in _RANGE.findall(label):
        if any(float(low) <= n < float(high) for n in numbers):
            return True
    return any(any(n >= float(low) for n in numbers) for low in _AT_LEAST.findall(label))


def _table_units(question: Question, number: int, rows: list[Block], start: int, context: dict[str, set[str]]) -> list[Unit]:
    header = table_cells(rows[0].text)
    header_terms = terms_of(" ".join(header))
    numbers = [float(n) for n in re.findall(r"\d+(?:\.\d+)?", question.text)]
    units = []
    for offset, block in enumerate(rows[1:], start=1):
        row = table_cells(block.text)
        row_terms = terms_of(" ".join(row))
        if numbers and row and _in_range(row[0], numbers):
            row_terms |= {t for t in question.weights if re.fullmatch(r"\d+(?:\.\d+)?", t)}
        if not question.held(row_terms):
            continue  # a row the question does not name is not the asked one
        text = _cell_text(question, header, row)
        units.append(Unit(number, start + offset, text, row_terms | header_terms, context, start + offset))
    return units


def _units(question: Question, hit: SearchHit, number: int) -> list[Unit]:
    """The quotable units of one source."""
    section = {heading: terms_of(heading) for heading in hit.section}
    parts = blocks(hit.text)
    units: list[Unit] = []
    faq: set[str] = set()
    since = 0
    index = 0
    while index < len(parts):
        block = parts[index]
        if block.kind == "row":
            end = index
            while end < len(parts) and parts[end].kind == "row":
                end += 1
            context = dict(section)
            if index and parts[index - 1].kind != "row":  # the table's caption
                context[parts[index - 1].text] = terms_of(parts[index - 1].text)
            units.extend(_table_units(question, number, parts[index:end], index, context))
            index = end
            continue
        context = dict(section)
        if block.intro:
            context[block.intro] = terms_of(block.intro)
        step = block.kind == "item" and not ARTICLE.match(block.text)
        for sentence in _joined_short(split_sentences(_BULLET.sub("", block.text))):
            if sentence.endswith(("?", "？")):
                faq, since = terms_of(sentence), 0  # a question (an FAQ's) is no answer; what follows answers it
                continue
            if sentence.endswith((":", "：")):
                items = [p.text for p in parts[index + 1 :] if p.kind == "item" and p.intro == block.text]
                sentence = _with_items(sentence, items, question.language)
            is_step = step or bool(_STEP.search(sentence))
            units.append(Unit(number, index, sentence, terms_of(sentence), context, index, is_step, faq, since))
            since += 1
        index += 1
    return units


def _joined_short(sentences: list[str]) -> list[str]:
    """The sentences, one too short to say anything alone ("Yes.", "No.", "是的。") joined to the next."""
    joined: list[str] = []
    carried = ""
    for sentence in sentences:
        sentence = f"{carried} {sentence}".strip() if carried else sentence
        if len(sentence) < SHORT_SENTENCE and not sentence.endswith(("?", "？")):
            carried = sentence
            continue
        joined.append(sentence)
        carried = ""
    return [*joined, carried] if carried else joined


def _with_items(intro: str, items: list[str], language: str) -> str:
    """A list introduction with as many of its items as fit in a quote, on one line."""
    text = intro
    for item in items:
        item = _BULLET.sub("", item)
        if len(text) + len(item) > MAX_QUOTE_CHARS:
            break
        text += item if language == "zh" else f" {item}"
    return text


def _around(unit: Unit) -> set[str]:
    return set().union(*unit.context.values()) if unit.context else set()


def _score(question: Question, unit: Unit) -> None:
    around = _around(unit)
    unit.covered = question.held(unit.terms)
    coverage = question.share(unit.terms)
    answered = question.share(unit.answers, exclude=unit.covered) / (1 + unit.distance)
    if unit.answers & question.frame:
        answered += FRAME_MATCH / (1 + unit.distance)  # the FAQ asks what the question asks ("how quickly")
    if coverage == 0 and answered == 0:
        unit.score = 0.0
        return
    weight = PROCEDURE_CONTEXT_WEIGHT if question.procedure else CONTEXT_WEIGHT
    # the better ranked source and the shorter quote win ties
    unit.score = coverage + FAQ_WEIGHT * answered + 0.05 / unit.number - 0.05 * min(1.0, len(unit.text) / MAX_QUOTE_CHARS)
    unit.score += weight * question.share(around, exclude=unit.covered | question.held(unit.answers))
    unit.covered |= question.held(around | unit.answers)
    if question.quantity and re.search(r"\d|[一二三四五六七八九十百千]+[天日年月个次元]", unit.text):
        unit.score += 0.1
    if question.procedure:
        unit.score *= 1.0 if unit.step else NOT_A_STEP
    if question.asked and not unit.covered & question.asked:
        unit.score *= NOT_ASKED


_SECTION_NUMBER = re.compile(r"^[\d.]+\s+")


def _quoted(question: Question, unit: Unit) -> str:
    """The unit as quoted: preceded by the heading or list introduction that holds what the
    question asks and the unit lacks (e.g. the version a bug fix was made in)."""
    own = question.held(unit.terms)
    best, best_share = None, 0.0
    for text, terms in unit.context.items():
        share = question.share(terms, exclude=own)
        if share > best_share:
            best, best_share = text, share
    if best is None or best in unit.text or best_share < HEADING_SHARE:
        return unit.text
    if best_share < 2 * HEADING_SHARE and not re.search(r"\d", _SECTION_NUMBER.sub("", best)):
        return unit.text  # a heading that only repeats the topic adds nothing to the quote
    colon = "" if best.endswith(("：", ":")) else "：" if question.language == "zh" else ": "
    return f"{best}{colon}{unit.text}"


def _best(question: Question, units: list[Unit], limit: int) -> list[Unit]:
    """The best unit for ``question``, and the ones that add what it asks and the best lacks."""
    for unit in units:
        _score(question, unit)
    ranked = sorted((u for u in units if u.score > 0), key=lambda u: u.score, reverse=True)
    if not ranked:
        return []
    best = ranked[0]
    chosen = [best]
    covered = set(best.covered)
    for unit in ranked[1:]:
        if len(chosen) == limit or unit.score < RELATIVE_CUTOFF * best.score:
            break
        if question.share(unit.terms, exclude=covered) >= MIN_GAIN and not any(unit.text in u.text for u in chosen):
            chosen.append(unit)
            covered |= unit.covered
    if question.action and len(chosen) < limit:
        same = [u for u in units if u.number == best.number and u.block == best.block]
        position = same.index(best)
        if position + 1 < len(same) and same[position + 1] not in chosen:
            chosen.append(same[position + 1])
    return chosen


def choose(question: Question, sources: list[SearchHit]) -> list[Unit]:
    """The fewest units that answer (each part of a question that asks several things), in the
    order they are quoted."""
    units = [unit for number, hit in enumerate(sources, start=1) for unit in _units(question, hit, number)]
    if question.focus:  # a follow-up's own words: units without them answer the previous question
        focused = [u for u in units if all(covers(t, u.terms | u.answers | _around(u)) for t in question.focus)]
        units = focused or units
    asked = parts(question.text)
    if len(asked) < 2:
        chosen = _best(question, units, MAX_SENTENCES)
    else:
        chosen = []
        for part in asked:
            sub = Question(part, question.known, question.focus_text)
            chosen += [u for u in _best(sub, units, 2) if not any(u.text in c.text or c.text in u.text for c in chosen)]
    return sorted(chosen, key=lambda u: (u.number, u.order, units.index(u)))


def extract_answer(
    question: str, sources: list[SearchHit], weights: dict[str, float] | None = None, focus: str | None = None
) -> str:
    """The quoted units, each followed by its source marker ``[n]``; units of one passage share a line.

    ``weights`` are the IDF of the question's terms in the KB (uniform without); ``focus`` is the
    question as the user asked it when ``question`` is its rewrite, whose own words a quote should hold.
    """
    asked = Question(question, weights, focus)
    chosen = choose(asked, sources)
    lines: list[str] = []
    previous: Unit | None = None
    for unit in chosen:
        quote = f"{_quoted(asked, unit)} [{unit.number}]"
        if previous and previous.number == unit.number and previous.block == unit.block:
            lines[-1] += ("" if asked.language == "zh" else " ") + quote
        else:
            lines.append(quote)
        previous = unit
    return "\n".join(lines)


def evidence(question: str, hit: SearchHit, limit: int = 2) -> SearchHit:
    """The hit reduced to its ``limit`` units that best cover the question, in text order.

    Tiny models copy what is in front of them: given a whole chunk they wander, given the
    sentences that hold the answer they restate them (bench/history/2026-11-lab-notes.md §7). A hit with no
    unit sharing a question term is kept whole.
    """
    asked = Question(question)
    units = _units(asked, hit, 1)
    for unit in units:
        _score(asked, unit)
    best = sorted((u for u in units if u.score > 0), key=lambda u: u.score, reverse=True)[:limit]
    if not best:
        return hit
    best.sort(key=lambda u: (u.order, units.index(u)))
    return hit.model_copy(update={"text": "\n".join(u.text for u in best)})
