"""Running plans: every operation journaled (intent, then done) with its paths and hashes, deletes and
overwrites backed up first, files changed since the plan left alone, undo back to the tree as it was,
and the KB kept in step: moved files keep their chunks and vectors (nothing embedded again)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pymupdf
import pytest
from llm_servers import chat_server
from support import write

from ragkb.agent.audit import AgentHome
from ragkb.agent.execute import execute_plan, undo_last
from ragkb.agent.plan import Operation, Plan
from ragkb.agent.planner import make_plan
from ragkb.config import KBSettings, Settings
from ragkb.errors import RagkbError
from ragkb.kb import KnowledgeBase
from ragkb.profiles import Filters, SearchOptions


def tree(root: Path) -> dict[str, str]:
    """Every file and folder below ``root``: a file's text, a folder's mark."""
    return {
        path.relative_to(root).as_posix(): "dir" if path.is_dir() else path.read_text(encoding="utf-8")
        for path in sorted(root.rglob("*"))
    }


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "files"
    write(folder / "docs" / "a.txt", "alpha")
    write(folder / "docs" / "b.txt", "bravo")
    write(folder / "docs" / "c.txt", "charlie")
    write(folder / "docs" / "d.txt", "delta")
    return folder


def test_every_operation_runs_journaled_and_undoes(root: Path, settings: Settings) -> None:
    original = tree(root)
    plan = Plan(
        instruction="by hand",
        root=str(root),
        planner="rules",
        operations=[
            Operation(op="create", path="notes/new.md", content="# 新的\n"),
            Operation(op="read", path="docs/a.txt"),
            Operation(op="move", path="docs/a.txt", to="archive/2024/a.txt"),
            Operation(op="copy", path="docs/b.txt", to="docs/c.txt"),  # overwrites c: backed up first
            Operation(op="delete", path="docs/d.txt"),
            Operation(op="rename", path="docs/b.txt", to="docs/b-renamed.txt"),
        ],
    )
    report = execute_plan(plan, settings)
    assert [r.status for r in report.results] == ["done"] * 6
    assert report.results[1].text == "alpha"
    assert tree(root) == {
        "archive": "dir",
        "archive/2024": "dir",
        "archive/2024/a.txt": "alpha",
        "docs": "dir",
        "docs/b-renamed.txt": "bravo",
        "docs/c.txt": "bravo",
        "notes": "dir",
        "notes/new.md": "# 新的\n",
    }
    backups = Path(report.backup or "")
    assert backups.parent == settings.home / "agent" / "backups" and backups.name == plan.id
    assert sorted(p.read_text() for p in backups.iterdir()) == ["charlie", "delta"]

    records = AgentHome(settings).records()
    assert [(r.event, r.op) for r in records] == [
        ("intent", "create"), ("done", "create"), ("done", "read"), ("intent", "move"), ("done", "move"),
        ("intent", "copy"), ("done", "copy"), ("intent", "delete"), ("done", "delete"), ("intent", "rename"), ("done", "rename"),
    ]  # fmt: skip
    move = records[4]
    assert move.before == str(root / "docs/a.txt") and move.after == str(root / "archive/2024/a.txt")
    assert move.sha256_before == move.sha256_after == sha("alpha") and move.created == ["archive", "archive/2024"]
    copy = records[6]
    assert copy.replaced_sha256 == sha("charlie") and Path(copy.backup or "").read_text() == "charlie"
    assert records[8].sha256_before == sha("delta") and records[8].sha256_after is None
    assert all(r.time and r.plan == plan.id for r in records)
    assert (settings.home / "agent" / "audit.jsonl").read_text().count("\n") == len(records)

    undone = undo_last(settings)
    assert undone.undo and {r.status for r in undone.results} == {"done"}
    assert tree(root) == original  # moved back, copy's target restored, deleted file back, new file and folders gone
    assert AgentHome(settings).records()[-1].event == "undone"
    with pytest.raises(RagkbError, match="nothing to undo"):
        undo_last(settings)


def test_a_plan_runs_once(root: Path, settings: Settings) -> None:
    plan = Plan(instruction="t", root=str(root), planner="rules", operations=[Operation(op="delete", path="docs/a.txt")])
    execute_plan(plan, settings)
    with pytest.raises(RagkbError, match="has run already"):
        execute_plan(plan, settings)


def test_files_changed_since_the_plan_or_the_run_are_left_alone(root: Path, settings: Settings) -> None:
    plan = make_plan("delete all *.txt files", root, settings)
    assert [op.path for op in plan.operations] == ["docs/a.txt", "docs/b.txt", "docs/c.txt", "docs/d.txt"]
    write(root / "docs" / "b.txt", "bravo, edited after the plan was shown")
    report = execute_plan(plan, settings)
    assert [r.status for r in report.results] == ["done", "skipped", "done", "done"]
    assert "changed since the plan was made" in report.results[1].detail
    assert tree(root) == {"docs": "dir", "docs/b.txt": "bravo, edited after the plan was shown"}

    write(root / "docs" / "a.txt", "a new a.txt")  # where undo would restore the deleted one
    undone = undo_last(settings)
    assert [(r.path, r.status) for r in undone.results] == [
        ("docs/d.txt", "done"),
        ("docs/c.txt", "done"),
        ("docs/a.txt", "skipped"),
    ]
    assert (root / "docs/a.txt").read_text() == "a new a.txt" and (root / "docs/d.txt").read_text() == "delta"


def invoice_pdf(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = pymupdf.open()
    document.new_page().insert_text((72, 80), text, fontname="china-s", fontsize=12)
    document.save(path)
    return path


@pytest.fixture
def embedding_server() -> Iterator[tuple[str, list[dict]]]:
    with chat_server("") as (url, requests):
        yield url, requests


def test_the_kb_follows_moves_and_tags_without_embedding_again(
    tmp_path: Path, home: Path, embedding_server: tuple[str, list[dict]]
) -> None:
    url, requests = embedding_server
    settings = Settings(home=home, openai_base_url=url)
    root = tmp_path / "inbox"
    invoice_pdf(root / "scan-0042.pdf", "增值税发票 发票号码 0042 金额 100 元")
    invoice_pdf(root / "2024/发票-0043.pdf", "发票号码 0043")
    invoice_pdf(root / "manual.pdf", "使用说明 第一章")
    write(root / "发票清单.txt", "发票 0042, 0043")  # an invoice word, but not a PDF
    kb = KnowledgeBase.create("inbox", kb_settings=KBSettings(embedder="openai:emb"), settings=settings)
    kb.add([root])
    chunks_before = {info.name: (info.chunks, info.version) for info in kb.files()}
    embedded = len(requests)
    assert embedded

    plan = make_plan("把所有发票 PDF 移到 invoices 目录并打上标签", root, settings, kb="inbox")
    assert [(op.op, op.path, op.to, op.tags) for op in plan.operations] == [
        ("move", "2024/发票-0043.pdf", "invoices/发票-0043.pdf", []),
        ("tag", "invoices/发票-0043.pdf", None, ["发票"]),
        ("classify", "scan-0042.pdf", "invoices/scan-0042.pdf", []),
        ("tag", "invoices/scan-0042.pdf", None, ["发票"]),
    ]
    assert plan.operations[2].query == "发票" and "知识库搜索" in plan.operations[2].reason
    report = execute_plan(plan, settings)
    assert {r.status for r in report.results} == {"done"}

    kb = KnowledgeBase.open("inbox", settings=settings)
    files = {info.path: info for info in kb.files()}
    assert set(files) == {
        str(root / p) for p in ("invoices/发票-0043.pdf", "invoices/scan-0042.pdf", "manual.pdf", "发票清单.txt")
    }
    assert {info.name: (info.chunks, info.version) for info in kb.files()} == chunks_before  # same chunks, not re-read
    assert len(requests) == embedded  # nothing embedded again
    tagged = kb.retrieve("发票", SearchOptions(mode="sparse", filters=Filters(tags=["发票"]))).hits
    assert {Path(hit.file).name for hit in tagged} == {"发票-0043.pdf", "scan-0042.pdf"}

    undo_last(settings)
    kb = KnowledgeBase.open("inbox", settings=settings)
    assert {info.path for info in kb.files()} == {
        str(root / p) for p in ("2024/发票-0043.pdf", "scan-0042.pdf", "manual.pdf", "发票清单.txt")
    }
    assert not kb.retrieve("发票", SearchOptions(mode="sparse", filters=Filters(tags=["发票"]))).hits
    assert len(requests) == embedded
    assert not (root / "invoices").exists()


def test_move_file_keeps_the_chunks_and_replaces_a_catalogued_target(tmp_path: Path, settings: Settings) -> None:
    kb = KnowledgeBase.create("moves", kb_settings=KBSettings(embedder="none"), settings=settings)
    a, b = write(tmp_path / "a.md", "# A\n\nalpha text"), write(tmp_path / "b.md", "# B\n\nbravo text")
    kb.add([a, b])
    ids = {info.path: info.id for info in kb.files()}
    a.replace(b)
    assert kb.move_file(a, b)
    assert [(info.path, info.id) for info in kb.files()] == [(str(b), ids[str(a)])]
    assert [hit.file for hit in kb.search("alpha", mode="sparse")] == [str(b)]
    assert not kb.search("bravo", mode="sparse")
    assert not kb.move_file(tmp_path / "unknown.md", tmp_path / "elsewhere.md")
