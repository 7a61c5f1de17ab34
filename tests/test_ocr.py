"""OCR of scanned pages and images (issue 18): found by search on the right page, with boxes.

Every OCR here reads one or two small pages rendered at 100 dpi (tests/scans.py): a page takes one
to a few seconds on a shared core.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pymupdf
import pytest
from scans import PAGES, page_images, scanned_pdf, turned

from ragkb import KBSettings, KnowledgeBase, Settings
from ragkb.errors import LoaderError
from ragkb.extras import installed
from ragkb.ingest import ocr
from ragkb.ingest.loaders.image import load_image
from ragkb.ingest.loaders.pdf import load_pdf
from ragkb.ingest.regions import quote_boxes
from ragkb.models import PageBox

needs_rapidocr = pytest.mark.skipif(not installed("rapidocr"), reason="the [ocr] extra (rapidocr) is not installed")


def _kb(settings: Settings) -> KnowledgeBase:
    return KnowledgeBase.create("scans", kb_settings=KBSettings(embedder="none"), settings=settings)


def _inside(box: PageBox, x0: float, y0: float, x1: float, y1: float) -> bool:
    return x0 <= box.x0 < box.x1 <= x1 and y0 <= box.y0 < box.y1 <= y1


@needs_rapidocr
def test_a_scanned_pdf_in_chinese_and_english_is_found_on_the_right_page(tmp_path: Path, settings: Settings, cli_env) -> None:
    path = scanned_pdf(tmp_path / "docs" / "scan.pdf", page_images([PAGES["zh"], PAGES["en"]]))
    with pymupdf.open(path) as document:
        assert all(not page.get_text().strip() for page in document)  # no text layer at all
    kb = _kb(settings)
    report = kb.add([path])
    assert not report.failed and report.chunks >= 2
    [zh] = kb.search("报销申请", k=1)
    assert zh.page == 1 and "三十日内" in zh.text
    [en] = kb.search("reset button", k=1)
    assert en.page == 2 and "power LED blinks orange" in en.text
    assert en.section == ["Router manual"]  # its heading was found by its size, as on a text page
    for hit in (zh, en):
        assert hit.boxes and all(box.ocr and box.page == hit.page for box in hit.boxes)
        assert all(_inside(box, 0.03, 0.2, 0.97, 0.6) for box in hit.boxes)  # the paragraph, below the heading
    [info] = kb.files()
    assert info.ocr_pages == [1, 2]
    shown = subprocess.run(["ragkb", "kb", "show", "scans"], env=cli_env, capture_output=True, text=True, check=True)
    assert "scan.pdf" in shown.stdout and "1-2" in shown.stdout
    listed = json.loads(
        subprocess.run(["ragkb", "kb", "show", "scans", "--json"], env=cli_env, capture_output=True, text=True, check=True).stdout
    )
    assert listed["file_list"][0]["ocr_pages"] == [1, 2]
    asked = subprocess.run(
        ["ragkb", "ask", "出差结束后多久内提交报销申请？", "--kb", "scans", "-g", "extractive", "--json"],
        env=cli_env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    [citation, *_] = json.loads(asked.stdout)["citations"]
    assert citation["page"] == 1 and citation["file_id"] == info.id
    assert citation["boxes"] and all(box["ocr"] and box["page"] == 1 for box in citation["boxes"])


@needs_rapidocr
def test_a_png_image_is_read_and_found(tmp_path: Path, settings: Settings) -> None:
    [image] = page_images([PAGES["en"]])
    path = tmp_path / "manual.png"
    image.save(path)
    kb = _kb(settings)
    assert not kb.add([path]).failed
    [hit] = kb.search("power LED", k=1)
    assert hit.page == 1 and "ten seconds" in hit.text and hit.boxes
    assert kb.files()[0].loader == "image" and kb.files()[0].ocr_pages == [1]


@needs_rapidocr
@pytest.mark.parametrize(
    ("degrees", "where"),
    [
        (90, (0.5, 0.0, 0.8, 1.0)),  # a quarter clockwise: the page's top is on the right, the line runs down
        (180, (0.0, 0.5, 1.0, 0.8)),  # upside down: the line is below the middle
    ],
)
def test_a_page_scanned_turned_is_read_upright_and_boxed_where_it_is_shown(tmp_path: Path, degrees: int, where) -> None:
    [image] = page_images([PAGES["en"]])
    document = load_pdf(scanned_pdf(tmp_path / "turned.pdf", [turned(image, degrees)]))
    assert "Hold the reset button on the back for ten seconds" in document.text
    line = next(region for region in document.regions if region.text.startswith("Hold the reset"))
    low_x, low_y, high_x, high_y = where
    x0, y0, x1, y1 = line.box
    assert low_x <= x0 < x1 <= high_x and low_y <= y0 < y1 <= high_y, line.box


def test_pages_with_a_text_layer_are_not_read_and_garbage_ones_are() -> None:
    with pymupdf.open() as document:
        text = document.new_page()
        text.insert_text((50, 50), "A page with a real text layer that needs no OCR at all.")
        document.new_page()  # blank: nothing to read
        garbage = document.new_page()
        garbage.insert_text((50, 80), "\x01\x02\x03\x04" * 8)  # glyphs that map to no character
        scan = document.new_page()
        [image] = page_images([PAGES["en"]])
        scan.insert_image(scan.rect, pixmap=image)
        assert [ocr.needs_ocr(page) for page in document] == [False, False, True, True]


def test_an_image_without_an_ocr_engine_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    [image] = page_images([PAGES["en"]])
    image.save(tmp_path / "a.png")
    monkeypatch.setenv("RAGKB_OCR", "off")
    with pytest.raises(LoaderError, match=r"a\.png: .*pip install 'ragkb\[ocr\]'"):
        load_image(tmp_path / "a.png")
    monkeypatch.setenv("RAGKB_OCR", "easyocr")
    with pytest.raises(Exception, match="RAGKB_OCR='easyocr' is not an OCR engine"):
        ocr.engine()


@pytest.mark.skipif(not ocr._available("tesseract"), reason="Tesseract (tesseract-ocr, tesseract-ocr-chi-sim) is not installed")
def test_tesseract_reads_a_scanned_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAGKB_OCR", "tesseract")
    document = load_pdf(scanned_pdf(tmp_path / "scan.pdf", page_images([PAGES["en"]], dpi=150), dpi=150))
    assert "reset button" in document.text and "orange" in document.text
    assert all(region.ocr and region.page == 1 for region in document.regions)


def test_a_text_pdf_keeps_each_lines_box(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "policy.pdf"
    with pymupdf.open() as document:
        page = document.new_page(width=400, height=400)
        page.insert_text((40, 60), "Travel policy", fontsize=20)
        page.insert_text((40, 120), "Submit expense claims within thirty days.", fontsize=11)
        page.insert_text((40, 300), "Receipts must be originals.", fontsize=11)
        document.save(path)
    kb = _kb(settings)
    kb.add([path])
    [hit] = kb.search("expense claims", k=1)
    lines = {(round(box.y0 * 400), round(box.y1 * 400)) for box in hit.boxes}
    assert any(y0 < 120 < y1 for y0, y1 in lines) and any(y0 < 300 < y1 for y0, y1 in lines)
    assert not any(box.ocr for box in hit.boxes) and kb.files()[0].ocr_pages == []
    # The quote narrows the boxes to its own line.
    [quoted] = quote_boxes(hit.boxes, hit.text, hit.char_start, "Receipts must be originals.")
    assert quoted.y0 * 400 < 300 < quoted.y1 * 400
