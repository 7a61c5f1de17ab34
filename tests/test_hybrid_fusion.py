"""Hybrid fusion as new KBs (the learned dense weight) and older ones (the rule) do it: on real score
lists recorded by bench/fusion.py (what BM25 and MiniLM returned for three evaluation questions), and end
to end on a tiny real KB where an identifier and a paraphrase must both come first."""

import json
from pathlib import Path

import pytest

from ragkb import KnowledgeBase, Settings
from ragkb.config import KBSettings
from ragkb.index.language import detect_language
from ragkb.profiles import SearchOptions
from ragkb.retrieve.adaptive import LEARNED, query_features
from ragkb.retrieve.confidence import confident_weight, dense_z, peaked_weight
from ragkb.retrieve.fusion import FUSIONS

FIXTURE = Path(__file__).parent / "fixtures" / "fusion" / "real_scores.json"
RECORDED = {q["kind"]: q for q in json.loads(FIXTURE.read_text(encoding="utf-8"))["queries"]}
"""keyword: a locale by currency code and dialling prefix (datasets/locales-mixed); paraphrase and both:
questions of datasets/handbook-en-nl; each with BM25's candidates, MiniLM's scores, the dense z-score over
the KB's background and the chunks of the judged document."""


def scores(query: dict, side: str) -> dict[int, float]:
    return {int(chunk): score for chunk, score in query[side].items()}


def background(query: dict) -> dict[int, float]:
    """Two background similarities whose mean and spread put the query's best dense match ``z`` deviations out."""
    best = max(query["dense"].values())
    return {-1: best - query["z"] * 0.01 - 0.01, -2: best - query["z"] * 0.01 + 0.01}


def rule_weight(query: dict) -> float:
    """The dense weight the rule gives this query (``dense_weighting = "rule"``, KBs made before the model)."""
    settings = KBSettings(dense_weighting="rule")
    weight = confident_weight(settings.dense_weight, scores(query, "dense"), background(query), settings.dense_confidence_z)
    return peaked_weight(weight, scores(query, "sparse"), settings.bm25_peak_z)


def learned_weight(query: dict) -> float:
    """The dense weight a new KB gives this query (``dense_weighting = "learned"``)."""
    z = dense_z(scores(query, "dense"), background(query))
    language = detect_language(query["query"])
    return LEARNED.weight(query_features(query["query"], language, scores(query, "sparse"), scores(query, "dense"), z))


def first(fused: dict[int, float]) -> int:
    return max(fused, key=fused.__getitem__)


def fused(query: dict, weight: float) -> dict[int, float]:
    return FUSIONS[KBSettings().fusion](scores(query, "sparse"), scores(query, "dense"), weight)


@pytest.mark.parametrize("weighting", [learned_weight, rule_weight])
@pytest.mark.parametrize("kind", ["keyword", "paraphrase", "both"])
def test_both_weightings_put_the_judged_document_first(kind, weighting):
    query = RECORDED[kind]
    assert first(fused(query, weighting(query))) in query["answer"]


def test_bm25_alone_answers_the_keyword_query_and_the_embedder_alone_the_paraphrase():
    keyword, paraphrase, both = RECORDED["keyword"], RECORDED["paraphrase"], RECORDED["both"]
    assert first(scores(keyword, "sparse")) in keyword["answer"] and first(scores(keyword, "dense")) not in keyword["answer"]
    assert first(scores(paraphrase, "dense")) in paraphrase["answer"]
    assert first(scores(paraphrase, "sparse")) not in paraphrase["answer"]
    assert first(scores(both, "sparse")) not in both["answer"] and first(scores(both, "dense")) not in both["answer"]


def test_the_model_gives_the_code_lookup_little_dense_weight_and_the_questions_much():
    keyword, paraphrase, both = (RECORDED[kind] for kind in ("keyword", "paraphrase", "both"))
    assert learned_weight(keyword) < 0.4 < 0.7 < min(learned_weight(paraphrase), learned_weight(both))
    assert first(fused(keyword, 0.7)) not in keyword["answer"]  # a question's weight would lose the code match


def test_query_features_read_identifiers_questions_and_agreement():
    sparse, dense = {1: 9.0, 2: 1.0, 3: 1.2, 4: 0.8}, {1: 0.8, 5: 0.7, 6: 0.5, 7: 0.75}
    z, overlap, terms, bm25_peak, dense_peak, identifier, question, chinese = query_features(
        "what does --no-preserve-root do?", "en", sparse, dense, None
    )
    assert (z, overlap, identifier, question, chinese) == (10.0, 0.1, 1.0, 1.0, 0.0)  # one shared of the top 10
    assert bm25_peak > 4 > dense_peak and terms > 1
    assert query_features("如何恢复出厂设置", "zh", sparse, dense, 2.5)[5:] == [0.0, 1.0, 1.0]
    assert query_features("Abstract Base Classes", "en", sparse, dense, 40.0)[:1] == [10.0]


def test_new_kbs_learn_the_weight_and_older_or_tuned_settings_keep_the_rule():
    assert KBSettings().dense_weighting == "learned" and KBSettings(embedder="none").dense_weighting == "learned"
    stored = KBSettings.model_validate(
        {"fusion": "zscore", "dense_weight": 0.85, "dense_confidence_z": 3.0, "bm25_peak_z": 4.0}
    )  # a KB made before the model
    assert stored.dense_weighting == "rule"
    assert KBSettings(dense_weight=0.6).dense_weighting == "rule"
    assert KBSettings(dense_weight=0.6, dense_weighting="learned").dense_weighting == "learned"


def test_dense_confidence_keeps_the_embedder_from_outvoting_an_exact_code_match():
    keyword = RECORDED["keyword"]  # MiniLM sees every locale table as alike: its best stands 1.6 deviations out
    assert rule_weight(keyword) < 0.5
    assert first(fused(keyword, KBSettings().dense_weight)) not in keyword["answer"]


def test_bm25_peak_damping_is_what_lets_the_mixed_question_through_the_rule():
    both = RECORDED["both"]  # confident embedder (z 5.4), but BM25's best stands far out
    assert rule_weight(both) < KBSettings().dense_weight
    assert first(fused(both, KBSettings().dense_weight)) not in both["answer"]


# --- end to end: a tiny KB with the default embedder --------------------------------------------

DOCUMENTS = {
    "rm.md": "# rm(1)\n\n## Options\n\n--no-preserve-root\n: do not treat the root directory specially when removing "
    "recursively.\n\n--preserve-root\n: refuse to remove the root directory; this is the default.\n",
    "logind.md": "# logind.conf(5)\n\n## Lid switch\n\nHandleLidSwitch= says what the login manager does when the lid of "
    "a laptop is closed: ignore, poweroff, reboot, halt, suspend or hibernate. Set it to ignore to keep working with "
    "the lid down.\n",
    "power.md": "# Power settings\n\n## Idle timeout\n\nWhen nobody touches the keyboard or mouse for twenty minutes, the "
    "desktop turns the screen off and the computer goes to sleep. Shut the timer off in the power panel to keep the "
    "machine awake.\n",
    "locale.md": "# locale(7)\n\n## Categories\n\nLC_NUMERIC sets the decimal separator and the grouping of digits; "
    "LC_TIME the format of dates; LC_COLLATE the order in which strings sort.\n",
    "cp.md": "# cp(1)\n\n## Options\n\n--preserve=ATTRIBUTES\n: keep the given attributes of the source files: mode, "
    "ownership, timestamps.\n\n-r, --recursive\n: copy directories and everything under them.\n",
    "clock.md": "# Clock\n\n## Time zone\n\nThe system clock keeps the time in UTC. Set the time zone and the date format "
    "shown on the desktop with timedatectl; numbers on the panel follow the same settings.\n",
}
IDENTIFIERS = {"--no-preserve-root": "rm", "HandleLidSwitch": "logind", "LC_NUMERIC": "locale", "timedatectl": "clock"}
PARAPHRASES = {
    "how do I keep my laptop on with the cover shut?": "logind",
    "which setting decides whether 1,000.5 is written with a comma or a point?": "locale",
}


@pytest.fixture
def tiny_kb(settings: Settings, tmp_path: Path) -> KnowledgeBase:
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in DOCUMENTS.items():
        (folder / name).write_text(text, encoding="utf-8")
    kb = KnowledgeBase.create("tiny", settings=settings)
    kb.add([folder])
    return kb


def top(kb: KnowledgeBase, query: str, mode: str) -> str:
    return Path(kb.retrieve(query, SearchOptions(k=3, mode=mode)).hits[0].file).stem


@pytest.mark.slow  # loads the default embedder
def test_identifiers_and_paraphrases_both_land_their_answer_first(tiny_kb):
    for query, answer in IDENTIFIERS.items():
        assert top(tiny_kb, query, "hybrid") == answer, query
    for query, answer in PARAPHRASES.items():
        assert top(tiny_kb, query, "sparse") != answer, query  # no shared words: BM25 alone picks another file
        assert top(tiny_kb, query, "hybrid") == answer, query
