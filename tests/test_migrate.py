"""``ragkb kb migrate``: a KB copied to another backend searches the same, without re-embedding."""

from __future__ import annotations

import json
import subprocess

import pytest
from sqlalchemy import select
from stores import backend_url
from support import write

from ragkb import KnowledgeBase
from ragkb.catalog.schema import ChatSessionRow, MessageRow
from ragkb.config import Settings
from ragkb.errors import RagkbError

DOCS = {
    "router.md": "# Router manual\n\n## Factory reset\n\nHold the reset button on the back for ten seconds until the "
    "power LED blinks orange.\n\n## LEDs\n\nA red LED means the router has no internet connection.\n",
    "expenses.md": "# Travel policy\n\n## Deadlines\n\nSubmit travel expense claims within 30 days after the trip ends. "
    "Late claims need a director's approval.\n\n## Receipts\n\nAttach original invoices and the approved travel request.\n",
    "vpn.md": "# VPN\n\nInstall the client, import the profile file and sign in with your company account. "
    "The VPN disconnects after eight hours.\n",
    "报销办法.txt": "第一章 总则\n为规范公司差旅报销管理，制定本办法。\n第二章 报销时限\n出差人员应在出差结束后三十日内提交报销申请，"
    "逾期需部门负责人审批。\n第三章 所需材料\n报销时须提供发票原件、行程单和出差审批单。\n",
}
QUERIES = [
    "how do I factory reset the router",
    "travel expense deadline",
    "what does a red LED mean",
    "报销需要哪些材料",
    "VPN sign in",
]


def results(kb: KnowledgeBase, mode: str) -> list[list[tuple[str, int, float]]]:
    """(file name, ordinal, score) of the top 5 per query, ties in a fixed order."""
    rankings = []
    for query in QUERIES:
        hits = [(hit.file.rsplit("/", 1)[-1], hit.ordinal, round(hit.score, 4)) for hit in kb.search(query, k=5, mode=mode)]
        rankings.append(sorted(hits, key=lambda hit: (-hit[2], hit[0], hit[1])))
    return rankings


def assert_same(before, after) -> None:
    for expected, got in zip(before, after, strict=True):
        assert [(f, o) for f, o, _ in got] == [(f, o) for f, o, _ in expected]
        assert [s for _, _, s in got] == pytest.approx([s for _, _, s in expected], abs=2e-4)


@pytest.fixture
def source(tmp_path) -> KnowledgeBase:
    folder = tmp_path / "docs"
    for name, text in DOCS.items():
        write(folder / name, text)
    kb = KnowledgeBase.create("notes", description="team notes", settings=Settings(home=tmp_path / "home"))
    kb.add([folder])
    with kb.catalog.session() as session:
        chat = ChatSessionRow(kb_id=kb.id, name="hr")
        session.add(chat)
        session.flush()
        session.add_all(
            [
                MessageRow(session_id=chat.id, role="user", content="差旅报销的时限是多久？"),
                MessageRow(session_id=chat.id, role="assistant", content="三十日内 [1]", citations=[{"number": 1}]),
            ]
        )
    return kb


def conversation(kb: KnowledgeBase) -> list[tuple[str, str, list]]:
    with kb.catalog.session() as session:
        chat = session.scalar(select(ChatSessionRow.id).where(ChatSessionRow.kb_id == kb.id, ChatSessionRow.name == "hr"))
        messages = session.scalars(select(MessageRow).where(MessageRow.session_id == chat).order_by(MessageRow.id))
        return [(m.role, m.content, m.citations) for m in messages]


@pytest.mark.parametrize("backend", ["postgres", "qdrant-local"])
def test_migrated_kb_searches_the_same_without_reembedding(backend, source, tmp_path, monkeypatch):
    before = {mode: results(source, mode) for mode in ("sparse", "dense", "hybrid")}
    calls = []
    with backend_url(backend, tmp_path) as url:
        monkeypatch.setattr(type(source.embedder.inner), "embed", lambda self, texts: calls.append(texts))
        copied = source.migrate(url)
        monkeypatch.undo()
        assert calls == []  # vectors were copied, not computed again
        assert copied.app_settings.store_url == url and copied.id is not None
        assert (copied.description, copied.settings) == (source.description, source.settings)
        assert [(f.path, f.status, f.chunks, f.version) for f in copied.files()] == [
            (f.path, f.status, f.chunks, f.version) for f in source.files()
        ]
        assert copied.stats() == source.stats()
        assert conversation(copied) == conversation(source)

        assert_same(before["dense"], results(copied, "dense"))
        if backend == "postgres":  # the same BM25 as FTS5: sparse and hybrid rank identically
            assert_same(before["sparse"], results(copied, "sparse"))
            assert_same(before["hybrid"], results(copied, "hybrid"))
        else:  # Qdrant weighs terms its own way (fixed average length, its IDF): the same best hits
            assert [r[0][:2] for r in results(copied, "sparse")] == [r[0][:2] for r in before["sparse"]]
            assert [r[0][:2] for r in results(copied, "hybrid")] == [r[0][:2] for r in before["hybrid"]]

        assert results(source, "dense") == before["dense"]  # the original stays as it was
        with pytest.raises(RagkbError, match="already has a knowledge base 'notes'"):
            source.migrate(url)


def test_migrate_from_the_command_line(source, tmp_path, cli_env):
    target = f"qdrant://{tmp_path / 'qdrant'}"
    env = {**cli_env, "RAGKB_HOME": str(source.app_settings.home)}
    result = subprocess.run(
        ["ragkb", "kb", "migrate", "notes", "--to", target, "--json"], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["chunks"] == source.stats()["chunks"]
    search = subprocess.run(
        ["ragkb", "search", "factory reset", "--kb", "notes", "--json"],
        env={**env, "RAGKB_DATABASE_URL": target},
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(search.stdout)["hits"][0]["file"].endswith("router.md")
    same = subprocess.run(
        ["ragkb", "kb", "migrate", "notes", "--to", source.app_settings.store_url],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert same.returncode == 1 and "stored there already" in same.stderr
