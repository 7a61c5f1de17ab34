"""Uploads per knowledge base (issue 13, items 1, 4 and 11): each KB has its own upload folder, old
shared folders are migrated, every front end's delete removes a KB's uploads, and HTTP clients
never see the server's paths. Against a real server on 127.0.0.1 and the real ``ragkb`` executable."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from urllib.parse import quote

import httpx
from server_live import live_server
from support import upload_folder, write

from ragkb.config import KBSettings, Settings
from ragkb.kb import KnowledgeBase

HOTEL = "# Hotel\n\nHotel rooms are reimbursed up to 180 euros per night.\n"
QUESTION = "Up to how much are hotel rooms reimbursed?"
JOB_WAIT_S = 300
"""A bound on the wait for a background job, never asserted: two CPU cores are shared."""


def url(kb: str, rest: str = "") -> str:
    return f"/api/kbs/{quote(kb, safe='')}{rest}"


def checked(response: httpx.Response, home: Path | None, status: int = 200) -> httpx.Response:
    """The response, after checking its status and that it shows none of the ``home`` server's folders."""
    assert response.status_code == status, response.text
    if home is None:
        return response
    for folder in {str(home), str(home.resolve())}:
        assert folder not in response.text, f"{response.request.url} shows {folder}: {response.text}"
    assert "kb-uploads" not in response.text and "/uploads/" not in response.text, response.text
    return response


def run_job(client: httpx.Client, home: Path | None, accepted: httpx.Response) -> dict:
    job_id = checked(accepted, home, 202).json()["job_id"]
    deadline = time.monotonic() + JOB_WAIT_S
    while (job := checked(client.get(f"/api/jobs/{job_id}"), home).json())["state"] in ("queued", "running"):
        assert time.monotonic() < deadline, f"job still {job['state']}: {job}"
        time.sleep(0.1)
    assert job["state"] == "done", job
    return job["report"]


def upload(client: httpx.Client, home: Path | None, kb: str, name: str, data: bytes) -> dict:
    return run_job(client, home, client.post(url(kb, "/files"), files=[("files", (name, data))]))


def reindex(client: httpx.Client, home: Path, kb: str, file_id: int) -> dict:
    return run_job(client, home, client.post(url(kb, f"/files/{file_id}/reindex")))


def files(client: httpx.Client, home: Path, kb: str) -> list[dict]:
    return checked(client.get(url(kb, "/files")), home).json()


def found(client: httpx.Client, home: Path, kb: str, query: str) -> list[tuple[str, str]]:
    hits = checked(client.post(url(kb, "/search"), json={"query": query, "mode": "sparse"}), home).json()["hits"]
    return [(hit["file"], hit["text"]) for hit in hits]


def create_kb(client: httpx.Client, home: Path | None, name: str) -> None:
    checked(client.post("/api/kbs", json={"name": name, "settings": {"embedder": "none"}}), home, 201)


def test_knowledge_bases_whose_names_look_alike_keep_their_own_uploads(settings: Settings) -> None:
    home = settings.home
    with live_server(settings) as base, httpx.Client(base_url=base, timeout=120) as client:
        create_kb(client, home, "col?")
        create_kb(client, home, "col_")
        upload(client, home, "col?", "same.txt", b"Apricots ripen in July.\n")
        upload(client, home, "col_", "same.txt", b"Bananas ripen all year.\n")

        (question,) = files(client, home, "col?")
        (underscore,) = files(client, home, "col_")
        assert question["name"] == underscore["name"] == "same.txt" and question["status"] == underscore["status"] == "indexed"
        assert reindex(client, home, "col?", question["id"])["failed"] == []
        assert [text for _, text in found(client, home, "col?", "apricots")] == ["Apricots ripen in July."]
        assert found(client, home, "col?", "bananas") == []
        assert [text for _, text in found(client, home, "col_", "bananas")] == ["Bananas ripen all year."]

        checked(client.delete(url("col?")), home, 204)
        assert [f["status"] for f in files(client, home, "col_")] == ["indexed"]
        report = reindex(client, home, "col_", underscore["id"])
        assert len(report["updated"]) == 1 and report["failed"] == []
        assert [text for _, text in found(client, home, "col_", "bananas")] == ["Bananas ripen all year."]
    assert sorted(p.name for p in upload_folder(home, "col_").iterdir()) == ["same.txt"]


def test_http_clients_see_paths_relative_to_where_files_came_from(settings: Settings, tmp_path: Path) -> None:
    home = settings.home
    docs = tmp_path / "docs"
    kb = KnowledgeBase.create("notes", kb_settings=KBSettings(embedder="none"), settings=settings)
    kb.add([write(docs / "leave.md", "# Leave\n\nAnnual leave is 25 days.\n"), write(docs / "travel" / "hotel.md", HOTEL)])
    with live_server(settings) as base, httpx.Client(base_url=base, timeout=120) as client:
        broken = upload(client, home, "notes", "broken.pdf", b"this is not a PDF")
        assert broken["added"] == [] and [f["path"] for f in broken["failed"]] == ["broken.pdf"]
        assert broken["failed"][0]["error"].startswith("broken.pdf: cannot parse as .pdf")
        listed = {f["path"]: f for f in files(client, home, "notes")}
        assert sorted(listed) == ["broken.pdf", "leave.md", "travel/hotel.md"]
        assert listed["broken.pdf"]["error"] == broken["failed"][0]["error"]

        assert found(client, home, "notes", "hotel rooms") == [("travel/hotel.md", HOTEL.split("\n")[-2])]
        answer = checked(client.post(url("notes", "/ask"), json={"question": QUESTION}), home).json()
        citation = answer["citations"][0]
        assert citation["file"] == "travel/hotel.md" and {hit["file"] for hit in answer["retrieved"]} >= {"travel/hotel.md"}
        assert checked(client.get(url("notes", f"/chunks/{citation['chunk_id']}")), home).json()["file"] == "travel/hotel.md"
        streamed = checked(client.post(url("notes", "/ask"), json={"question": QUESTION, "stream": True}), home)
        assert '"file": "travel/hotel.md"' in streamed.text

        (docs / "leave.md").unlink()  # re-indexing it now fails with a message that names the file
        report = reindex(client, home, "notes", listed["leave.md"]["id"])
        assert report["failed"] == [{"path": "leave.md", "error": "leave.md: no such file or folder; check the path"}]
        assert str(tmp_path) not in str(report)


def test_uploads_in_the_old_shared_folders_move_to_their_knowledge_base(settings: Settings) -> None:
    """A home from before per-KB folders: the server saved to ``uploads/<KB name made safe>/``."""
    home = settings.home
    old = home / "uploads"

    def old_upload(kb: KnowledgeBase, folder: str, name: str, text: str) -> Path:
        kb.add([path := write(old / folder / name, text)])
        return path.resolve()

    notes, question, underscore = (
        KnowledgeBase.create(name, kb_settings=KBSettings(embedder="none"), settings=settings)
        for name in ("notes", "col?", "col_")
    )
    old_upload(notes, "notes", "leave.md", "# Leave\n\nAnnual leave is 25 days.\n")
    old_upload(notes, "notes", "pay.md", "# Pay\n\nSalaries are paid monthly.\n")
    shared = old_upload(question, "col_", "same.txt", "Apricots ripen in July.\n")
    underscore.add([shared])  # col_'s upload of same.txt overwrote col?'s: both list it
    old_upload(underscore, "col_", "only.txt", "Cherries ripen in June.\n")
    moved = upload_folder(home, "notes") / "pay.md"
    moved.parent.mkdir(parents=True)
    (old / "notes" / "pay.md").rename(moved)  # a run stopped after moving the file, before updating its row

    for _ in range(2):  # the second start finds nothing left to do
        with live_server(settings) as base, httpx.Client(base_url=base, timeout=120) as client:
            assert sorted(f["path"] for f in files(client, home, "notes")) == ["leave.md", "pay.md"]
            assert found(client, home, "notes", "salaries") == [("pay.md", "Salaries are paid monthly.")]
            for info in files(client, home, "notes"):
                assert reindex(client, home, "notes", info["id"])["updated"] == [info["path"]]
            assert found(client, home, "col_", "cherries") == [("only.txt", "Cherries ripen in June.")]
        assert {info.path for info in KnowledgeBase.open("notes", settings=settings).files()} == {
            str(upload_folder(home, "notes") / "leave.md"),
            str(moved),
        }
        assert {info.path for info in KnowledgeBase.open("col_", settings=settings).files()} == {
            str(shared),
            str(upload_folder(home, "col_") / "only.txt"),
        }
        assert not (old / "notes").exists() and sorted(p.name for p in (old / "col_").iterdir()) == ["same.txt"]

    question.delete()  # never removes a file another KB lists
    assert shared.read_text() == "Apricots ripen in July.\n"
    assert {info.path for info in KnowledgeBase.open("col_", settings=settings).files()} >= {str(shared)}


def test_the_cli_deletes_a_knowledge_base_with_its_uploads(settings: Settings, cli_env: dict[str, str]) -> None:
    home = settings.home
    with live_server(settings) as base, httpx.Client(base_url=base, timeout=120) as client:
        create_kb(client, None, "notes")
        upload(client, None, "notes", "leave.md", b"# Leave\n\nAnnual leave is 25 days.\n")
    legacy = KnowledgeBase.create("legacy", kb_settings=KBSettings(embedder="none"), settings=settings)
    legacy.add([write(home / "uploads" / "legacy" / "pay.md", "# Pay\n\nSalaries are paid monthly.\n")])
    assert sorted(p.name for p in home.rglob("*.md")) == ["leave.md", "pay.md"]

    for name in ("notes", "legacy"):
        result = subprocess.run(
            ["ragkb", "kb", "delete", name, "--yes"], check=False, env=cli_env, capture_output=True, text=True, timeout=600
        )
        assert result.returncode == 0, result.stderr
    assert sorted(str(p.relative_to(home)) for p in home.rglob("*.md")) == []
    assert not (home / "uploads").exists()
