"""Ingestion jobs of the HTTP server are catalog rows: they outlive a restart (a job cut off by a
crash says so), the oldest finished ones are dropped, and progress does not write a row per file."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from server_live import free_port, live_server
from sqlalchemy import event, inspect, text
from stores import backend_url
from support import write

from ragkb.catalog import Catalog
from ragkb.catalog.migrate import downgrade_schema
from ragkb.config import KBSettings, Settings
from ragkb.index.stores import open_store
from ragkb.kb import KnowledgeBase
from ragkb.server.jobs import INTERRUPTED, PROGRESS_EVERY_S, Job, JobManager

WAIT_S = 300
"""A bound on waits on a loaded machine, never asserted as a duration."""


def wait_until_finished(get, job_id: str) -> dict:
    """Poll ``get(job_id)`` (a dict) until the job is done or failed."""
    deadline = time.monotonic() + WAIT_S
    while (job := get(job_id))["state"] in ("queued", "running"):
        assert time.monotonic() < deadline, f"job still {job['state']}: {job}"
        time.sleep(0.05)
    return job


def upload(client: httpx.Client, kb: str, files: list[Path]) -> str:
    response = client.post(f"/api/kbs/{kb}/files", files=[("files", (f.name, f.read_bytes())) for f in files])
    assert response.status_code == 202, response.text
    return response.json()["job_id"]


def notes(folder: Path, count: int) -> list[Path]:
    return [
        write(folder / f"note-{i:03d}.md", f"# Note {i}\n\nHarbour log {i}: the tide came in at {i % 12} o'clock.\n")
        for i in range(count)
    ]


def test_a_finished_job_is_found_after_a_restart(settings: Settings, tmp_path: Path) -> None:
    with live_server(settings) as url, httpx.Client(base_url=url, timeout=120) as client:
        assert client.post("/api/kbs", json={"name": "harbour", "settings": {"embedder": "none"}}).status_code == 201
        job_id = upload(client, "harbour", notes(tmp_path / "docs", 3))
        before = wait_until_finished(lambda j: client.get(f"/api/jobs/{j}").json(), job_id)
    assert before["state"] == "done" and len(before["report"]["added"]) == 3

    with live_server(settings) as url, httpx.Client(base_url=url, timeout=120) as client:
        after = client.get(f"/api/jobs/{job_id}")
        assert after.status_code == 200 and after.json() == before
        assert client.get(f"/api/jobs/{'0' * 32}").status_code == 404


@contextmanager
def ragkb_serve(env: dict[str, str]) -> Iterator[tuple[str, subprocess.Popen]]:
    """``ragkb serve`` in its own process (so that the test can kill it)."""
    port = free_port()
    process = subprocess.Popen(
        ["ragkb", "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + WAIT_S
    while True:
        try:
            httpx.get(f"{url}/api/health", timeout=5)
            break
        except httpx.TransportError:
            assert process.poll() is None and time.monotonic() < deadline, process.communicate()[1]
            time.sleep(0.1)
    try:
        yield url, process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(30)


def test_jobs_cut_off_by_a_crash_say_so_after_a_restart(settings: Settings, cli_env: dict[str, str], tmp_path: Path) -> None:
    KnowledgeBase.create("harbour", kb_settings=KBSettings(embedder="none"), settings=settings)
    many = notes(tmp_path / "many", 400)
    with ragkb_serve(cli_env) as (url, process), httpx.Client(base_url=url, timeout=120) as client:
        running = upload(client, "harbour", many)
        queued = upload(client, "harbour", notes(tmp_path / "one", 1))
        deadline = time.monotonic() + WAIT_S
        while (job := client.get(f"/api/jobs/{running}").json())["state"] == "queued":
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert job["state"] == "running", f"the job ended before the server could be killed: {job}"
        process.send_signal(signal.SIGKILL)
        process.wait(30)

    with live_server(settings) as url, httpx.Client(base_url=url, timeout=120) as client:
        for job_id in (running, queued):
            job = client.get(f"/api/jobs/{job_id}").json()
            assert job["state"] == "failed" and job["error"] == INTERRUPTED and job["current"] is None
        again = wait_until_finished(lambda j: client.get(f"/api/jobs/{j}").json(), upload(client, "harbour", many))
        assert again["state"] == "done"
        assert len(again["report"]["added"]) + len(again["report"]["skipped"]) == len(many)


@pytest.fixture(params=["embedded", "postgres"])
def store_settings(request, tmp_path: Path) -> Iterator[Settings]:
    with backend_url(request.param, tmp_path) as url:
        yield Settings(home=tmp_path / "home", database_url=url)


def finished(manager: JobManager, job: Job) -> dict:
    return wait_until_finished(lambda j: manager.get(j).model_dump(), job.id)


def test_only_the_newest_finished_jobs_are_kept(store_settings: Settings) -> None:
    manager = JobManager(store_settings, keep=3)
    try:
        jobs = [manager.submit("nowhere", []) for _ in range(6)]  # no such KB: each fails at once
        last = finished(manager, jobs[-1])  # jobs run in order
        assert last["error"].startswith("knowledge base 'nowhere' does not exist")
    finally:
        manager.stop()
    restarted = JobManager(store_settings, keep=3)
    try:
        assert [restarted.get(job.id) is not None for job in jobs] == [False] * 3 + [True] * 3
        assert restarted.get(jobs[-1].id).model_dump() == last
    finally:
        restarted.stop()


def test_progress_is_written_at_most_every_half_second(store_settings: Settings, tmp_path: Path) -> None:
    KnowledgeBase.create("harbour", kb_settings=KBSettings(embedder="none"), settings=store_settings)
    files = notes(tmp_path / "docs", 60)
    writes: list[str] = []

    def count(_connection, _cursor, statement: str, *_args) -> None:
        if statement.lstrip().upper().startswith("UPDATE INGEST_JOB"):
            writes.append(statement)

    engine = open_store(store_settings).catalog.engine
    event.listen(engine, "before_cursor_execute", count)
    manager = JobManager(store_settings)
    try:
        started = time.monotonic()
        job = manager.submit("harbour", files)
        result = finished(manager, job)
        elapsed = time.monotonic() - started
    finally:
        manager.stop()
        event.remove(engine, "before_cursor_execute", count)
    assert result["state"] == "done" and result["done"] == len(files)
    assert 2 <= len(writes) <= 3 + elapsed / PROGRESS_EVERY_S  # running, done, and one per interval


def test_a_catalog_from_before_jobs_were_kept_gets_the_table(store_settings: Settings) -> None:
    """Migration 0004 makes the table a new catalog gets from the model."""
    url = store_settings.store_url.replace("postgresql://", "postgresql+psycopg://", 1)

    def described(catalog: Catalog) -> tuple[list, list]:
        table = inspect(catalog.engine)
        columns = [(c["name"], str(c["type"]), c["nullable"]) for c in table.get_columns("ingest_job")]
        return columns, table.get_indexes("ingest_job")

    catalog = Catalog(url)
    fresh = described(catalog)
    with catalog.engine.connect() as connection:
        head = connection.scalar(text("SELECT version_num FROM alembic_version"))
    downgrade_schema(catalog.engine, "0003")
    catalog.engine.dispose()
    upgraded = Catalog(url)
    try:
        assert described(upgraded) == fresh
        with upgraded.session() as session:
            assert session.scalar(text("SELECT version_num FROM alembic_version")) == head
    finally:
        upgraded.engine.dispose()
