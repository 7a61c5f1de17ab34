"""The answer cache: a repeated question is answered from the catalog until the KB changes, keyed on
everything that decides its answer; shared by processes (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from llm_servers import chat_server
from sqlalchemy import func, select
from stores import backend_url
from support import write

from ragkb import KBSettings, KnowledgeBase, Settings
from ragkb.answer.answering import Answerer
from ragkb.answer.cache import LOOKUP_TIMING, normalize_question
from ragkb.answer.chat import Conversation
from ragkb.answer.stream import FinalEvent, QueryEvent, TokenEvent, reconcile
from ragkb.catalog.answers import StoredAnswers
from ragkb.catalog.schema import AnswerCacheRow
from ragkb.config import Persona
from ragkb.profiles import SearchOptions

LEAVE = "# Leave\n\nAnnual leave is 25 days per calendar year.\n\n## Abroad\n\nStaff posted abroad get 30 days of leave.\n"
TRAVEL = "# Travel\n\nSubmit travel expense claims within 30 days after the trip ends.\n"
QUESTION = "How many days of annual leave per year?"


@pytest.fixture
def kb(settings: Settings, tmp_path: Path) -> KnowledgeBase:
    settings = settings.model_copy(update={"openai_base_url": "http://127.0.0.1:9/v1"})
    knowledge_base = KnowledgeBase.create("hr", kb_settings=KBSettings(embedder="none"), settings=settings)
    knowledge_base.add([write(tmp_path / "docs" / "leave.md", LEAVE)])
    return knowledge_base


def test_questions_are_compared_without_spacing_or_punctuation_width() -> None:
    assert normalize_question("  How many  days\tof leave ? ") == normalize_question("How many days of leave？")
    assert normalize_question("差旅报销的时限是多久？") == normalize_question("差旅报销的时限是多久?")
    assert normalize_question("ＶＰＮ　地址，是什么？") == normalize_question("VPN 地址,是什么?")
    assert normalize_question("What is leave?") != normalize_question("What is a leave?")
    # What the answerer reads differently stays apart: case (cased embedders, models), a space after "?"
    # (two words, not one token), the final punctuation
    assert normalize_question("What is the VPN?") != normalize_question("what is the vpn?")
    assert normalize_question("Printer? What is it?") != normalize_question("Printer?What is it?")
    assert normalize_question("VPN地址是什么。") != normalize_question("VPN地址是什么")


def test_a_repeated_question_is_answered_from_the_cache_until_the_kb_changes(kb: KnowledgeBase, tmp_path: Path) -> None:
    first = Answerer(kb, "extractive", cache=True).ask(QUESTION)
    assert not first.cached and "25 days" in first.answer and LOOKUP_TIMING in first.timings
    again = Answerer(kb, "extractive", cache=True).ask("  How many days of annual  leave per year？")
    assert again.cached and again.question == "  How many days of annual  leave per year？"
    assert again.answer == first.answer and again.citations == first.citations and again.retrieved == first.retrieved
    assert list(again.timings) == [LOOKUP_TIMING]

    kb.add([write(tmp_path / "docs" / "travel.md", TRAVEL)])  # any write bumps the KB's revision
    after_add = Answerer(kb, "extractive", cache=True).ask(QUESTION)
    assert not after_add.cached and Answerer(kb, "extractive", cache=True).ask(QUESTION).cached
    kb.remove([tmp_path / "docs" / "travel.md"])
    assert not Answerer(kb, "extractive", cache=True).ask(QUESTION).cached
    kb.add([tmp_path / "docs"], tags=["hr"])  # no file changed, but filters by tag now find others
    assert not Answerer(kb, "extractive", cache=True).ask(QUESTION).cached


def test_the_key_holds_profile_persona_generator_and_settings(kb: KnowledgeBase) -> None:
    def cached(**options) -> bool:
        return Answerer(kb, "extractive", cache=True, **options).ask(QUESTION).cached

    assert not cached() and cached()
    assert not cached(options=SearchOptions(profile="fast")) and cached(options=SearchOptions(profile="fast"))
    assert not cached(persona=Persona(name="Ava")) and cached(persona=Persona(name="Ava"))
    assert not cached(k=3) and not cached(tables=False)
    kb.set_profile("default", {"min_score": 0.01})  # the KB's settings changed: a profile's answers may too
    assert not cached()
    kb.set_persona({"tone": "brief"})
    assert not cached()


def test_the_setting_turns_it_off_and_other_front_ends_ask_for_it(kb: KnowledgeBase) -> None:
    assert not Answerer(kb, "extractive").ask(QUESTION).cached  # without cache=True (the default; eval's)
    assert not Answerer(kb, "extractive").ask(QUESTION).cached
    kb.app_settings = kb.app_settings.model_copy(update={"answer_cache": False})
    assert not Answerer(kb, "extractive", cache=True).ask(QUESTION).cached
    assert not Answerer(kb, "extractive", cache=True).ask(QUESTION).cached


def test_a_cached_answer_streams_as_its_query_and_answer(kb: KnowledgeBase) -> None:
    made = Answerer(kb, "extractive", cache=True).ask(QUESTION)
    events = list(reconcile(Answerer(kb, "extractive", cache=True).stream(QUESTION)))
    assert [type(event) for event in events] == [QueryEvent, TokenEvent, FinalEvent]
    assert events[0].query == QUESTION and events[1].text == made.answer and events[2].answer.cached


def test_a_model_answer_is_cached_and_its_follow_ups_are_not(kb: KnowledgeBase) -> None:
    with chat_server("Annual leave is 25 days per calendar year [1].") as (url, requests):
        kb.app_settings = kb.app_settings.model_copy(update={"openai_base_url": f"{url}/v1", "openai_api_key": "k"})
        first = Answerer(kb, "openai:m", cache=True).ask(QUESTION)
        again = Answerer(kb, "openai:m", cache=True).ask(QUESTION)
        assert not first.cached and again.cached and again.answer == first.answer and len(requests) == 1
        for name in ("one", "two"):  # the same conversation twice: the model reads the history each time
            conversation = Conversation(kb, name, Answerer(kb, "openai:m", cache=True))
            conversation.ask(QUESTION)
            assert not conversation.ask("and abroad?").cached
        assert len(requests) == 1 + 2 * 2  # each follow-up: a rewrite and an answer


def test_an_extractive_follow_up_is_keyed_on_its_rewritten_query(kb: KnowledgeBase, tmp_path: Path) -> None:
    kb.add([write(tmp_path / "docs" / "travel.md", TRAVEL)])

    def follow_up(session: str, first: str) -> bool:
        conversation = Conversation(kb, session, Answerer(kb, "extractive", cache=True))
        conversation.ask(first)
        answer = conversation.ask("and abroad?")
        assert "abroad" in answer.query
        return answer.cached

    assert not follow_up("a", QUESTION)
    assert follow_up("b", QUESTION)
    assert not follow_up("c", "When are travel expense claims due?")


@pytest.mark.parametrize("backend", ["embedded", "postgres"])
def test_processes_sharing_a_catalog_share_its_answers(backend: str, tmp_path: Path, cli_env: dict[str, str]) -> None:
    with backend_url(backend, tmp_path) as url:
        env = {**cli_env, "RAGKB_DATABASE_URL": url}

        def ragkb(*args: str) -> dict:
            done = subprocess.run(["ragkb", *args, "--json"], env=env, capture_output=True, text=True)
            assert done.returncode == 0, done.stderr
            return json.loads(done.stdout)

        ragkb("kb", "create", "hr", "--embedder", "none")
        ragkb("add", str(write(tmp_path / "docs" / "leave.md", LEAVE)), "--kb", "hr")
        first, again = (ragkb("ask", QUESTION, "--kb", "hr") for _ in range(2))
        assert not first["cached"] and again["cached"] and again["answer"] == first["answer"]
        ragkb("add", str(write(tmp_path / "docs" / "travel.md", TRAVEL)), "--kb", "hr")
        assert not ragkb("ask", QUESTION, "--kb", "hr")["cached"]
        disabled = subprocess.run(
            ["ragkb", "ask", QUESTION, "--kb", "hr", "--json"],
            env={**env, "RAGKB_ANSWER_CACHE": "false"},
            capture_output=True,
            text=True,
        )
        assert disabled.returncode == 0 and not json.loads(disabled.stdout)["cached"]


@pytest.mark.parametrize("backend", ["embedded", "postgres"])
def test_a_stored_answer_replaces_an_older_one_never_a_newer_one(backend: str, tmp_path: Path) -> None:
    with backend_url(backend, tmp_path) as url:
        kb = KnowledgeBase.create(
            "hr", kb_settings=KBSettings(embedder="none"), settings=Settings(home=tmp_path, database_url=url)
        )
        kb.add([write(tmp_path / "docs" / "leave.md", LEAVE)])
        stored = StoredAnswers(kb.catalog, kb.id)
        answer = Answerer(kb, "extractive").ask(QUESTION)
        revision = stored.revision()
        stored.put("k", revision, "q", answer.model_copy(update={"answer": "new"}), 1.0)
        stored.put("k", revision - 1, "q", answer.model_copy(update={"answer": "old"}), 1.0)  # a slow process, late
        found = stored.get("k")
        assert found is not None and found.answer.answer == "new" and found.seconds == 1.0
        kb.add([write(tmp_path / "docs" / "travel.md", TRAVEL)])
        assert stored.get("k") is None
        kb.delete()
        with kb.catalog.session() as session:
            assert session.scalar(select(func.count()).select_from(AnswerCacheRow)) == 0
