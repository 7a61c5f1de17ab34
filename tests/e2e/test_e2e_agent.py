"""The file agent in the web UI (issue 21): a real server whose RAGKB_AGENT_ROOTS names two folders of
real files; an instruction is planned by the offline rules and shown (nothing moves), run once the user
confirms (the files move on disk), and undone (they are back); an escape attempt is refused with a
readable line; in Chinese at 390 px in dark mode too; without RAGKB_AGENT_ROOTS there is no agent tab."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pymupdf
import pytest
from playwright.sync_api import expect
from serving import Server, running_server

ARTIFACTS = Path(__file__).parent / "artifacts"


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def pdf(path: Path, text: str) -> None:
    document = pymupdf.open()
    document.new_page().insert_text((72, 80), text, fontname="china-s", fontsize=12)
    document.save(path)


def plan(page, root: Path, instruction: str):
    """Open the agent's tab, ask for a plan in ``root``; returns the panel."""
    page.click("#tab-agent")
    panel = page.locator("#agent-panel")
    panel.locator("select[name=root]").select_option(str(root))
    panel.locator("textarea[name=instruction]").fill(instruction)
    panel.locator("button[type=submit]").click()
    return panel


def shoot_panel(page, name: str) -> None:
    """What the agent's panel shows (the whole page at 390 px is mostly the chat above it)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(".panel").screenshot(path=str(ARTIFACTS / f"{name}.png"))


@pytest.fixture(scope="module")
def roots(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return (
        Path(os.path.realpath(tmp_path_factory.mktemp("agent-logs"))),
        Path(os.path.realpath(tmp_path_factory.mktemp("agent-scans"))),
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, roots: tuple[Path, Path]) -> Iterator[Server]:
    """The module's server lets the agent change the two folders (the conftest's has no agent)."""
    home = tmp_path_factory.mktemp("ragkb-home")
    with running_server(home, RAGKB_AGENT_ROOTS=",".join(str(root) for root in roots)) as url:
        yield Server(url, home)


def test_plan_confirm_run_undo_and_a_refused_escape(open_ui, roots, screenshot) -> None:
    root = roots[0]
    (root / "logs").mkdir()
    (root / "app.log").write_text("started\n")
    (root / "logs" / "worker.log").write_text("worker done\n")
    (root / "readme.md").write_text("# Keep me\n")
    before = tree(root)
    page = open_ui().page

    panel = plan(page, root, "move all *.log files to archive")
    expect(panel.locator("select[name=root] option")).to_have_text([str(root), str(roots[1])])
    shown = panel.locator(".agent-plan")
    expect(shown.locator(".agent-card-title")).to_contain_text("Plan: 2 operations")
    expect(shown.locator(".agent-op-line")).to_have_text(
        ["move app.log → archive/app.log", "move logs/worker.log → archive/worker.log"]
    )
    expect(shown.locator(".agent-reason")).to_have_text(["name matches *.log", "name matches *.log"])
    assert tree(root) == before  # a plan changes nothing
    screenshot(page, "agent-1-plan")

    shown.locator(".agent-run").click()
    report = panel.locator(".agent-report")
    expect(report).to_have_attribute("data-state", "done")
    expect(report.locator(".agent-card-title")).to_have_text("Finished: 2 done, 0 skipped, 0 failed")
    expect(report.locator(".agent-op .badge")).to_have_text(["done", "done"])
    assert tree(root) == {"archive/app.log": b"started\n", "archive/worker.log": b"worker done\n", "readme.md": b"# Keep me\n"}
    screenshot(page, "agent-2-done")

    report.locator(".agent-undo").click()
    expect(report).to_have_attribute("data-undo", "true")
    expect(report.locator(".agent-card-title")).to_contain_text("Undone: 3 restored")
    expect(report.locator(".agent-op").first).to_contain_text("archive/worker.log → logs/worker.log")
    expect(report.locator(".agent-undo")).to_have_count(0)
    assert tree(root) == before and not (root / "archive").exists()
    screenshot(page, "agent-3-undone")

    panel.locator(".agent-undo-last").click()
    expect(panel.locator(".agent-error")).to_have_text("Nothing to undo: no plan has changed files since the last undo.")

    panel.locator("textarea[name=instruction]").fill("move all *.log files to ../outside")
    panel.locator("textarea[name=instruction]").press("Enter")
    error = panel.locator("[role=alert]")
    expect(error).to_have_text(
        "Could not plan this: '../outside' goes up ('..' or a look-alike of it); every path stays below the root"
    )
    expect(panel.locator(".agent-plan, .agent-report")).to_have_count(0)
    assert tree(root) == before and not (root.parent / "outside").exists()
    screenshot(page, "agent-4-refused")


def test_in_chinese_at_390_px_in_dark_mode(open_ui, roots) -> None:
    root = roots[1]
    pdf(root / "发票-001.pdf", "发票 金额 100 元")
    pdf(root / "invoice-002.pdf", "Invoice total 20 EUR")
    pdf(root / "报告.pdf", "年度报告")
    before = tree(root)
    page = open_ui("zh-CN", width=390, height=844, color_scheme="dark").page

    expect(page.locator("#tab-agent")).to_have_text("文件助手")
    panel = plan(page, root, "把所有发票 PDF 移到 invoices 目录")
    shown = panel.locator(".agent-plan")
    expect(shown.locator(".agent-card-title")).to_contain_text("计划：2 项操作")
    expect(shown.locator(".agent-op-line")).to_have_text(
        ["移动 invoice-002.pdf → invoices/invoice-002.pdf", "移动 发票-001.pdf → invoices/发票-001.pdf"]
    )
    expect(shown.locator(".agent-reason")).to_have_text([".pdf 文件; 文件名含“invoice”", ".pdf 文件; 文件名含“发票”"])
    expect(shown.locator(".agent-notes li")).to_have_text(["只匹配了文件名；指定知识库（--kb）时也会搜索文件的文字"])
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide at 390 px"
    shoot_panel(page, "agent-zh-1-plan")

    shown.locator(".agent-run").click()
    report = panel.locator(".agent-report")
    expect(report.locator(".agent-card-title")).to_have_text("执行完毕：完成 2，跳过 0，失败 0")
    assert sorted(tree(root)) == ["invoices/invoice-002.pdf", "invoices/发票-001.pdf", "报告.pdf"]
    shoot_panel(page, "agent-zh-2-done")

    report.locator(".agent-undo").click()
    expect(report.locator(".agent-card-title")).to_contain_text("已撤销：恢复 3")
    assert tree(root) == before
    shoot_panel(page, "agent-zh-3-undone")


def test_no_agent_tab_without_agent_roots(browser, tmp_path: Path) -> None:
    with running_server(tmp_path / "home") as url:
        context = browser.new_context()
        page = context.new_page()
        page.goto(url + "/")
        page.wait_for_selector("body[data-ready=true]")
        expect(page.locator("#tab-agent")).to_be_hidden()
        expect(page.locator("#tab-files")).to_be_visible()
        context.close()
