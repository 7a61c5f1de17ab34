"""What a conversation stores of each turn: the answer with how it was reached (analysis, route,
formulas, SQL), a stopped answer marked stopped, a regenerated answer in place of the old one, and
no session before its first turn; what the answer cache keeps (nothing made while a web search
failed, nothing stopped); and one answer for the spellings of a question the cache takes for one."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import httpx
import pytest
from llm_servers import chat_server
from server_live import live_server
from support import write

from ragkb import KBSettings, KnowledgeBase, Settings
from ragkb.answer.answering import Answerer
from ragkb.answer.cache import cache_key, normalize_question
from ragkb.answer.chat import Conversation
from ragkb.answer.stream import QueryEvent, TokenEvent
from ragkb.catalog.answers import StoredAnswers
from ragkb.catalog.chats import ChatSessions
from ragkb.errors import RagkbError
from ragkb.profiles import SearchOptions

REPORT = (Path(__file__).parent / "fixtures" / "reports" / "xinghai-2022.html").read_text(encoding="utf-8")
RATIO = "2022年星海科技的销售费用率是多少？保留两位小数"
IT = (
    "# IT help\n\nThe VPN address is vpn.example.com. Connect with your staff account.\n\n"
    "## Printers\n\nHow do I add a printer? Open Settings and choose Printers.\n\n"
    "What is the guest Wi-Fi password? It is printed at reception.\n\n"
    "## 报销\n\nVPN地址是vpn.example.com。员工出差结束后应在30日内提交差旅报销。\n"
)
LONG_REPLY = "Connect to vpn.example.com with your staff account [1]. " * 4


@pytest.fixture
def reports(settings: Settings, tmp_path: Path) -> KnowledgeBase:
    kb = KnowledgeBase.create("reports", kb_settings=KBSettings(embedder="none"), settings=settings)
    kb.add([write(tmp_path / "docs" / "xinghai.html", REPORT)])
    return kb


@pytest.fixture
def it(settings: Settings, tmp_path: Path) -> KnowledgeBase:
    kb = KnowledgeBase.create("it", kb_settings=KBSettings(embedder="none"), settings=settings)
    kb.add([write(tmp_path / "docs" / "it.md", IT)])
    return kb


def with_model(kb: KnowledgeBase, url: str) -> KnowledgeBase:
    kb.app_settings = kb.app_settings.model_copy(update={"openai_base_url": f"{url}/v1", "openai_api_key": "k"})
    return kb


def test_a_table_answers_analysis_formulas_and_sql_are_stored_with_its_message(reports: KnowledgeBase) -> None:
    answer = Conversation(reports, "ratios", Answerer(reports, "extractive")).ask(RATIO)
    assert answer.route == "table" and answer.analysis and answer.computations
    [question, stored] = reports.session_messages("ratios") or []
    assert (question.role, question.content, question.stopped) == ("user", RATIO, False)
    assert stored.content == answer.answer and stored.citations == answer.citations
    assert (stored.route, stored.analysis, stored.computations) == (answer.route, answer.analysis, answer.computations)
    assert stored.analysis.type == "calculation" and [c.name for c in stored.computations] == ["销售费用率"]
    assert not stored.stopped

    sql = "SELECT company, net_profit FROM financials WHERE year = 2022"  # what NL2SQL answers carry
    ChatSessions(reports.catalog, reports.id).append("statistics", RATIO, answer.model_copy(update={"sql": sql}))
    assert (reports.session_messages("statistics") or [])[1].sql == sql


def test_the_sessions_api_serves_them_too(reports: KnowledgeBase) -> None:
    Conversation(reports, "ratios", Answerer(reports, "extractive")).ask(RATIO)
    with live_server(reports.app_settings) as url, httpx.Client(base_url=url, timeout=60) as client:
        messages = client.get("/api/kbs/reports/sessions/ratios").json()["messages"]
    assert messages[1]["route"] == "table" and messages[1]["analysis"]["type"] == "calculation"
    [computation] = messages[1]["computations"]
    assert computation["display"] == "5.27%" and [o["name"] for o in computation["operands"]] == [
        "2022年销售费用",
        "2022年营业收入",
    ]


def test_regenerate_replaces_the_last_turn_and_skips_the_cache(it: KnowledgeBase) -> None:
    with live_server(it.app_settings) as url, httpx.Client(base_url=url, timeout=60) as client:

        def ask(question: str, **body) -> dict:
            answered = client.post(
                "/api/kbs/it/ask", json={"question": question, "session": "s", "generator": "extractive", **body}
            )
            assert answered.status_code == 200, answered.text
            return answered.json()

        def turns() -> list[str]:
            return [m["content"] for m in client.get("/api/kbs/it/sessions/s").json()["messages"] if m["role"] == "user"]

        assert "vpn.example.com" in ask("What is the VPN address?")["answer"]
        assert "reception" in ask("What is the guest Wi-Fi password?")["answer"]
        regenerated = ask("What is the guest Wi-Fi password?", regenerate=True)
        assert "reception" in regenerated["answer"] and not regenerated["cached"]  # answered again, not from the cache
        assert turns() == ["What is the VPN address?", "What is the guest Wi-Fi password?"]
        ask("How do I add a printer?", regenerate=True)  # not the last question: a new turn
        assert turns() == ["What is the VPN address?", "What is the guest Wi-Fi password?", "How do I add a printer?"]


def test_stopping_the_first_answer_stores_it_marked_stopped(it: KnowledgeBase) -> None:
    with chat_server(LONG_REPLY) as (url, _):
        conversation = Conversation(with_model(it, url), "new", Answerer(it, "openai:m"))
        events = conversation.stream("How do I connect to the VPN address?")
        assert isinstance(next(events), QueryEvent)
        assert [s.name for s in it.sessions()] == []  # nothing stored while it is being answered
        shown = [next(e for e in events if isinstance(e, TokenEvent)).text]
        events.close()  # the user stopped it
        [session] = it.sessions()
        assert (session.name, session.messages) == ("new", 2)
        question, partial = it.session_messages("new") or []
        assert (
            question.content == "How do I connect to the VPN address?"
            and question.query == "How do I connect to the VPN address?"
        )
        assert partial.stopped and partial.content == "".join(shown).strip() and partial.citations == []
        assert conversation.history()[-1] == {"role": "assistant", "content": partial.content}

        answered = conversation.ask("How do I connect to the VPN address?", regenerate=True)  # the stopped turn, answered whole
        [question, whole] = it.session_messages("new") or []
        assert not whole.stopped and whole.content == answered.answer and "staff account" in whole.content


def test_a_conversation_whose_first_answer_never_began_or_failed_leaves_no_session(it: KnowledgeBase) -> None:
    Conversation(it, "closed", Answerer(it, "extractive")).stream("What is the VPN address?").close()
    with chat_server("", status=500) as (url, _), pytest.raises(RagkbError):
        Conversation(with_model(it, url), "failed", Answerer(it, "openai:m")).ask("What is the VPN address?")
    assert it.sessions() == []


def test_an_answer_made_while_the_web_search_failed_is_not_cached(it: KnowledgeBase) -> None:
    it.app_settings = it.app_settings.model_copy(update={"searxng_url": "http://127.0.0.1:9"})  # nothing listens
    options = SearchOptions(web_search="searxng")
    first = Answerer(it, "extractive", cache=True, options=options).ask("What is the VPN address?")
    assert "vpn.example.com" in first.answer and first.notes and "searxng" in first.notes[0]
    assert StoredAnswers(it.catalog, it.id).stats().answers == 0
    assert not Answerer(it, "extractive", cache=True, options=options).ask("What is the VPN address?").cached
    assert Answerer(it, "extractive", cache=True).ask("What is the VPN address?").cached is False  # no web search: stored
    assert Answerer(it, "extractive", cache=True).ask("What is the VPN address?").cached


def test_a_stopped_answer_is_not_cached(it: KnowledgeBase) -> None:
    with chat_server(LONG_REPLY) as (url, _):
        answerer = Answerer(with_model(it, url), "openai:m", cache=True)
        events = answerer.stream("How do I connect to the VPN address?")
        next(e for e in events if isinstance(e, TokenEvent))
        events.close()
        assert StoredAnswers(it.catalog, it.id).stats().answers == 0
        assert not answerer.ask("How do I connect to the VPN address?").cached
        assert answerer.ask("How do I connect to the VPN address?").cached


@pytest.mark.parametrize(
    ("spellings", "history", "expected"),
    [
        (["What is the VPN address?", "What is the VPN address？", "Ｗｈａｔ is the VPN address？"], [], "vpn.example.com"),
        (["VPN地址是什么？", "VPN地址是什么?", "VPN地址是什么 ？"], [], "vpn.example.com"),
        (["And the VPN address?", "And the VPN address？"], ["What is the guest Wi-Fi password？"], "vpn.example.com"),
        (["And the VPN address?", "And the VPN address？"], ["What is the guest Wi-Fi password?"], "vpn.example.com"),
    ],
)
def test_spellings_the_cache_takes_for_one_get_one_answer(
    it: KnowledgeBase, spellings: list[str], history: list[str], expected: str
) -> None:
    turns = [
        message for asked in history for message in ({"role": "user", "content": asked}, {"role": "assistant", "content": "-"})
    ]
    answerer = Answerer(it, "extractive")
    answers = [answerer.ask(spelling, turns) for spelling in spellings]
    assert expected in answers[0].answer
    assert {a.answer for a in answers} == {answers[0].answer} and {a.query for a in answers[1:]} <= {answers[0].query, *spellings}
    keys = {cache_key(answerer, s, answerer.rewrite(s, turns)) for s in spellings}
    assert len(keys) == 1 and len({normalize_question(s) for s in spellings}) == 1


def test_a_question_is_shown_as_typed(it: KnowledgeBase) -> None:
    for question in ("VPN地址是什么?", "What is the VPN address？"):
        answer = Answerer(it, "extractive").ask(question)
        assert (answer.question, answer.query) == (question, question)  # not "searched for" its normalized form
    cached = Answerer(it, "extractive", cache=True)
    cached.ask("VPN地址是什么？")
    hit = cached.ask("VPN地址是什么?")
    assert hit.cached and (hit.question, hit.query) == ("VPN地址是什么?", "VPN地址是什么?")


def test_ragkb_chat_history_shows_them(reports: KnowledgeBase, cli_env: dict[str, str]) -> None:
    answer = Conversation(reports, "ratios", Answerer(reports, "extractive")).ask(RATIO)
    ChatSessions(reports.catalog, reports.id).append("ratios", "营业收入呢？", answer, stopped=True)

    def history(*options: str) -> str:
        command = ["ragkb", "chat", "--kb", "reports", "--session", "ratios", "--history", *options]
        return subprocess.run(command, env=cli_env, capture_output=True, text=True, check=True).stdout

    stored = json.loads(history("--json"))["messages"]
    assert stored[1]["analysis"]["type"] == "calculation" and stored[1]["computations"][0]["display"] == "5.27%"
    assert [m["stopped"] for m in stored] == [False, False, False, True]
    shown = history().rstrip()
    assert shown.endswith("(stopped)") and shown.count("(stopped)") == 1  # the last answer, the stopped one
