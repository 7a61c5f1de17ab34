"""A table cell cited in the web UI opens its page (issue 18): a click on the [n] of a number read
from a PDF's table shows the page with that cell highlighted; a cell stored before cells had boxes
(migration 0009) still opens its page, unmarked. The PDF, with a text layer, is
tests/test_tables_ingest.py's income statement."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pymupdf
import pytest
from playwright.sync_api import expect
from serving import Server, running_server
from test_e2e_page_view import marked_share
from test_tables_ingest import statement_pdf


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return statement_pdf(tmp_path_factory.mktemp("docs") / "report.pdf")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, report: Path) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("ragkb-home")
    with running_server(home) as url:
        server = Server(url, home)
        server.ragkb("kb", "create", "reports", "--set", "embedder=none")
        server.ragkb("add", str(report), "--kb", "reports")
        yield server


def _word_centre(path: Path, text: str) -> tuple[float, float]:
    """Where ``text`` is printed on the first page, in fractions of the page."""
    with pymupdf.open(path) as document:
        page = document[0]
        [(x0, y0, x1, y1)] = [word[:4] for word in page.get_text("words") if word[4] == text]
        return (x0 + x1) / 2 / page.rect.width, (y0 + y1) / 2 / page.rect.height


def _open_cited_page(ui, question: str, printed: str):
    answer = ui.ask(question)
    expect(answer.locator(".answer-text")).to_contain_text(printed)
    answer.locator(".answer-text button.cite").first.click()
    source = ui.page.locator("#source-panel")
    expect(source.locator(".source-quote")).to_have_text(printed)
    view = source.locator(".page-view")
    expect(view).to_have_attribute("data-page", "1")
    expect(view.locator("img.page-image")).to_be_visible()
    ui.page.wait_for_function("() => document.querySelector('#source-panel .page-image')?.naturalWidth > 0")
    return view


def test_a_cited_cell_shows_its_page_with_the_cell_highlighted(open_ui, screenshot, server: Server, report: Path):
    ui = open_ui("zh-CN")
    _open_cited_page(ui, "2022年星海科技的营业收入是多少元？", "1,232,616,571.99")
    [(x0, y0, x1, y1)] = marked_share(ui.page)
    x, y = _word_centre(report, "1,232,616,571.99")
    assert x0 < x < x1 and y0 < y < y1, (x0, y0, x1, y1, x, y)
    other_x, _ = _word_centre(report, "913,065,948.89")  # the row's other number is left out
    assert not x0 < other_x < x1
    screenshot(ui.page, "cell-page-view")

    with sqlite3.connect(server.home / "ragkb.db") as db:  # as cells were stored before 0009
        db.execute("UPDATE table_cell SET boxes = NULL")
    view = _open_cited_page(ui, "2021年星海科技的营业收入是多少元？", "913,065,948.89")
    expect(view.locator(".page-mark")).to_have_count(0)
    expect(ui.page.locator(".toast")).to_have_count(0)
