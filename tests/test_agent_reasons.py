"""Why the offline planner picked each file, and what it could not plan, in the instruction's
language: every condition gives its reason (a pattern and an extension too), Chinese instructions
get Chinese reasons and notes, from the rules and from the agent's HTTP route alike."""

from __future__ import annotations

from pathlib import Path

import httpx
from server_live import live_server
from support import write

from ragkb.agent.kbfiles import KBFiles
from ragkb.agent.reasons import PHRASES, Reasons
from ragkb.agent.rules import plan_by_rules
from ragkb.agent.sandbox import Sandbox
from ragkb.config import Settings


def reasons(instruction: str, root: Path) -> list[tuple[str, str]]:
    plan = plan_by_rules(instruction, Sandbox(root), KBFiles(None), None)
    return [(op.path, op.reason) for op in plan.operations]


def test_a_pattern_or_an_extension_is_a_reason(tmp_path: Path) -> None:
    write(tmp_path / "app.log", "x")
    write(tmp_path / "logs" / "db.log", "y")
    write(tmp_path / "scan.PDF", "z")
    assert reasons("move all *.log files to archive", tmp_path) == [
        ("app.log", "name matches *.log"),
        ("logs/db.log", "name matches *.log"),
    ]
    assert reasons("move the pdf files to archive", tmp_path) == [("scan.PDF", "a .pdf file")]
    assert reasons("把所有 *.log 文件移到 archive 目录", tmp_path) == [
        ("app.log", "文件名符合 *.log"),
        ("logs/db.log", "文件名符合 *.log"),
    ]


def test_a_chinese_instruction_gets_chinese_reasons_and_notes(tmp_path: Path) -> None:
    write(tmp_path / "发票-01.pdf", "a")
    write(tmp_path / "a" / "report.md", "same")
    write(tmp_path / "b" / "report.md", "same")
    plan = plan_by_rules("把大于 0 KB 的发票移到 invoices 目录", Sandbox(tmp_path), KBFiles(None), None)
    assert [op.reason for op in plan.operations] == ["1 字节; 文件名含“发票”"]
    assert plan.notes == ["只匹配了文件名；指定知识库（--kb）时也会搜索文件的文字"]
    plan = plan_by_rules("删除重复的文件", Sandbox(tmp_path), KBFiles(None), None)
    assert [op.reason for op in plan.operations] == [
        f"与 a/report.md 内容相同（sha256 {plan.operations[0].sha256[:12]}…），保留 a/report.md"
    ]
    assert plan_by_rules("删除 *.tmp 文件", Sandbox(tmp_path), KBFiles(None), None).notes == [f"{tmp_path} 下没有符合指令的文件"]
    assert plan_by_rules("delete *.tmp files", Sandbox(tmp_path), KBFiles(None), None).notes == [
        f"no file below {tmp_path} matches the instruction"
    ]


def test_every_phrase_is_in_both_languages_with_the_same_fields() -> None:
    for name, phrases in PHRASES.items():
        assert set(phrases) == {"en", "zh"}, name
        fields = [{part.split("}")[0].split(":")[0] for part in text.split("{")[1:]} for text in phrases.values()]
        assert fields[0] == fields[1], name
    assert Reasons("把发票移到 invoices").language == "zh" and Reasons("move the invoices").language == "en"


def test_the_agent_route_answers_in_the_instructions_language(tmp_path: Path, home: Path) -> None:
    root = tmp_path / "shared"
    write(root / "发票-01.pdf", "a")
    settings = Settings(home=home, agent_roots=str(root))
    with live_server(settings) as url, httpx.Client(base_url=url, timeout=120) as client:
        for instruction, reason in (
            ("把发票移到 invoices 目录", "文件名含“发票”"),
            ("move *.pdf to invoices", "name matches *.pdf"),
        ):
            made = client.post("/api/agent/plans", json={"instruction": instruction, "root": str(root)})
            assert made.status_code == 200, made.text
            assert [op["reason"] for op in made.json()["operations"]] == [reason]
