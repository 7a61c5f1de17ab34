"""Names of knowledge bases and chat sessions (issue 13, items 9 and 10): one rule (ragkb.names)
for the Python API, the CLI and the HTTP API. Any string is either accepted and then round-trips
(create, list, open, delete) or refused with one printable line; names from before the rule still
open and delete. The CLI side is in test_hardening_cli.py."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from server_live import live_server

from ragkb.answer.answering import Answerer
from ragkb.answer.chat import Conversation
from ragkb.config import KBSettings, Settings
from ragkb.errors import InvalidName
from ragkb.kb import KnowledgeBase
from ragkb.names import name_pattern, name_problem

SPARSE = KBSettings(embedder="none")
TRICKY = "./\\ \t\n\r\x00\x7f\x85\u00a0\u00ad\u200b\u202e\u2028\u3000\ue000\U000e0041%?#&+'\"é请aZ0-_"
"""Characters the rule cares about (path steps, separators, spaces, control and invisible ones,
URL specials) and a few plain ones."""

texts = st.one_of(
    st.text(max_size=110),
    st.text(alphabet=st.sampled_from(TRICKY), max_size=6),
    st.text(alphabet=st.sampled_from(TRICKY + "abc" * 20), min_size=95, max_size=105),
)
"""Any text (no lone surrogates: JSON in UTF-8 cannot carry them)."""

any_text = st.one_of(texts, st.text(alphabet=st.sampled_from(TRICKY + "\udcff\ud800"), max_size=6))
"""Also lone surrogates, which Python strings (file names, argv) can hold."""

NAME_EXAMPLES = hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def assert_one_line(message: str, problem: str) -> None:
    assert problem in message and message.isprintable(), message  # printable: no newline, tab or invisible character


@given(texts)
@hypothesis_settings(max_examples=300, deadline=None)
def test_the_openapi_pattern_says_what_the_rule_says(name: str) -> None:
    assert (re.fullmatch(name_pattern(), name) is not None) == (name_problem(name) is None)


@given(any_text)
@NAME_EXAMPLES
def test_a_kb_name_round_trips_or_is_refused_in_one_line(settings: Settings, name: str) -> None:
    problem = name_problem(name)
    if problem is not None:
        with pytest.raises(InvalidName) as refused:
            KnowledgeBase.create(name, kb_settings=SPARSE, settings=settings)
        assert_one_line(str(refused.value), problem)
        return
    created = KnowledgeBase.create(name, kb_settings=SPARSE, settings=settings)
    assert name in [kb.name for kb in KnowledgeBase.list(settings=settings)]
    opened = KnowledgeBase.open(name, settings=settings)
    assert (opened.id, opened.name) == (created.id, name)
    opened.delete()
    assert name not in [kb.name for kb in KnowledgeBase.list(settings=settings)]


@given(any_text)
@NAME_EXAMPLES
def test_a_session_name_round_trips_or_is_refused_in_one_line(settings: Settings, name: str) -> None:
    kb = open_or_create("chats", settings)
    problem = name_problem(name)
    if problem is not None:
        with pytest.raises(InvalidName) as refused:
            Conversation(kb, name, Answerer(kb, "extractive"))
        assert_one_line(str(refused.value), problem)
        assert kb.sessions() == []
        return
    Conversation(kb, name, Answerer(kb, "extractive")).ask("What is it?")  # stored with its first turn
    assert [session.name for session in kb.sessions()] == [name]
    assert [m.role for m in kb.session_messages(name) or []] == ["user", "assistant"]
    assert kb.delete_session(name) and kb.sessions() == []


def open_or_create(name: str, settings: Settings) -> KnowledgeBase:
    if name in [kb.name for kb in KnowledgeBase.list(settings=settings)]:
        return KnowledgeBase.open(name, settings=settings)
    return KnowledgeBase.create(name, kb_settings=SPARSE, settings=settings)


@pytest.fixture
def client(settings: Settings) -> Iterator[httpx.Client]:
    with live_server(settings) as url, httpx.Client(base_url=url, timeout=120) as client:
        yield client


def segment(name: str) -> str:
    """``name`` as one URL path segment."""
    return quote(name, safe="")


def refusal(response: httpx.Response) -> str:
    assert response.status_code == 422, response.text
    return response.json()["detail"]


@given(texts)
@NAME_EXAMPLES
def test_http_kb_names_round_trip_or_are_refused_in_one_line(client: httpx.Client, name: str) -> None:
    created = client.post("/api/kbs", json={"name": name, "settings": {"embedder": "none"}})
    problem = name_problem(name)
    if problem is not None:
        assert_one_line(refusal(created), problem)
        return
    assert created.status_code == 201, created.text
    assert name in [kb["name"] for kb in client.get("/api/kbs").json()]
    assert client.get(f"/api/kbs/{segment(name)}").json()["name"] == name
    assert client.delete(f"/api/kbs/{segment(name)}").status_code == 204
    assert client.get(f"/api/kbs/{segment(name)}").status_code == 404


@given(texts)
@NAME_EXAMPLES
def test_http_session_names_round_trip_or_are_refused_in_one_line(client: httpx.Client, name: str) -> None:
    client.post("/api/kbs", json={"name": "chats", "settings": {"embedder": "none"}})  # 409 after the first example
    asked = client.post("/api/kbs/chats/ask", json={"question": "anything?", "generator": "extractive", "session": name})
    problem = name_problem(name)
    if problem is not None:
        assert_one_line(refusal(asked), problem)
        assert client.get("/api/kbs/chats/sessions").json() == []
        return
    assert asked.status_code == 200, asked.text
    assert [session["name"] for session in client.get("/api/kbs/chats/sessions").json()] == [name]
    stored = client.get(f"/api/kbs/chats/sessions/{segment(name)}").json()
    assert stored["name"] == name and [m["role"] for m in stored["messages"]] == ["user", "assistant"]
    assert client.delete(f"/api/kbs/chats/sessions/{segment(name)}").status_code == 204
    assert client.get("/api/kbs/chats/sessions").json() == []


@pytest.mark.parametrize(
    "name, problem",
    [
        ("", "is empty"),
        ("../x", "may not start with '.'"),
        ("x/y", "may not contain '/' or '\\'"),
        (".", "may not start with '.'"),
        ("..", "may not start with '.'"),
        ("a\\b", "may not contain '/' or '\\'"),
        ("a\tb", "character U+0009"),
        ("x" * 300, "300 characters long, over the limit of 100"),
        ("report\u202eexe.txt", "character U+202E"),
        ("notes ", "may not start or end with a space"),
    ],
)
def test_http_refuses_what_the_issue_lists_with_the_reason(client: httpx.Client, name: str, problem: str) -> None:
    assert_one_line(refusal(client.post("/api/kbs", json={"name": name})), problem)
    client.post("/api/kbs", json={"name": "notes", "settings": {"embedder": "none"}})
    asked = client.post("/api/kbs/notes/ask", json={"question": "anything?", "generator": "extractive", "session": name})
    assert_one_line(refusal(asked), problem)
    assert [kb["name"] for kb in client.get("/api/kbs").json()] == ["notes"]
    assert client.get("/api/kbs/notes/sessions").json() == []


def test_a_5000_character_session_name_is_refused_for_its_length(client: httpx.Client) -> None:
    client.post("/api/kbs", json={"name": "notes", "settings": {"embedder": "none"}})
    asked = client.post("/api/kbs/notes/ask", json={"question": "anything?", "session": "s" * 5000})
    detail = refusal(asked)
    assert_one_line(detail, "5000 characters long, over the limit of 100")
    assert len(detail) < 300


def rename_in_catalog(home: Path, table: str, old: str, new: str) -> None:
    """Give a row a name the rule now refuses, as ragkb before the rule could store (plain sqlite3)."""
    with sqlite3.connect(home / "ragkb.db") as db:
        assert db.execute(f"UPDATE {table} SET name = ? WHERE name = ?", (new, old)).rowcount == 1


def test_a_kb_named_dot_dot_before_the_rule_opens_and_deletes_over_http(settings: Settings, client: httpx.Client) -> None:
    KnowledgeBase.create("legacy", kb_settings=SPARSE, settings=settings)
    rename_in_catalog(settings.home, "knowledge_base", "legacy", "..")
    assert client.get("/api/kbs/%2E%2E").json()["name"] == ".."
    deleted = client.delete("/api/kbs/%2E%2E")
    assert deleted.status_code == 204, deleted.text  # was 400 after deleting it: the uploads folder of '..' was refused
    assert client.get("/api/kbs").json() == []


def test_a_session_with_slashes_from_before_the_rule_can_be_read_and_deleted(settings: Settings, client: httpx.Client) -> None:
    kb = KnowledgeBase.create("notes", kb_settings=SPARSE, settings=settings)
    Conversation(kb, "old", Answerer(kb, "extractive")).ask("What is it?")
    rename_in_catalog(settings.home, "chat_session", "old", "../../etc/passwd")
    path = f"/api/kbs/notes/sessions/{segment('../../etc/passwd')}"  # as the web UI sends it
    read = client.get(path).json()
    assert read["name"] == "../../etc/passwd" and [m["content"] for m in read["messages"]][:1] == ["What is it?"]
    assert client.delete(path).status_code == 204
    assert client.get("/api/kbs/notes/sessions").json() == []
