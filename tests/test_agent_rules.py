"""The offline planner on real folders and a real KB: the issue's instructions in Chinese and English,
selection by pattern, extension, date, size, duplicate content, KB tag and KB search, renames by the
signing date in a contract's text or table (and the files it cannot plan, with why)."""

from __future__ import annotations

import os
from datetime import date, datetime, timezone
from pathlib import Path

import docx
import pymupdf
import pytest
from support import write

from ragkb.agent.dates import signing_date
from ragkb.agent.instruction import parse
from ragkb.agent.kbfiles import KBFiles
from ragkb.agent.planner import make_plan
from ragkb.agent.rules import plan_by_rules
from ragkb.agent.sandbox import Sandbox
from ragkb.config import KBSettings, Settings
from ragkb.errors import RagkbError
from ragkb.kb import KnowledgeBase

NOW = datetime(2025, 6, 1, tzinfo=timezone.utc)


def ops(plan) -> list[tuple]:
    return [(op.op, op.path, op.to) if op.op != "tag" else (op.op, op.path, op.tags) for op in plan.operations]


def aged(path: Path, when: datetime) -> Path:
    os.utime(path, (when.timestamp(), when.timestamp()))
    return path


@pytest.mark.parametrize(
    ("instruction", "expected"),
    [
        (
            "把所有发票 PDF 移到 invoices 目录并打上标签",
            {"action": "move", "extensions": {".pdf"}, "words": ["发票"], "destination": "invoices", "add_tags": ["发票"]},
        ),
        ("删除重复的文件", {"action": "delete", "duplicates": True}),
        (
            "rename the scanned contracts by their signing date",
            {"action": "rename", "words": ["contract"], "rename_by": "signing_date"},
        ),
        (
            "move all invoice PDFs into the invoices folder and tag them",
            {"action": "move", "words": ["invoice"], "destination": "invoices", "add_tags": ["invoice"]},
        ),
        (
            "把 2023 年以前的文件移到 archive",
            {"action": "move", "before": datetime(2023, 1, 1, tzinfo=timezone.utc), "destination": "archive"},
        ),
        ("move files older than 30 days to old.", {"before": datetime(2025, 5, 2, tzinfo=timezone.utc), "destination": "old"}),
        ("删除大于 10MB 的视频", {"action": "delete", "min_size": 10 * 2**20 + 1}),
        ("delete empty files", {"action": "delete", "max_size": 0}),
        (
            "把 *.jpeg 重命名为 *.jpg",
            {"action": "rename", "rename_by": "extension", "rename_to": ".jpg", "extensions": {".jpeg"}},
        ),
        (
            "copy all markdown files modified in 2024-03 to backup",
            {
                "action": "copy",
                "extensions": {".md", ".markdown"},
                "after": datetime(2024, 3, 1, tzinfo=timezone.utc),
                "before": datetime(2024, 4, 1, tzinfo=timezone.utc),
            },
        ),
        ("把标签为合同的文件复制到 legal", {"action": "copy", "tagged": "合同", "destination": "legal", "words": []}),
        ("把内容关于报销的文件移到 finance 文件夹", {"action": "move", "about": "报销", "destination": "finance"}),
        ("tag the contracts as legal", {"action": "tag", "words": ["contract"], "add_tags": ["legal"]}),
        ("给所有 PDF 加前缀 2024_", {"action": "rename", "rename_by": "prefix", "rename_to": "2024_"}),
        ("delete all *.tmp files", {"action": "delete", "globs": ["*.tmp"]}),
    ],
)
def test_instructions_are_read(instruction: str, expected: dict) -> None:
    request = parse(instruction, NOW)
    for field, value in expected.items():
        assert getattr(request, field) == value, field


def test_unknown_instructions_say_what_to_write() -> None:
    with pytest.raises(RagkbError, match="do not understand"):
        parse("hello there")


def test_the_issue_instructions_on_a_real_folder(tmp_path: Path, settings: Settings) -> None:
    root = tmp_path / "box"
    write(root / "发票-01.pdf", "not a real pdf")  # rules pick by name: content is not read without the KB
    write(root / "scans" / "invoice_02.PDF", "x")
    write(root / "invoices" / "发票-00.pdf", "already there")
    write(root / "notes.md", "# notes")
    write(root / "a" / "report.md", "# Report\n\nsame")
    aged(write(root / "b" / "report.md", "# Report\n\nsame"), datetime(2021, 1, 1, tzinfo=timezone.utc))
    write(root / "b" / "report copy.md", "# Report\n\nsame")
    write(root / "invoices" / "发票-01.pdf", "name taken")
    sandbox = Sandbox(root)
    plan = plan_by_rules("把所有发票 PDF 移到 invoices 目录", sandbox, KBFiles(None), None)
    assert ops(plan) == [
        ("move", "scans/invoice_02.PDF", "invoices/invoice_02.PDF"),
        ("move", "发票-01.pdf", "invoices/发票-01 (2).pdf"),  # never overwrites
    ]
    assert plan.operations[0].reason == ".pdf 文件; 文件名含“invoice”"  # a Chinese instruction: Chinese reasons
    assert plan.notes == ["只匹配了文件名；指定知识库（--kb）时也会搜索文件的文字"]
    plan = plan_by_rules("删除重复的文件", sandbox, KBFiles(None), None)
    assert ops(plan) == [("delete", "a/report.md", None), ("delete", "b/report copy.md", None)]
    assert plan.operations[0].reason.startswith("与 b/report.md 内容相同")  # the oldest is kept
    with pytest.raises(RagkbError, match="needs a knowledge base"):
        plan_by_rules("rename the scanned contracts by their signing date", sandbox, KBFiles(None), None)
    with pytest.raises(RagkbError, match="never acts on every file"):
        plan_by_rules("delete everything", sandbox, KBFiles(None), None)
    with pytest.raises(RagkbError, match="say where"):
        plan_by_rules("move the PDFs", sandbox, KBFiles(None), None)


def test_dates_sizes_patterns_and_extensions(tmp_path: Path) -> None:
    root = tmp_path / "box"
    aged(write(root / "old.log", "x" * 10), datetime(2022, 5, 1, tzinfo=timezone.utc))
    aged(write(root / "new.log", "x" * 10), datetime(2025, 5, 30, tzinfo=timezone.utc))
    write(root / "big.bin.tmp", "x" * 3000)
    write(root / "empty.txt", "")
    write(root / "photo.JPEG", "jpeg")
    sandbox = Sandbox(root)

    def plan(instruction: str) -> list[tuple]:
        return ops(plan_by_rules(instruction, sandbox, KBFiles(None), None, now=NOW))

    assert plan("把 2023 年以前的文件移到 archive") == [("move", "old.log", "archive/old.log")]
    assert plan("删除 30 天前的日志") == [("delete", "old.log", None)]
    assert plan("delete files larger than 2 KB") == [("delete", "big.bin.tmp", None)]
    assert plan("删除空文件") == [("delete", "empty.txt", None)]
    assert plan("delete all *.tmp files") == [("delete", "big.bin.tmp", None)]
    assert plan("rename *.jpeg to *.jpg") == [("rename", "photo.JPEG", "photo.jpg")]
    assert plan("copy the logs modified in 2025 to backup") == [("copy", "new.log", "backup/new.log")]


def contract_docx(path: Path, signed: str) -> Path:
    """A Word contract whose signing date is only in a table."""
    document = docx.Document()
    document.add_heading("采购合同", 1)
    document.add_paragraph("甲方向乙方采购办公设备。")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "合同编号", "HT-2024-007"
    table.cell(1, 0).text, table.cell(1, 1).text = "签订日期", signed
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(path)
    return path


def scanned_pdf(path: Path) -> Path:
    """A scan: a page with a drawing and no text layer."""
    document = pymupdf.open()
    document.new_page().draw_rect(pymupdf.Rect(50, 50, 300, 300), fill=(0.5, 0.5, 0.5))
    document.save(path)
    return path


def test_contracts_are_renamed_by_the_signing_date_in_their_text(tmp_path: Path, settings: Settings) -> None:
    root = tmp_path / "contracts"
    contract_docx(root / "采购合同.docx", "2024年3月1日")
    write(root / "lease-contract.md", "# Lease\n\nThis Agreement is made and entered into on March 5, 2023 by the parties.")
    write(root / "service contract.md", "# Service\n\nThe services start on 2024-01-01.")  # no signing date
    scanned_pdf(root / "contract-scan.pdf")
    write(root / "contract-draft.md", "# Draft\n\n本合同于2022年12月31日签订。")
    kb = KnowledgeBase.create("legal", kb_settings=KBSettings(embedder="none"), settings=settings)
    kb.add([root])
    write(root / "contract-new.md", "# New\n\nsigned on 1 June 2025")  # not in the KB yet
    plan = make_plan("rename the scanned contracts by their signing date", root, settings, kb="legal")
    assert ops(plan) == [
        ("rename", "contract-draft.md", "2022-12-31_contract-draft.md"),
        ("rename", "lease-contract.md", "2023-03-05_lease-contract.md"),
        ("rename", "采购合同.docx", "2024-03-01_采购合同.docx"),
    ]
    assert "signed 2024-03-01 (its text in the KB)" in plan.operations[2].reason
    (note,) = plan.notes
    assert note.startswith("could not plan 3 file(s): ")
    assert "contract-new.md (not in the knowledge base; add it first)" in note
    assert "contract-scan.pdf (the knowledge base found no text in it" in note
    assert "service contract.md (its text names no signing date)" in note
    zh = make_plan("按签订日期重命名扫描的合同", root, settings, kb="legal")
    assert ops(zh) == ops(plan)


def test_kb_tags_and_search_pick_files(tmp_path: Path, settings: Settings) -> None:
    root = tmp_path / "box"
    write(root / "trip.md", "# Trip\n\n报销 travel expenses for the Berlin trip")
    write(root / "lunch.md", "# Lunch\n\nteam lunch receipt, 报销")
    write(root / "plan.md", "# Plan\n\nroadmap for next year")
    kb = KnowledgeBase.create("box", kb_settings=KBSettings(embedder="none"), settings=settings)
    kb.add([root / "trip.md", root / "plan.md"], tags=["合同"])
    kb.add([root / "lunch.md"])
    about = make_plan("把内容关于报销的文件移到 finance 文件夹", root, settings, kb="box")
    assert ops(about) == [("classify", "lunch.md", "finance/lunch.md"), ("classify", "trip.md", "finance/trip.md")]
    assert {op.query for op in about.operations} == {"报销"}
    tagged = make_plan("把标签为合同的文件复制到 legal", root, settings, kb="box")
    assert ops(tagged) == [("copy", "plan.md", "legal/plan.md"), ("copy", "trip.md", "legal/trip.md")]
    tag = make_plan("tag the files about travel with trips", root, settings, kb="box")
    assert ops(tag) == [("tag", "trip.md", ["trips"])]


@pytest.mark.parametrize(
    ("text", "signed"),
    [
        ("签订日期：2024年3月1日", date(2024, 3, 1)),
        ("本合同于 2023 年 12 月 5 日在北京签订", date(2023, 12, 5)),
        ("Dated: 7 August 2022", date(2022, 8, 7)),
        ("signed on Feb. 29, 2024", date(2024, 2, 29)),
        ("签署日期 2024/02/30", None),  # no such day
        ("delivery by 2024-05-01", None),  # a date, but not when it was signed
    ],
)
def test_signing_dates(text: str, signed: date | None) -> None:
    assert signing_date(text) == signed
