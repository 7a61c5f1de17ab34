"""One shape per result: the Python API, the CLI's ``--json`` and the HTTP API give the same fields
for a search, an answer, a KB, its files and a stored conversation, and /openapi.json describes the
HTTP answers with those same models (ragkb.models)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import httpx
from server_live import live_server
from support import write

from ragkb.answer.answering import Answerer
from ragkb.answer.chat import Conversation
from ragkb.config import KBSettings, Settings
from ragkb.kb import KnowledgeBase
from ragkb.models import Citation, FileInfo, IngestReport, Message, SearchHit
from ragkb.server import create_app

QUESTION = "How many days of annual leave per year?"


def fields(value: Any) -> Any:
    """The field names of a JSON value, nested (a list by its first item); leaves are None. Timings
    map the stages that ran (a cached answer's: only the cache lookup) to seconds: data, not fields."""
    if isinstance(value, dict):
        return {key: None if key == "timings" else fields(item) for key, item in value.items()}
    if isinstance(value, list):
        return [fields(item) for item in value[:1]]
    return None


def cli_json(env: dict[str, str], *args: str) -> Any:
    done = subprocess.run(["ragkb", *args, "--json"], env=env, capture_output=True, text=True, timeout=600, check=True)
    return json.loads(done.stdout)


def test_python_cli_and_http_give_the_same_fields(settings: Settings, cli_env: dict[str, str], tmp_path: Path) -> None:
    kb = KnowledgeBase.create("notes", kb_settings=KBSettings(embedder="none"), settings=settings)
    kb.add([write(tmp_path / "docs" / "leave.md", "# Leave\n\nAnnual leave is 25 days per calendar year.\n")])
    Conversation(kb, "hr", Answerer(kb, "extractive")).ask(QUESTION)
    python = {
        "search": kb.retrieve("annual leave").model_dump(mode="json"),
        "ask": Answerer(kb, "extractive").ask(QUESTION).model_dump(mode="json"),
        "kb": kb.info().model_dump(mode="json"),
        "files": [info.model_dump(mode="json") for info in kb.files()],
        "session": {"name": "hr", "messages": [m.model_dump(mode="json") for m in kb.session_messages("hr") or []]},
    }
    shown = cli_json(cli_env, "kb", "show", "notes")
    cli = {
        "search": cli_json(cli_env, "search", "annual leave", "--kb", "notes"),
        "ask": cli_json(cli_env, "ask", QUESTION, "--kb", "notes", "-g", "extractive"),
        "kb": {key: value for key, value in shown.items() if key != "file_list"},
        "files": shown["file_list"],
        "session": cli_json(cli_env, "chat", "--kb", "notes", "--session", "hr", "--history"),
    }
    with live_server(settings) as url, httpx.Client(base_url=url, timeout=120) as client:
        http = {
            "search": client.post("/api/kbs/notes/search", json={"query": "annual leave"}).json(),
            "ask": client.post("/api/kbs/notes/ask", json={"question": QUESTION, "generator": "extractive"}).json(),
            "kb": client.get("/api/kbs/notes").json(),
            "files": client.get("/api/kbs/notes/files").json(),
            "session": client.get("/api/kbs/notes/sessions/hr").json(),
        }
    assert python["search"]["hits"] and python["ask"]["citations"] and python["session"]["messages"]
    for result, value in python.items():
        assert fields(cli[result]) == fields(value), result
        assert fields(http[result]) == fields(value), result
    assert set(http["search"]) == {"hits", "profile", "queries", "timings", "dense_weight", "web", "notes"}
    assert {"section", "score", "scores"} <= set(http["search"]["hits"][0])
    assert set(http["session"]["messages"][0]) == {
        *("role", "content", "query", "citations", "created_at"),
        *("route", "analysis", "computations", "sql", "stopped"),  # what an answer showed besides its text
    }


def test_openapi_answers_are_the_result_models(settings: Settings) -> None:
    schema = create_app(settings).openapi()

    def answer(path: str, method: str = "get") -> dict:
        responses = schema["paths"][path][method]["responses"]
        ok = next(responses[code] for code in ("200", "201") if code in responses)
        body = ok["content"]["application/json"]["schema"]
        return body.get("items", body)

    expected = {
        ("/api/kbs", "get"): "KBInfo",
        ("/api/kbs/{kb}", "get"): "KBInfo",
        ("/api/kbs/{kb}/files", "get"): "FileInfo",
        ("/api/jobs/{job_id}", "get"): "Job",
        ("/api/kbs/{kb}/search", "post"): "SearchResult",
        ("/api/kbs/{kb}/ask", "post"): "Answer",
        ("/api/kbs/{kb}/chunks/{chunk_id}", "get"): "Passage",
        ("/api/kbs/{kb}/sessions", "get"): "SessionSummary",
        ("/api/kbs/{kb}/sessions/{name}", "get"): "Session",
    }
    for (path, method), model in expected.items():
        assert answer(path, method) == {"$ref": f"#/components/schemas/{model}"}, path
    components = schema["components"]["schemas"]
    for model in (SearchHit, Citation, FileInfo, IngestReport, Message):  # nested ones too, computed fields included
        assert set(components[model.__name__]["properties"]) == set(model.model_json_schema(mode="serialization")["properties"])
