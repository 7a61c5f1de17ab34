"""The REST API over a real uvicorn server on 127.0.0.1: knowledge bases, uploads with background
ingestion, search, ask (JSON and Server-Sent Events), citations' chunks, sessions, and bad input."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import docx
import httpx
import pymupdf
import pytest
from server_live import free_port, live_server
from support import upload_folder, write

from ragkb.config import KBSettings, Settings
from ragkb.kb import KnowledgeBase

JOB_WAIT_S = 300
"""Generous: two CPU cores are shared with other tests. Never asserted, only a bound on the wait."""


@pytest.fixture
def client(settings: Settings) -> Iterator[httpx.Client]:
    with live_server(settings) as url, httpx.Client(base_url=url, timeout=120) as client:
        yield client


def make_docx(path: Path) -> Path:
    document = docx.Document()
    document.add_heading("Travel policy", 1)
    document.add_paragraph("Hotel rooms abroad are reimbursed up to 180 euros per night.")
    document.save(path)
    return path


def make_pdf(path: Path) -> Path:
    document = pymupdf.open()
    page = document.new_page()
    page.insert_text((72, 80), "Equipment", fontsize=18)
    page.insert_text((72, 120), "Every employee receives a laptop and a docking station.", fontsize=11)
    document.save(path)
    return path


def upload(client: httpx.Client, kb: str, *paths: Path, names: list[str] | None = None) -> httpx.Response:
    names = names or [path.name for path in paths]
    return client.post(
        f"/api/kbs/{kb}/files", files=[("files", (name, path.read_bytes())) for name, path in zip(names, paths, strict=True)]
    )


def wait_for_job(client: httpx.Client, job_id: str) -> dict:
    deadline = time.monotonic() + JOB_WAIT_S
    while (job := client.get(f"/api/jobs/{job_id}").json())["state"] in ("queued", "running"):
        assert time.monotonic() < deadline, f"job still {job['state']}: {job}"
        time.sleep(0.1)
    return job


def sse_events(response: httpx.Response) -> list[tuple[str, dict]]:
    events = []
    for block in response.text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((fields["event"], json.loads(fields["data"])))
    return events


def create_sparse_kb(client: httpx.Client, name: str = "notes") -> dict:
    response = client.post("/api/kbs", json={"name": name, "settings": {"embedder": "none"}})
    assert response.status_code == 201, response.text
    return response.json()


# --- knowledge bases --------------------------------------------------------------------------


def test_knowledge_base_lifecycle(client: httpx.Client) -> None:
    assert client.get("/api/health").json() == {"status": "ok", "version": "0.1.0"}
    created = client.post("/api/kbs", json={"name": "notes", "description": "HR", "settings": {"embedder": "none"}})
    assert created.status_code == 201
    assert created.json()["settings"]["embedder"] == "none" and created.json()["chunks"] == 0

    duplicate = client.post("/api/kbs", json={"name": "notes"})
    assert duplicate.status_code == 409 and "already exists" in duplicate.json()["detail"]

    changed = client.patch("/api/kbs/notes", json={"description": "HR rules", "settings": {"chunk_size": 300}})
    assert changed.status_code == 200
    assert changed.json()["description"] == "HR rules" and changed.json()["settings"]["chunk_size"] == 300
    shown = client.get("/api/kbs/notes").json()
    assert shown["settings"]["chunk_size"] == 300 and shown["settings"]["embedder"] == "none"

    bad = client.patch("/api/kbs/notes", json={"settings": {"chunk_size": 10}})
    assert bad.status_code == 422 and bad.json()["detail"].startswith("settings.chunk_size:")
    assert client.get("/api/kbs/notes").json()["settings"]["chunk_size"] == 300

    assert [kb["name"] for kb in client.get("/api/kbs").json()] == ["notes"]
    assert client.delete("/api/kbs/notes").status_code == 204
    assert client.get("/api/kbs/notes").status_code == 404
    assert client.get("/api/kbs").json() == []


def test_embedder_cannot_change_once_there_are_chunks(settings: Settings, tmp_path: Path) -> None:
    kb = KnowledgeBase.create("notes", kb_settings=KBSettings(embedder="none"), settings=settings)
    kb.update(settings={"embedder": "sentence-transformers:all-MiniLM-L6-v2"})  # no chunks yet: allowed
    kb.update(settings={"embedder": "none"})
    kb.add([write(tmp_path / "a.md", "# A\n\nSome text about invoices.\n")])
    with pytest.raises(Exception, match="already has chunks"):
        kb.update(settings={"embedder": "sentence-transformers:all-MiniLM-L6-v2"})
    assert KnowledgeBase.open("notes", settings=settings).settings.embedder == "none"


# --- upload → background job → search → ask ---------------------------------------------------


def test_uploaded_documents_are_indexed_in_the_background_and_answer_with_citations(
    client: httpx.Client, settings: Settings, tmp_path: Path
) -> None:
    create_sparse_kb(client)
    sources = [
        make_docx(tmp_path / "travel.docx"),
        make_pdf(tmp_path / "equipment.pdf"),
        write(tmp_path / "leave.md", "# Leave\n\nAnnual leave is 25 days per calendar year.\n"),
        write(tmp_path / "broken.pdf", "this is not a PDF"),
    ]
    accepted = upload(client, "notes", *sources, names=["travel.docx", "../../equipment.pdf", "leave.md", "broken.pdf"])
    assert accepted.status_code == 202
    assert accepted.json()["files"] == ["travel.docx", "equipment.pdf", "leave.md", "broken.pdf"]

    job = wait_for_job(client, accepted.json()["job_id"])
    assert job["state"] == "done" and job["done"] == job["total"] == 4
    assert len(job["report"]["added"]) == 3
    assert [failure["path"] for failure in job["report"]["failed"]] == ["broken.pdf"]

    uploads = upload_folder(settings.home, "notes")
    assert sorted(p.name for p in uploads.iterdir()) == ["broken.pdf", "equipment.pdf", "leave.md", "travel.docx"]
    assert not (settings.home / "equipment.pdf").exists() and not (settings.home / "uploads" / "equipment.pdf").exists()
    files = {f["name"]: f for f in client.get("/api/kbs/notes/files").json()}
    assert {name: f["status"] for name, f in files.items()} == {
        "broken.pdf": "failed",
        "equipment.pdf": "indexed",
        "leave.md": "indexed",
        "travel.docx": "indexed",
    }
    assert files["broken.pdf"]["error"] and files["equipment.pdf"]["loader"] == "pdf"

    hits = client.post("/api/kbs/notes/search", json={"query": "laptop docking station", "k": 3}).json()["hits"]
    assert hits[0]["file"].endswith("equipment.pdf") and hits[0]["page"] == 1

    answer = client.post("/api/kbs/notes/ask", json={"question": "How much is a hotel room abroad reimbursed?"}).json()
    assert "180 euros" in answer["answer"] and not answer["refused"]
    citation = answer["citations"][0]
    assert citation["file"].endswith("travel.docx") and citation["section"] == ["Travel policy"]
    assert f"[{citation['number']}]" in answer["answer"]

    chunk = client.get(f"/api/kbs/notes/chunks/{citation['chunk_id']}").json()
    assert citation["quote"] in chunk["text"] and chunk["file"] == citation["file"] and "score" not in chunk


def test_ask_streams_meta_tokens_and_the_final_answer_into_a_session(client: httpx.Client, tmp_path: Path) -> None:
    create_sparse_kb(client)
    text = "# Leave\n\nAnnual leave is 25 days per calendar year.\n\n## Abroad\n\nStaff posted abroad get 30 days of leave.\n"
    wait_for_job(client, upload(client, "notes", write(tmp_path / "leave.md", text)).json()["job_id"])

    body = {"question": "How many days of annual leave per year?", "session": "hr", "stream": True}
    with client.stream("POST", "/api/kbs/notes/ask", json=body) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        response.read()
    events = sse_events(response)
    assert events[0] == ("meta", {"query": "How many days of annual leave per year?", "session": "hr"})
    assert [kind for kind, _ in events[1:-1]] == ["token"] * (len(events) - 2) and len(events) > 2
    kind, answer = events[-1]
    assert kind == "answer" and "25 days" in answer["answer"] and answer["citations"]
    assert "".join(data["text"] for _, data in events[1:-1]) == answer["answer"]

    follow_up = client.post("/api/kbs/notes/ask", json={"question": "and abroad?", "session": "hr"}).json()
    assert follow_up["query"] == "How many days of annual leave per year abroad?"  # the previous question, asked of abroad

    sessions = client.get("/api/kbs/notes/sessions").json()
    assert [(s["name"], s["messages"]) for s in sessions] == [("hr", 4)]
    stored = client.get("/api/kbs/notes/sessions/hr").json()
    assert [m["role"] for m in stored["messages"]] == ["user", "assistant", "user", "assistant"]
    assert stored["messages"][1]["citations"][0]["chunk_id"] == answer["citations"][0]["chunk_id"]
    assert client.delete("/api/kbs/notes/sessions/hr").status_code == 204
    assert client.get("/api/kbs/notes/sessions/hr").status_code == 404
    assert client.get("/api/kbs/notes/sessions").json() == []


def test_streamed_errors_arrive_as_an_error_event(settings: Settings, tmp_path: Path) -> None:
    unreachable = settings.model_copy(update={"ollama_url": f"http://127.0.0.1:{free_port()}"})
    with live_server(unreachable) as url, httpx.Client(base_url=url, timeout=120) as client:
        create_sparse_kb(client)
        wait_for_job(client, upload(client, "notes", write(tmp_path / "a.md", "# A\n\nAnything goes here.\n")).json()["job_id"])
        body = {"question": "What goes here?", "stream": True, "generator": "ollama:missing"}
        with client.stream("POST", "/api/kbs/notes/ask", json=body) as response:
            response.read()
        assert response.status_code == 200
        events = sse_events(response)
        assert events[0][0] == "meta" and events[-1][0] == "error" and "answer" not in [kind for kind, _ in events]
        assert "cannot reach the Ollama server" in events[-1][1]["detail"]
        assert client.get("/api/health").status_code == 200


def test_reindex_and_delete_a_file(client: httpx.Client, settings: Settings, tmp_path: Path) -> None:
    create_sparse_kb(client)
    wait_for_job(client, upload(client, "notes", write(tmp_path / "leave.md", "# Leave\n\nLeave is 25 days.\n")).json()["job_id"])
    wait_for_job(
        client, upload(client, "notes", write(tmp_path / "pay.md", "# Pay\n\nSalaries are paid monthly.\n")).json()["job_id"]
    )
    files = {f["name"]: f for f in client.get("/api/kbs/notes/files").json()}
    uploads = upload_folder(settings.home, "notes")

    reindexed = client.post(f"/api/kbs/notes/files/{files['leave.md']['id']}/reindex")
    assert reindexed.status_code == 202
    job = wait_for_job(client, reindexed.json()["job_id"])
    assert job["state"] == "done" and len(job["report"]["updated"]) == 1
    assert {f["name"]: f["version"] for f in client.get("/api/kbs/notes/files").json()} == {"leave.md": 2, "pay.md": 1}

    assert client.delete(f"/api/kbs/notes/files/{files['leave.md']['id']}").status_code == 204
    assert [f["name"] for f in client.get("/api/kbs/notes/files").json()] == ["pay.md"]
    assert not (uploads / "leave.md").exists() and (uploads / "pay.md").exists()
    assert client.post("/api/kbs/notes/search", json={"query": "leave days"}).json()["hits"] == []
    assert client.get("/api/kbs/notes").json()["chunks"] == 1

    missing = client.delete(f"/api/kbs/notes/files/{files['leave.md']['id']}")
    assert missing.status_code == 404 and "no file with id" in missing.json()["detail"]
    assert client.post("/api/kbs/notes/files/999/reindex").status_code == 404

    assert client.delete("/api/kbs/notes").status_code == 204
    assert not uploads.exists()


def test_search_and_ask_take_a_profile_filters_and_overrides(client: httpx.Client, tmp_path: Path) -> None:
    create_sparse_kb(client)
    current = write(tmp_path / "policy.md", "# Leave\n\nAnnual leave is 25 days per calendar year.\n")
    old = write(tmp_path / "archive.txt", "Annual leave was 20 days per calendar year until 2020.\n")
    wait_for_job(client, upload(client, "notes", current, old).json()["job_id"])

    result = client.post("/api/kbs/notes/search", json={"query": "annual leave per calendar year"}).json()
    assert {hit["file"] for hit in result["hits"]} == {"policy.md", "archive.txt"}
    assert result["queries"] == ["annual leave per calendar year"] and result["profile"]["mode"] == "hybrid"
    assert result["timings"] and all(seconds >= 0 for seconds in result["timings"].values())

    body = {"query": "annual leave per calendar year", "filters": {"extensions": ["txt"]}, "profile": "fast", "k": 3}
    filtered = client.post("/api/kbs/notes/search", json=body).json()
    assert [hit["file"] for hit in filtered["hits"]] == ["archive.txt"]
    assert filtered["profile"]["mode"] == "sparse"
    overridden = client.post("/api/kbs/notes/search", json={**body, "mode": "hybrid"}).json()
    assert overridden["profile"]["mode"] == "hybrid"

    unknown = client.post("/api/kbs/notes/search", json={**body, "profile": "nope"})
    assert unknown.status_code == 400 and "no retrieval profile 'nope'" in unknown.json()["detail"]
    local_model = client.post("/api/kbs/notes/search", json={**body, "generator": "llamacpp:/tmp/x.gguf", "hyde": True})
    assert local_model.status_code == 400 and "is not served" in local_model.json()["detail"]

    question = {"question": "What is the annual leave per calendar year?", "filters": {"extensions": ["txt"]}}
    answer = client.post("/api/kbs/notes/ask", json=question).json()
    assert "20 days" in answer["answer"] and {c["file"] for c in answer["citations"]} == {"archive.txt"}


# --- bad input --------------------------------------------------------------------------------


def test_bad_requests_get_one_clear_line_and_lose_nothing(settings: Settings, tmp_path: Path) -> None:
    limited = settings.model_copy(update={"max_upload_mb": 0.01})  # about 10 kB
    with live_server(limited) as url, httpx.Client(base_url=url, timeout=120) as client:
        create_sparse_kb(client)
        good = write(tmp_path / "leave.md", "# Leave\n\nAnnual leave is 25 days.\n")
        wait_for_job(client, upload(client, "notes", good).json()["job_id"])
        uploads = upload_folder(settings.home, "notes")

        def detail(response: httpx.Response, status: int) -> str:
            assert response.status_code == status, response.text
            text = response.json()["detail"]
            assert isinstance(text, str) and "\n" not in text and text
            return text

        assert "no usable base name" in detail(upload(client, "notes", good, names=["../.."]), 400)
        assert "supported: " in detail(upload(client, "notes", write(tmp_path / "run.exe", "MZ")), 415)
        big = write(tmp_path / "big.md", "# Big\n\n" + "word " * 5000)
        assert "RAGKB_MAX_UPLOAD_MB" in detail(upload(client, "notes", good, big, names=["leave.md", "big.md"]), 413)
        assert sorted(p.name for p in uploads.iterdir()) == ["leave.md"]  # nothing half-written, nothing replaced
        assert detail(client.post("/api/kbs/notes/files"), 422) == "files: Field required"

        malformed = client.post("/api/kbs/notes/search", content=b'{"query": ', headers={"content-type": "application/json"})
        assert "not valid JSON" in detail(malformed, 422)
        assert detail(client.post("/api/kbs/notes/search", json={"k": 3}), 422) == "query: Field required"
        assert "greater than or equal to 1" in detail(client.post("/api/kbs/notes/search", json={"query": "x", "k": 0}), 422)
        assert "does not exist" in detail(client.post("/api/kbs/nope/search", json={"query": "leave"}), 404)
        assert "does not exist" in detail(client.get("/api/kbs/nope/files"), 404)
        assert "no job" in detail(client.get("/api/jobs/0123"), 404)
        assert "no chunk" in detail(client.get("/api/kbs/notes/chunks/999999"), 404)
        assert "may not start with '.'" in detail(client.post("/api/kbs", json={"name": "../etc"}), 422)
        assert "is not served" in detail(
            client.post("/api/kbs/notes/ask", json={"question": "leave?", "generator": "llamacpp:/etc/passwd"}), 400
        )
        assert "empty" in detail(client.post("/api/kbs/notes/search", json={"query": "   "}), 400)

        assert client.get("/api/health").status_code == 200
        assert client.get("/api/kbs/notes").json()["chunks"] == 1
        assert client.post("/api/kbs/notes/search", json={"query": "annual leave"}).json()["hits"]


def test_a_chunk_of_another_knowledge_base_is_not_found(settings: Settings, tmp_path: Path) -> None:
    first = KnowledgeBase.create("first", kb_settings=KBSettings(embedder="none"), settings=settings)
    second = KnowledgeBase.create("second", kb_settings=KBSettings(embedder="none"), settings=settings)
    first.add([write(tmp_path / "a.md", "# A\n\nInvoices are due in 30 days.\n")])
    chunk_id = first.search("invoices", k=1)[0].chunk_id
    assert first.chunk(chunk_id).text == "Invoices are due in 30 days."
    assert second.chunk(chunk_id) is None
    assert second.file(first.files()[0].id) is None and second.remove_file(first.files()[0].id) is None
    assert first.stats()["chunks"] == 1
