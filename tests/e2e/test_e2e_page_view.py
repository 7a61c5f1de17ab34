"""The page behind a citation in the web UI (issue 18): a click on [n] shows the cited page of a
scanned PDF, read by OCR, with the quoted lines highlighted on it, and the file named as it was
added (never the server's path). The scan is made in the test: two pages typeset, rendered to
images at 100 dpi and put back into an image-only PDF (tests/scans.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from scans import PAGES, page_images, scanned_pdf
from serving import Server, running_server

from ragkb.extras import installed

pytestmark = pytest.mark.skipif(not installed("rapidocr"), reason="the [ocr] extra (rapidocr) is not installed")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server whose KB "scans" holds one scanned PDF: page 1 Chinese, page 2 English."""
    home = tmp_path_factory.mktemp("ragkb-home")
    scan = scanned_pdf(tmp_path_factory.mktemp("docs") / "scan.pdf", page_images([PAGES["zh"], PAGES["en"]]))
    with running_server(home) as url:
        server = Server(url, home)
        server.ragkb("kb", "create", "scans", "--set", "embedder=none")
        server.ragkb("add", str(scan), "--kb", "scans")
        yield server


def marked_share(page) -> list[tuple[float, float, float, float]]:
    """Each highlight's place on the page image, in fractions of the image as the browser lays it out."""
    return page.evaluate(
        """() => {
          const image = document.querySelector('#source-panel .page-image').getBoundingClientRect();
          return [...document.querySelectorAll('#source-panel .page-mark')].map((mark) => {
            const box = mark.getBoundingClientRect();
            return [(box.left - image.left) / image.width, (box.top - image.top) / image.height,
                    (box.right - image.left) / image.width, (box.bottom - image.top) / image.height];
          });
        }"""
    )


@pytest.mark.parametrize(
    ("locale", "question", "quoted", "page_number"),
    [
        ("en-US", "How long do I hold the reset button?", "ten seconds", 2),
        ("zh-CN", "出差结束后多久内提交报销申请？", "三十日内", 1),
    ],
)
def test_a_citation_shows_its_page_with_the_quote_highlighted(open_ui, screenshot, locale, question, quoted, page_number):
    ui = open_ui(locale)
    page = ui.page
    answer = ui.ask(question)
    expect(answer.locator(".answer-text")).to_contain_text(quoted)
    answer.locator(".answer-text button.cite").first.click()
    source = page.locator("#source-panel")
    expect(source.locator(".source-file")).to_have_text("scan.pdf")  # relative to where it was added
    expect(source.locator(".source-page")).to_have_text(str(page_number))
    view = source.locator(".page-view")
    expect(view).to_have_attribute("data-page", str(page_number))
    image = view.locator("img.page-image")
    expect(image).to_be_visible()
    page.wait_for_function("() => document.querySelector('#source-panel .page-image')?.naturalWidth > 0")
    assert page.evaluate("() => document.querySelector('#source-panel .page-image').naturalWidth") == 1000
    marks = marked_share(page)
    assert marks, "no highlight on the page"
    for x0, y0, x1, y1 in marks:  # the quoted paragraph: below the heading, inside the text block
        assert 0.03 < x0 < x1 < 0.97 and 0.25 < y0 < y1 < 0.6, marks
    expect(view).to_contain_text("OCR" if locale == "en-US" else "图像识别")
    expect(page.locator(".toast")).to_have_count(0)
    screenshot(page, f"page-view-{locale}")
