"""The file agent's HTTP routes on a real server on 127.0.0.1: off until RAGKB_AGENT_ROOTS names
folders, only for callers allowed every KB; plan (nothing changes), read it, execute it once, undo,
the audit log; edited plans that escape are refused whole."""

from __future__ import annotations

from pathlib import Path

import httpx
from server_live import live_server
from support import write

from ragkb.config import KBSettings, Settings
from ragkb.kb import KnowledgeBase
from ragkb.server.keys import KeyStore


def files(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}


def test_plan_confirm_execute_undo(tmp_path: Path, home: Path) -> None:
    root = tmp_path / "shared"
    write(root / "a.md", "# Copy\n\nsame text")
    write(root / "old/a-copy.md", "# Copy\n\nsame text")
    write(tmp_path / "elsewhere" / "x.md", "not the agent's")
    original = files(root)
    settings = Settings(home=home, agent_roots=f"{tmp_path / 'missing'}, {root}")
    KnowledgeBase.create("shared", kb_settings=KBSettings(embedder="none"), settings=settings).add([root])
    with live_server(settings) as url, httpx.Client(base_url=url, timeout=120) as client:
        assert client.get("/api/agent/roots").json() == {"roots": [str(tmp_path / "missing"), str(root)]}

        made = client.post("/api/agent/plans", json={"instruction": "删除重复的文件", "root": str(root), "kb": "shared"})
        assert made.status_code == 200, made.text
        plan = made.json()
        assert plan["planner"] == "rules" and [(op["op"], op["path"]) for op in plan["operations"]] == [
            ("delete", "old/a-copy.md")
        ]
        assert files(root) == original  # a plan changes nothing
        assert client.get(f"/api/agent/plans/{plan['id']}").json() == plan

        done = client.post(f"/api/agent/plans/{plan['id']}/execute")
        assert done.status_code == 200, done.text
        assert [(r["op"], r["path"], r["status"]) for r in done.json()["results"]] == [("delete", "old/a-copy.md", "done")]
        assert files(root) == {"a.md": "# Copy\n\nsame text"}
        assert [info.name for info in KnowledgeBase.open("shared", settings=settings).files()] == ["a.md"]
        again = client.post(f"/api/agent/plans/{plan['id']}/execute")
        assert again.status_code == 409 and "has run already" in again.json()["detail"]

        audit = client.get("/api/agent/audit", params={"last": 5}).json()
        assert [(r["event"], r["op"]) for r in audit] == [("intent", "delete"), ("done", "delete")]
        assert audit[1]["before"] == str(root / "old/a-copy.md") and audit[1]["sha256_before"]

        undone = client.post("/api/agent/undo")
        assert undone.status_code == 200 and undone.json()["undo"] is True
        assert files(root) == original
        assert client.post("/api/agent/undo").status_code == 400

        outside = client.post("/api/agent/plans", json={"instruction": "delete *.md", "root": str(tmp_path / "elsewhere")})
        assert outside.status_code == 403 and "RAGKB_AGENT_ROOTS" in outside.json()["detail"]
        edited = {**plan, "operations": [{"op": "delete", "path": "../elsewhere/x.md"}]}
        refused = client.post("/api/agent/plans", json={"plan": edited})
        assert refused.status_code == 400 and "goes up" in refused.json()["detail"]
        assert client.post("/api/agent/plans", json={"root": str(root)}).status_code == 422
        assert client.get("/api/agent/plans/20990101-000000-abcdef").status_code == 404
        assert client.post("/api/agent/plans/..secret/execute").status_code == 404
    assert (tmp_path / "elsewhere" / "x.md").read_text() == "not the agent's"


def test_off_without_roots_and_only_for_keys_to_every_kb(tmp_path: Path, home: Path) -> None:
    with live_server(Settings(home=home)) as url:
        off = httpx.post(f"{url}/api/agent/plans", json={"instruction": "删除重复的文件", "root": str(tmp_path)})
        assert off.status_code == 403 and "RAGKB_AGENT_ROOTS" in off.json()["detail"]
    settings = Settings(home=home, agent_roots=str(tmp_path))
    KnowledgeBase.create("one", kb_settings=KBSettings(embedder="none"), settings=settings)
    keys = KeyStore.for_settings(settings)
    narrow, admin = keys.create("narrow", ["one"]), keys.create("admin", None)
    with live_server(settings) as url:
        denied = httpx.get(f"{url}/api/agent/roots", headers={"Authorization": f"Bearer {narrow}"})
        assert denied.status_code == 403 and "all knowledge bases" in denied.json()["detail"]
        assert httpx.get(f"{url}/api/agent/roots", headers={"Authorization": f"Bearer {admin}"}).status_code == 200
        assert httpx.get(f"{url}/api/agent/roots").status_code == 401
