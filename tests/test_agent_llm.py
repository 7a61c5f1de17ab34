"""The LLM planner against real HTTP servers on 127.0.0.1 that answer with scripted tool calls in the
OpenAI-compatible and the Ollama shape: the model looks, plans, is refused where the sandbox says no
(and reads why), and finishes; nothing changes while it plans."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from llm_servers import chat_server
from support import write

from ragkb.agent.planner import make_plan
from ragkb.config import KBSettings, Settings
from ragkb.errors import RagkbError
from ragkb.kb import KnowledgeBase


def call(name: str, n: int, **arguments: object) -> dict:
    return {
        "id": f"call_{n}",
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(arguments, ensure_ascii=False)},
    }


TURNS = [
    {"content": "", "tool_calls": [call("list_files", 1), call("search_kb", 2, query="invoice")]},
    {
        "content": "",
        "tool_calls": [
            call("move", 3, path="inbox/a.md", to="invoices/a.md", reason="an invoice"),
            call("delete", 4, path="../outside/secret.txt"),
            call("tag", 5, path="invoices/a.md", tags=["invoice"]),
            call("rename", 6, path="inbox/b.md", new_name="notes.md"),
        ],
    },
    {"content": "", "tool_calls": [call("finish", 7, note="left b.md's twin alone")]},
]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write(tmp_path / "outside" / "secret.txt", "secret")
    write(tmp_path / "root" / "inbox" / "a.md", "# Invoice 17\n\nAmount due: 100 EUR.")
    write(tmp_path / "root" / "inbox" / "b.md", "# Notes\n\nNothing to pay.")
    return tmp_path / "root"


@pytest.mark.parametrize("backend", ["openai", "ollama"])
def test_the_model_plans_through_tool_calls(folder: Path, home: Path, backend: str) -> None:
    with chat_server("", turns=TURNS) as (url, requests):
        settings = Settings(home=home, openai_base_url=url + "/v1", ollama_url=url)
        KnowledgeBase.create("box", kb_settings=KBSettings(embedder="none"), settings=settings).add([folder])
        before = sorted(folder.rglob("*"))
        plan = make_plan("move the invoices to invoices and tag them", folder, settings, kb="box", planner=f"{backend}:planner")
    assert plan.planner == f"{backend}:planner" and plan.notes == ["left b.md's twin alone"]
    assert [(op.op, op.path, op.to, op.tags) for op in plan.operations] == [
        ("move", "inbox/a.md", "invoices/a.md", []),
        ("tag", "invoices/a.md", None, ["invoice"]),
        ("rename", "inbox/b.md", "inbox/notes.md", []),
    ]
    assert plan.operations[0].sha256 and plan.operations[0].reason == "an invoice"
    assert sorted(folder.rglob("*")) == before

    assert [r["path"] for r in requests] == ["/v1/chat/completions" if backend == "openai" else "/api/chat"] * 3
    first = requests[0]["body"]
    assert first["stream"] is False and "Instruction: move the invoices" in first["messages"][1]["content"]
    assert {tool["function"]["name"] for tool in first["tools"]} >= {"list_files", "move", "classify", "finish"}
    results = {
        m.get("tool_call_id") or m.get("tool_name"): m["content"] for m in requests[2]["body"]["messages"] if m["role"] == "tool"
    }
    if backend == "openai":
        assert results["call_1"].startswith("inbox/a.md\t") and results["call_2"].startswith("inbox/a.md\t")
        assert results["call_4"].startswith("refused: ") and "goes up" in results["call_4"]
        assert results["call_3"].startswith("planned: move inbox/a.md")
    else:  # Ollama's tool results name their tool; its calls carry arguments as objects
        assert any(
            m["role"] == "tool" and m["tool_name"] == "delete" and "refused" in m["content"]
            for m in requests[2]["body"]["messages"]
        )
        assistant = next(m for m in requests[2]["body"]["messages"] if m.get("tool_calls"))
        assert assistant["tool_calls"][0]["function"]["arguments"] == {}


def test_classify_plans_every_file_the_search_finds(folder: Path, home: Path) -> None:
    turns = [{"tool_calls": [call("classify", 1, query="invoice", folder="invoices", tags=["invoice"])]}]
    with chat_server("that is all", turns=turns) as (url, _):
        settings = Settings(home=home, openai_base_url=url)
        KnowledgeBase.create("box", kb_settings=KBSettings(embedder="none"), settings=settings).add([folder])
        plan = make_plan("file the invoices", folder, settings, kb="box", planner="openai:m")
    assert [(op.op, op.path, op.to, op.query, op.tags) for op in plan.operations] == [
        ("classify", "inbox/a.md", "invoices/a.md", "invoice", ["invoice"])
    ]
    assert plan.notes == ["that is all"]  # the model's last words, when it ends without finish


def test_a_chinese_instruction_gets_chinese_reasons(folder: Path, home: Path) -> None:
    turns = [{"tool_calls": [call("classify", 1, query="Invoice", folder="发票")]}]
    with chat_server("", turns=turns) as (url, requests):
        settings = Settings(home=home, openai_base_url=url)
        KnowledgeBase.create("box", kb_settings=KBSettings(embedder="none"), settings=settings).add([folder])
        plan = make_plan("把发票移到发票目录", folder, settings, kb="box", planner="openai:m")
    assert "Chinese" in requests[0]["body"]["messages"][0]["content"]
    assert plan.operations[0].reason.startswith("知识库搜索“Invoice”，得分 ")


def test_planner_errors_are_one_line(folder: Path, home: Path) -> None:
    with pytest.raises(RagkbError, match="tool calling"):
        make_plan("x", folder, Settings(home=home), planner="llamacpp:smollm2")
    with chat_server("", status=500) as (url, _), pytest.raises(RagkbError, match="answered 500"):
        make_plan("x", folder, Settings(home=home, openai_base_url=url), planner="openai:m")
    with chat_server("") as (url, _):
        dead = url
    with pytest.raises(RagkbError, match="cannot reach"):
        make_plan("x", folder, Settings(home=home, ollama_url=dead), planner="ollama:m")
