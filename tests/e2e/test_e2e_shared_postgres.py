"""Two ``ragkb serve`` processes sharing one PostgreSQL serve the same knowledge bases: what one
ingests the other finds, and while one ingests the other never sees half a file."""

from __future__ import annotations

import random
import time

import httpx
from serving import running_server
from stores import postgres_database

FILES = 200
SECTIONS = 3
"""Each file has this many sections, each one chunk naming the file's ship (``vessel<n>``); the
ingest commits 256 chunks at a time, so the files become visible in several steps."""


def logbook(number: int) -> bytes:
    sections = [
        f"## Watch {watch}\n\nShip vessel{number:03d} passed the lighthouse on watch {watch}." for watch in range(SECTIONS)
    ]
    return (f"# Logbook {number}\n\n" + "\n\n".join(sections)).encode()


def test_two_servers_on_one_postgresql_serve_the_same_knowledge_base(tmp_path):
    with (
        postgres_database() as url,
        running_server(tmp_path / "home-a", RAGKB_DATABASE_URL=url) as first,
        running_server(tmp_path / "home-b", RAGKB_DATABASE_URL=url) as second,
    ):
        created = httpx.post(f"{first}/api/kbs", json={"name": "shared", "settings": {"embedder": "none"}}, timeout=60)
        assert created.status_code == 201, created.text
        uploads = [("files", (f"logbook-{n:03d}.md", logbook(n), "text/markdown")) for n in range(FILES)]
        job = httpx.post(f"{first}/api/kbs/shared/files", files=uploads, timeout=120).json()["job_id"]

        files_seen = []
        while True:  # the second server reads while the first ingests
            state = httpx.get(f"{first}/api/jobs/{job}", timeout=60).json()["state"]
            kb = httpx.get(f"{second}/api/kbs/shared", timeout=60).json()
            assert kb["chunks"] == SECTIONS * kb["files"], f"a file seen half-indexed: {kb}"
            for number in random.sample(range(FILES), 3):
                search = {"query": f"vessel{number:03d}", "k": 10, "mode": "sparse"}
                hits = httpx.post(f"{second}/api/kbs/shared/search", json=search, timeout=60).json()["hits"]
                assert len(hits) in {0, SECTIONS}, f"logbook {number} seen half-indexed: {len(hits)} chunks"
            files_seen.append(kb["files"])
            if state in {"done", "failed"}:
                break
            time.sleep(0.02)

        assert state == "done"
        assert files_seen == sorted(files_seen) and files_seen[-1] == FILES
        assert any(0 < seen < FILES for seen in files_seen), "the second server never looked during the ingest"
        listed = httpx.get(f"{second}/api/kbs/shared/files", timeout=60).json()
        assert {f["status"] for f in listed} == {"indexed"} and len(listed) == FILES
