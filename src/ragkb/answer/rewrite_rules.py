"""Offline rules that turn a follow-up question into a standalone one (Chinese and English).

A follow-up is read for what makes it depend on the previous question:

- **ellipsis**: no question of its own — "那出国呢？", "总监呢？", "And the modem?", "What about in
  Shanghai?" — the previous question is asked again with what the follow-up changes: the word it
  replaces (same number unit "满12年"→"满20年", same head "年假"→"婚假", names the KB lists side by
  side "经理级 | 总监", the same preposition "for the router"→"for the modem", the last noun
  phrase), or, replacing nothing, added to it ("出国" + "差旅报销的时限是多久？");
- **anaphora**: a pronoun (它, 这个, it, they, that …) or a connective (那, 还有, and, also) — the
  pronoun is replaced by the previous question's topic, or the topic is carried into the question;
- **no topic of its own**: no content word the KB knows ("多久内要提交？", "How many days?"), or one
  word that the KB uses together with the previous topic in a short question ("需要附什么材料？")
  — the topic is carried over.

Anything else is a new question and is searched as asked, so "What is the VPN server address?"
after a question about reimbursement stays what it is. The signals are measurable: markers, the
content words the KB knows (:class:`KBTerms`), whether the KB uses them with the previous topic,
and the question's length.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import jieba
import jieba.posseg

from ragkb.answer.questions import ZH_FRAME, ZH_FUNCTION, common, content_terms, normal
from ragkb.index.language import detect_language
from ragkb.index.tokenize import ENGLISH_STOP_WORDS, tokenize
from ragkb.kb import KnowledgeBase
from ragkb.tables.text import jieba_module

ZH_LEADING = re.compile(r"^(?:那么|那如果|那要是|那|还有|另外|此外|如果是|要是|换成|至于|对于|而)[，,\s]*")
ZH_TRAILING = re.compile(r"(?:的情况|的话)?(?:呢|吗|啊|呀)?[？?。！!\s]*$")
ZH_QUESTION = re.compile(r"多久|多少|几|什么|哪|谁|怎么|怎样|如何|为什么|为何|是否|吗|能否|可以|有没有|是不是")
ZH_PRONOUN = re.compile(r"它们|它|其|这个|那个|这些|那些|这种|那种|上述|该项|此项|里面|其中")
EN_LEADING = re.compile(
    r"^(?:and\s+)?(?:what|how)\s+about\s+|^and\s+(?:if\s+)?|^what\s+if\s+|^(?:also|then|so|but)[,\s]+|"
    r"^(?:the\s+)?same\s+(?:question\s+)?for\s+",
    re.IGNORECASE,
)
EN_QUESTION_START = re.compile(
    r"^(?:how|what|which|who|whom|whose|when|where|why|is|are|was|were|do|does|did|can|could|should|would|will|"
    r"shall|may|might|must|has|have|had|am|i|we)\b",
    re.IGNORECASE,
)
EN_PRONOUN = re.compile(
    r"\b(?:it|its|they|them|their)\b|\b(?:the\s+\w+\s+)?ones?\b(?=\s*(?:[?.!]|$|\s+(?:be|is|are)\b))|\b(?:this|that|these|those)\b(?=\s*(?:[?.!]|$|\s+(?:is|are|was|were|do|does|did|"
    r"take|takes|cost|costs|mean|means|work|works|apply|applies|need|needs|require|requires|include|includes|happen|"
    r"happens|expire|expires|last|lasts|have|has|cover|covers)\b))",
    re.IGNORECASE,
)
EN_AUX_PRONOUN = re.compile(r"\b(?:is|are|was|were|does|do|did|can|will|would)\s+(this|that|these|those)\b", re.IGNORECASE)
"""A demonstrative after an auxiliary is a pronoun: "Why is that needed?"."""
EN_HOW_TO = re.compile(r"^how\s+(?:do|can|should|would|could)\s+(?:i|we|you)\s+(.+?)[?.!\s]*$", re.IGNORECASE)
EN_FRAME = re.compile(
    r"^(?:how\s+(?:long|many|much|often|far)\s+|how\s+|what\s+|which\s+|who\s+|when\s+|where\s+|why\s+)?"
    r"(?:is|are|was|were|do|does|did|can|could|should|would|will|must|has|have)\s+(?:i|we|you)?\s*",
    re.IGNORECASE,
)
EN_NOUN_PHRASE = re.compile(
    r"\b(?:the|a|an|my|your|our)\s+((?:[\w./-]+\s+){0,3}?[\w./-]+)(?=\s+(?:\w+ing|is|are|do|does|can|to|for|in|on|of|with|after|before|when|if|mean|means|work|works|take|takes|cost|costs|last|lasts|need|needs|have|has)\b|[?,.!]|$)",
    re.IGNORECASE,
)
EN_PREPOSITIONS = frozenset(
    [
        "for",
        "in",
        "on",
        "at",
        "with",
        "without",
        "from",
        "to",
        "during",
        "after",
        "before",
        "under",
        "over",
        "via",
        "by",
        "about",
        "of",
    ]
)
ZH_PROPER = frozenset({"ns", "nr", "nt", "nz", "eng", "t"})
CONTRASTS = (
    frozenset({"国内", "国外", "境内", "境外", "出国", "海外", "国际"}),
    frozenset({"工作日", "周末", "节假日", "休息日"}),
    frozenset({"白天", "夜间", "晚上"}),
    frozenset({"domestic", "international", "abroad", "overseas"}),
    frozenset({"weekday", "weekend", "holiday"}),
)
"""Words that stand in for one another whatever the KB says (one replaces another)."""
OWN_WORDS = {"zh": 2, "en": 1}
SHORT = {"zh": 10, "en": 6}
"""A question this short (characters, words) with one or two words of its own may lean on the previous one."""
SELF_CONTAINED = 3
"""An English question with this many content words the KB knows stands alone even with a pronoun
("Is it possible to change the Wi-Fi password?"); a Chinese pronoun (它, 里面) always points back."""
NAME = re.compile(
    r"\b(?:firmware|version|model)\s+\d+(?:\.\d+)+|\b\d+(?:\.\d+){2,}\b|\b(?:[A-Z]{2,}\d*\b|[\w-]*[A-Za-z][\w-]*\d[\w.-]*|[\w-]*\d[\w.-]*[A-Za-z][\w-]*|[A-Z][a-z]+[A-Z]\w*)"
    r"|\b[a-z]+-[a-z]+(?:\s+[a-z]{4,})?"
)
"""A name: a version (firmware 3.0.6), an acronym (MFA), letters with digits (NX-3000, WPA3), CamelCase (PeopleHub), or a
hyphenated word with its noun (multi-factor authentication); not a unit like GHz."""
VERSION = r"\b\d+(?:\.\d+){2,}\b"
MAX_LABEL_CHARS = 24
"""Table cells longer than this are sentences; only labels and values stand side by side."""
_NUMBER_UNIT = re.compile(r"(\d+(?:\.\d+)?)\s*([^\d\s，。？?、,.]{0,2})")
_SEPARATOR = r"\s*(?:\||、|，|,|/|及|和|或|与|and|or|vs\.?)\s*"


class KBTerms:
    """What the KB knows of words: whether it holds them, which words it lists side by side, and
    whether it uses two words in one passage."""

    def __init__(self, kb: KnowledgeBase, limit: int = 50, read: int = 20):
        self.kb = kb
        self.limit = limit
        self.read = read
        """Passages read per word (its first holders)."""

    def specific(self, term: str) -> bool:
        """Whether the KB holds ``term`` in few of its passages (under a quarter, and under ``limit``):
        a word that names a topic rather than one found everywhere."""
        held = len(self.holders(term))
        return 0 < held < min(self.limit, max(2, self.kb.stats()["chunks"] // 4))

    @lru_cache(maxsize=512)  # noqa: B019 (one per rewriter, which lives as long as its answerer)
    def holders(self, term: str) -> tuple[int, ...]:
        with self.kb.store.snapshot() as session:
            return tuple(self.kb.store.sparse.holders(session, self.kb.id, [term], self.limit).get(term, []))

    def known(self, term: str) -> bool:
        return bool(self.holders(term))

    @lru_cache(maxsize=512)  # noqa: B019
    def texts(self, word: str) -> tuple[str, ...]:
        """Texts of the KB's chunks that hold ``word`` (a word as written, several tokens perhaps),
        each after its section path."""
        tokens = [normal(t) for t in tokenize(word)]
        if not tokens:
            return ()
        rarest = min(tokens, key=lambda t: len(self.holders(t)) or self.limit + 1)
        return tuple(text for text in self.passages(rarest) if word.lower() in text.lower())

    @lru_cache(maxsize=512)  # noqa: B019
    def passages(self, term: str) -> tuple[str, ...]:
        """Texts of the KB's chunks whose index holds the token ``term``, each after its section path."""
        hits = (self.kb.chunk(chunk_id) for chunk_id in self.holders(term)[: self.read])
        return tuple(" > ".join(hit.section) + "\n" + hit.text for hit in hits if hit is not None)

    def parallel(self, a: str, b: str) -> bool:
        """Whether the KB names ``a`` and ``b`` side by side: in one table, two cells of a column or
        two value cells of a row (the header's "经理级 | 总监及以上", the rows' "Solid amber" and
        "Blinking blue"), or items of one enumeration ("北京、上海", "2.4 GHz or 5 GHz")."""
        if a.lower() == b.lower() or a.isdigit() or b.isdigit():
            return False
        first, second = re.escape(a), re.escape(b)
        between = rf"(?:{_SEPARATOR}[^|、，,/\n]{{1,12}}?){{0,5}}{_SEPARATOR}"
        enumeration = re.compile(rf"{first}{between}{second}|{second}{between}{first}", re.IGNORECASE)
        for text in self.texts(a):
            if b.lower() not in text.lower():
                continue
            table = [_cells(line) for line in text.split("\n") if line.lstrip().startswith("|")]
            at_a = {
                (r, c) for r, row in enumerate(table) for c, cell in enumerate(row) if _names(cell, a) and not _names(cell, b)
            }
            at_b = {
                (r, c) for r, row in enumerate(table) for c, cell in enumerate(row) if _names(cell, b) and not _names(cell, a)
            }
            if any((ra == rb and ca and cb) or (ca == cb and ra != rb) for ra, ca in at_a for rb, cb in at_b):
                return True
            if enumeration.search(text):
                return True
        return False

    def together(self, terms: list[str], others: set[str]) -> bool:
        """Whether some passage of the KB holding one of the tokens ``terms`` holds a token of ``others``."""
        return any(others & {normal(t) for t in tokenize(text)} for term in terms for text in self.passages(term))


def _cells(line: str) -> list[str]:
    return [cell.strip().lower() for cell in line.strip().strip("|").split("|")]


def _names(cell: str, word: str) -> bool:
    """Whether a table cell holds ``word`` (a whole word, in English)."""
    word = word.lower()
    if len(cell) > MAX_LABEL_CHARS:
        return False  # a sentence in a cell, not a label or a value
    return word in cell if _han(word) else bool(re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", cell))


@dataclass(frozen=True)
class FollowUp:
    """A question as it leans on the one before."""

    text: str
    language: str
    core: str
    """The question without its leading connective and closing particle ("出国" of "那出国呢？")."""
    connective: bool
    ellipsis: bool
    """It asks nothing of its own: the previous question is asked again with what it changes."""
    pronoun: str | None


def read_follow_up(question: str) -> FollowUp:
    text = question.strip()
    language = detect_language(text)
    if language == "zh":
        leading = ZH_LEADING.match(text)
        core = ZH_TRAILING.sub("", text[leading.end() :] if leading else text)
        particle = bool(re.search(r"呢[？?。！!\s]*$", text))
        ellipsis = bool(core) and (particle or bool(leading)) and not ZH_QUESTION.search(core)
        marker = ZH_PRONOUN.search(text)
        return FollowUp(text, language, core, bool(leading), ellipsis, marker.group(0) if marker else None)
    leading = EN_LEADING.match(text)
    core = (text[leading.end() :] if leading else text).rstrip(" ?.!")
    bare = not EN_QUESTION_START.match(core)
    if bare:  # "And its dimensions?" asks the previous question of the dimensions
        core = re.sub(r"^(?:its|their)\s+", "the ", core, flags=re.IGNORECASE)
    found, after_verb = EN_PRONOUN.search(text), EN_AUX_PRONOUN.search(text)
    pronoun = found.group(0) if found else after_verb.group(1) if after_verb else None
    ellipsis = bool(core) and bare and not EN_PRONOUN.search(core) and (bool(leading) or len(core.split()) <= 4)
    return FollowUp(text, language, core, bool(leading), ellipsis, pronoun)


@dataclass(frozen=True)
class RuleRewrite:
    query: str
    follow_up: bool
    reason: str


def rewrite_with_rules(question: str, previous: str, terms: KBTerms) -> RuleRewrite:
    """``question`` made standalone with the help of ``previous`` (the previous question, itself
    standalone), or as asked when it is a question of its own."""
    follow = read_follow_up(question)
    if not previous.strip() or detect_language(previous) != follow.language:
        return RuleRewrite(question, False, "no previous question in its language")
    before = set(content_terms(previous))
    own = [t for t in content_terms(question) if t not in before]
    known = [t for t in own if terms.known(t) and (follow.language == "en" or len(t) >= 2 or not _han(t))]
    if follow.ellipsis:
        return RuleRewrite(*_ellipsis(follow, previous, terms))
    if (follow.pronoun or follow.connective) and (len(known) < SELF_CONTAINED or (follow.pronoun and follow.language == "zh")):
        marker = follow.pronoun or "connective"
        return RuleRewrite(_carry(follow, previous, terms), True, f"anaphora ({marker}): the previous topic carried over")
    strange = [t for t in own if t not in known and not terms.known(t) and _a_word(t) and not common(t)]
    if strange:  # it names what the KB does not hold: a new question (one to refuse, perhaps)
        return RuleRewrite(question, False, f"a question of its own about what the KB lacks ({', '.join(strange[:3])})")
    if not known:
        return RuleRewrite(
            _carry(follow, previous, terms), True, "no word of its own the KB knows: the previous topic carried over"
        )
    length = len(question) if follow.language == "zh" else len(question.split())
    specific = {t for t in before if terms.specific(t)}
    if len(known) <= OWN_WORDS[follow.language] and length <= SHORT[follow.language] and terms.together(known, specific):
        reason = f"short, and {', '.join(known)} go(es) with the previous topic in the KB"
        return RuleRewrite(_carry(follow, previous, terms), True, reason)
    return RuleRewrite(question, False, f"a question of its own ({', '.join(known[:4])})")


def _a_word(term: str) -> bool:
    """Whether a term is a word, not a piece jieba cut out of a phrase ("内休" of "多久内休完")."""
    if not _han(term):
        return True
    jieba_module().initialize()
    return len(term) > 1 and bool(jieba.get_FREQ(term))


def _han(text: str) -> bool:
    return bool(re.search(r"[\u4e00-\u9fff]", text))


@lru_cache(maxsize=256)
def _zh_words(text: str) -> tuple[tuple[str, str], ...]:
    """(word, part of speech) of a Chinese text, jieba's precise cut."""
    return tuple((pair.word, pair.flag) for pair in jieba.posseg.cut(text))


def _zh_content(text: str) -> list[str]:
    """The content words of a Chinese text, in order: no interrogatives, function words, punctuation."""
    frame = ZH_FRAME | ZH_FUNCTION | {"的", "是", "有", "呢", "吗", "要", "需要", "可以", "应该", "每"}
    return [w for w, flag in _zh_words(text) if w.strip() and flag not in ("x", "uj", "y", "r", "c", "p", "d") and w not in frame]


def _counterpart(word: str, previous: str, terms: KBTerms, language: str, inserted: Iterable[str] = ()) -> str | None:
    """The word of ``previous`` that ``word`` replaces, if any (never one of the ``inserted`` ones)."""
    if _han(word) and len(word) < 2:
        return None  # a lone character stands in for nothing in particular
    if language == "zh":
        spans = _zh_content(previous)
        words = [w for w, _ in _zh_words(previous)]
        spans += [a + b for a, b in itertools.pairwise(words) if _han(a + b)]
    else:
        spans = [w for w in re.findall(r"[\w./-]+", previous) if w.lower() not in ENGLISH_STOP_WORDS]
    new = [i.lower() for i in inserted]
    spans = [
        s
        for s in dict.fromkeys(spans)
        if s.lower() != word.lower() and word.lower() not in s.lower() and not any(s.lower() in i or i in s.lower() for i in new)
    ]
    for contrast in CONTRASTS:
        if word.lower() in contrast:
            for span in spans:
                if span.lower() in contrast:
                    return span
    if language == "zh" and len(word) >= 2 and _han(word):
        for span in sorted(spans, key=lambda s: abs(len(s) - len(word))):
            if len(span) >= 2 and span[-1] == word[-1] and _han(span):
                return span  # the same head: 年假 / 婚假, 经理级 / 总监级
    for span in spans:
        if terms.parallel(word, span):
            return span
    if language == "zh":
        flag = dict(_zh_words(word)).get(word)
        if flag in ZH_PROPER:
            for span, other in _zh_words(previous):
                if other == flag and span != word:
                    return span
    return None


def _replace_numbers(core: str, previous: str) -> tuple[str, list[str]]:
    """``previous`` with its numbers replaced by the follow-up's numbers of the same unit (满12年 →
    满20年), a version by a version (3.2.0 → 3.1.4)."""
    versions = re.findall(VERSION, core)
    before = list(re.finditer(VERSION, previous))
    if versions and before:
        last = before[-1]
        return previous[: last.start()] + versions[0] + previous[last.end() :], versions[:1]
    replaced = []
    for number, unit in _NUMBER_UNIT.findall(core):
        for match in _NUMBER_UNIT.finditer(previous):
            if match.group(2)[:1] == unit[:1] and match.group(1) != number:
                previous = previous[: match.start(1)] + number + previous[match.end(1) :]
                replaced.append(number)
                break
    return previous, replaced


def _ellipsis(follow: FollowUp, previous: str, terms: KBTerms) -> tuple[str, bool, str]:
    """The previous question again, with what the follow-up changes."""
    query, numbers = _replace_numbers(follow.core, previous)
    changes = list(numbers)
    if follow.language == "zh":
        return _ellipsis_zh(follow.core, query, numbers, changes, terms)
    phrase = follow.core
    words = phrase.split()
    if words and words[0].lower() in EN_PREPOSITIONS:
        pattern = rf"\b{words[0]}\s+[^?,.!]+?(?=\s+(?:{'|'.join(EN_PREPOSITIONS)})\b|[?,.!]|$)"
        same = re.search(pattern, query, re.IGNORECASE)
        if same:
            return query[: same.start()] + phrase + query[same.end() :], True, f"ellipsis: '{same.group(0)}'→'{phrase}'"
        return f"{query.rstrip(' ?.!')} {phrase}?", True, f"ellipsis: the previous question {phrase}"
    if numbers:
        return query, True, f"ellipsis: the previous question with {', '.join(changes)}"
    whole = re.sub(r"^(?:the|a|an)\s+", "", phrase, flags=re.IGNORECASE)
    old = _counterpart(whole, query, terms, "en") if " " in whole or len(words) == 1 or whole != phrase else None
    if old:  # the follow-up names what stands beside a word of the previous question: its noun phrase goes
        around = next((m for m in EN_NOUN_PHRASE.finditer(query) if old.lower() in m.group(0).lower()), None)
        if around:
            return (
                query[: around.start()] + f"the {whole}" + query[around.end() :],
                True,
                f"ellipsis: '{around.group(0)}'→'the {whole}'",
            )
        return re.sub(rf"(?<![\w-]){re.escape(old)}(?![\w-])", whole, query, count=1), True, f"ellipsis: '{old}'→'{whole}'"
    inserted: list[str] = []
    for word in (w.strip(",;") for w in words if w.lower() not in ENGLISH_STOP_WORDS):
        old = _counterpart(word, query, terms, "en", inserted)
        if old:
            inserted.append(word)
            query = re.sub(rf"(?<![\w-]){re.escape(old)}(?![\w-])", word, query, count=1)
            changes.append(f"'{old}'→'{word}'")
    if changes:
        return query, True, f"ellipsis: {', '.join(changes)}"
    first = EN_NOUN_PHRASE.search(query)  # the thing asked about, before what qualifies it ("for the web interface")
    if first:
        return query[: first.start()] + phrase + query[first.end() :], True, f"ellipsis: '{first.group(0)}'→'{phrase}'"
    return f"{query.rstrip(' ?.!')} {phrase}?", True, f"ellipsis: the previous question {phrase}"


def _ellipsis_zh(core: str, query: str, numbers: list[str], changes: list[str], terms: KBTerms) -> tuple[str, bool, str]:
    """Chinese ellipsis: a word of the previous question replaced, a new attribute asked of the
    previous topic ("住宿标准呢？" after "…需要附什么材料？"), or a word added ("出国" to "差旅报销…")."""
    added: list[str] = []
    words = _zh_content(core)
    whole = "".join(words)
    if len(words) > 1 and not numbers and (old := _counterpart(whole, query, terms, "zh")):
        return query.replace(old, whole, 1), True, f"ellipsis: the previous question with {old}→{whole}"
    for word in words:
        if any(n in word for n in numbers) or word in query:
            continue
        old = _counterpart(word, query, terms, "zh", [c.split("→")[-1] for c in changes])
        if old:
            query = query.replace(old, word, 1)
            changes.append(f"{old}→{word}")
        else:
            added.append(word)
    if not added:
        return query, True, f"ellipsis: the previous question with {', '.join(changes) or 'nothing changed'}"
    flags = dict(_zh_words(core))
    attribute = _attribute_zh(query)
    if attribute and all(flags.get(w, "n").startswith("n") and flags.get(w) not in ZH_PROPER for w in added):
        topic = "".join(w for w in _zh_content(query) if w not in attribute)
        changes.append(f"{attribute}→{''.join(added)}")
        return f"{topic}的{''.join(added)}是什么？", True, f"ellipsis: the previous topic with {', '.join(changes)}"
    first = next(iter(_zh_content(query)), "")
    at = query.find(first) if first else 0
    changes.append("+" + "".join(added))
    return query[:at] + "".join(added) + query[at:], True, f"ellipsis: the previous question with {', '.join(changes)}"


def _attribute_zh(question: str) -> str | None:
    """What a Chinese question asks of its topic: the noun after 什么/哪些 ("什么材料"), or the
    nouns between 的 and 是 ("差旅报销的时限是多久" → 时限)."""
    words = list(_zh_words(question))
    for index, (word, _) in enumerate(words):
        if word in ("什么", "哪些", "哪个", "哪种") and index + 1 < len(words) and words[index + 1][1].startswith("n"):
            return words[index + 1][0]
        if (
            word == "有"
            and index + 2 < len(words)
            and words[index + 1][1].startswith(("n", "vn"))
            and words[index + 2][0] in "吗么"
        ):
            return words[index + 1][0]  # "事假有工资吗" asks about 工资
        if word in ("是", "为") and index and words[index - 1][1].startswith("n"):
            start = index - 1
            while start and words[start - 1][1].startswith("n") and words[start - 1][1] not in ZH_PROPER:
                start -= 1
            if start and words[start - 1][0] == "的":
                return "".join(w for w, _ in words[start:index])
    return None


def _zh_runs(text: str) -> list[tuple[str, bool]]:
    """Runs of adjacent content words of a Chinese text ("陪" + "产假"), each with whether it holds
    a noun."""
    content = set(_zh_content(text))
    runs: list[tuple[str, bool]] = []
    current, nounish = "", False
    for word, flag in [*_zh_words(text), ("", "x")]:
        if word in content:
            current += word
            nounish = nounish or flag.startswith(("n", "eng", "vn")) or flag in ZH_PROPER
        elif current:
            runs.append((current, nounish))
            current, nounish = "", False
    return runs


def _topic_zh(previous: str, question: str, terms: KBTerms) -> str:
    """What of the previous question a follow-up carries over: its runs of nouns (all its content
    words if it has none), without what the follow-up has, replaces or asks instead of its attribute."""
    own = _zh_content(question)
    replaced = [old for word in own if word not in previous and (old := _counterpart(word, previous, terms, "zh"))]
    attribute = _attribute_zh(previous) or ""
    runs = [
        (run, nounish)
        for run, nounish in _zh_runs(previous)
        if run not in question and run not in attribute and not any(run in o for o in replaced) and _carried(run, terms)
    ]
    nouns = [run for run, nounish in runs if nounish]
    return "".join(nouns or [run for run, _ in runs])


def _carried(word: str, terms: KBTerms) -> bool:
    """Whether a word of the previous question is worth carrying: not a lone character jieba left,
    and known to the KB."""
    tokens = tokenize(word)
    return (len(word) >= 2 or not _han(word)) and any(terms.known(normal(t)) for t in tokens)


def _topic_en(previous: str, terms: KBTerms) -> str | None:
    """The most specific thing an English question is about: a noun phrase ("the NX-3000"), a name
    (MFA, PeopleHub, AUTH-403), or the subject of a yes/no question ("Is multi-factor authentication
    mandatory?")."""
    candidates = [m.group(0) for m in EN_NOUN_PHRASE.finditer(previous)]
    candidates += re.findall(NAME, previous[1:])
    yes_no = re.match(r"^(?:is|are|does|do|can|should|will)\s+(.+?)\s+\S+[?.!\s]*$", previous, re.IGNORECASE)
    if yes_no:
        candidates.append(yes_no.group(1))
    candidates = [c.strip() for c in candidates if c.strip() and c.split()[0].lower() not in ("i", "we", "you")]
    scored = [(weight, len(c), c) for c in candidates if (weight := _weight(c, terms)) > 0]
    return max(scored)[2] if scored else None


def _carry(follow: FollowUp, previous: str, terms: KBTerms) -> str:
    """The follow-up with the previous question's topic where its pronoun is, or added to it."""
    question = follow.text
    if follow.language == "zh":
        topic = _topic_zh(previous, question, terms)
        if not topic:
            return question
        body = ZH_LEADING.sub("", question) if follow.connective else question
        if follow.pronoun and follow.pronoun in body:
            return body.replace(follow.pronoun, topic, 1)
        return topic + body
    body = re.sub(r"^(?:and|also|so|then|but)[,\s]+", "", question, flags=re.IGNORECASE)  # "What if" stays
    body = body[:1].upper() + body[1:]
    previous = re.sub(r"\s*\([^)]*\)", "", previous)  # not what an earlier rewrite carried
    how_to = EN_HOW_TO.match(previous.strip())
    pronoun = (follow.pronoun or "").lower()
    thing = _topic_en(previous, terms)
    process = re.search(r"\b(?:take|takes|cost|costs|need|needs|require|requires|last|lasts)\b", body, re.IGNORECASE)
    if how_to and pronoun in ("it", "this", "that", "they", "them") and (process or pronoun in ("they", "them") or not thing):
        # the pronoun is the action asked about: "How long does it take to reset the router?"
        return f"{body.rstrip(' ?.!')}{' to ' if process else ' when I '}{how_to.group(1)}?"
    if not thing:
        core = EN_FRAME.sub("", previous.strip()).rstrip(" ?.!")
        return f"{body.rstrip(' ?.!')} ({core})?" if core and core.lower() not in body.lower() else question
    if thing.lower() in body.lower():
        return question
    if pronoun in ("this", "that", "these", "those"):  # a statement or an action, not a thing
        last = re.split(r"(?<=[.!?])\s+", previous.strip())[-1]
        core = EN_FRAME.sub("", last).rstrip(" ?.!")
        return f"{body.rstrip(' ?.!')} ({core})?"
    if pronoun in ("it", "its", "they", "them", "their"):
        thing = thing[0].lower() + thing[1:] if thing.split()[0].lower() in ("the", "a", "an", "my", "your", "our") else thing
        named = f"{thing}'s" if pronoun in ("its", "their") else thing
        return re.sub(rf"\b{re.escape(follow.pronoun or '')}\b", named, body, count=1, flags=re.IGNORECASE)
    return f"{body.rstrip(' ?.!')} for {thing}?"


def _weight(phrase: str, terms: KBTerms) -> float:
    """How specific a phrase is in the KB: its known content words, rarer counting more."""
    return sum(1.0 / (1 + len(terms.holders(t))) for t in content_terms(phrase) if terms.known(t))
