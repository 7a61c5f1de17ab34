"""The page behind a citation over HTTP (issue 18): page images of PDF and image files, the original
file, their keys and limits, over a real server on 127.0.0.1. The PDFs have a text layer; one PNG is
read by OCR (tests/test_ocr.py reads more scans)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pymupdf
import pytest
from scans import PAGES, page_images
from server_live import live_server
from support import write

from ragkb.config import KBSettings, Settings
from ragkb.extras import installed
from ragkb.kb import KnowledgeBase
from ragkb.server.keys import KeyStore
from ragkb.server.routers.pages import MAX_HEIGHT, MAX_WIDTH


@pytest.fixture
def served(settings: Settings, tmp_path: Path) -> Iterator[tuple[httpx.Client, KnowledgeBase, dict[str, int]]]:
    docs = tmp_path / "docs"
    pdf = docs / "manuals" / "router.pdf"
    pdf.parent.mkdir(parents=True)
    with pymupdf.open() as document:
        for number in (1, 2):
            page = document.new_page(width=300, height=400)
            page.insert_text((40, 60), f"Router manual page {number}", fontsize=16)
            page.insert_text(
                (40, 100), "Hold the reset button for ten seconds." if number == 2 else "Unpack the router.", fontsize=11
            )
        document.save(pdf)
    write(docs / "notes.md", "# Notes\n\nThe router's admin password is on its label.\n")
    write(docs / "page.html", "<html><body><p>Routers ship with a quick start guide.</p></body></html>")
    kb = KnowledgeBase.create("manuals", kb_settings=KBSettings(embedder="none"), settings=settings)
    kb.add([docs])
    ids = {Path(info.path).name: info.id for info in kb.files()}
    with live_server(settings) as url, httpx.Client(base_url=url, timeout=60) as client:
        yield client, kb, ids


def test_a_pdf_page_is_a_png_of_the_asked_width_with_the_hits_boxes_on_it(served) -> None:
    client, _, ids = served
    [hit] = client.post("/api/kbs/manuals/search", json={"query": "reset button", "k": 1}).json()["hits"]
    assert hit["file"] == "manuals/router.pdf"  # relative to the folder it was added from, never the server's path
    assert hit["file_id"] == ids["router.pdf"] and hit["page"] == 2
    [line] = [box for box in hit["boxes"] if box["y0"] * 400 < 100 < box["y1"] * 400]  # the line at y = 100 pt
    assert line["page"] == 2 and 40 / 300 - 0.01 < line["x0"] < line["x1"] < 1
    response = client.get(f"/api/kbs/manuals/files/{hit['file_id']}/pages/2.png", params={"width": 600})
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    image = pymupdf.Pixmap(response.content)
    assert (image.width, image.height) == (600, 800)
    # Dark pixels (text) are where the box says the line is.
    x = int((line["x0"] + 0.02) * image.width)
    column = [image.pixel(x + dx, y)[0] for dx in range(40) for y in range(int(line["y0"] * 800), int(line["y1"] * 800))]
    assert min(column) < 100
    default = pymupdf.Pixmap(client.get(f"/api/kbs/manuals/files/{hit['file_id']}/pages/1.png").content)
    assert default.width == 1200


def test_page_requests_that_cannot_be_served_say_why(served) -> None:
    client, _, ids = served
    pdf, notes = ids["router.pdf"], ids["notes.md"]
    out_of_range = client.get(f"/api/kbs/manuals/files/{pdf}/pages/3.png")
    assert out_of_range.status_code == 404 and out_of_range.json()["detail"] == (
        "manuals/router.pdf has 2 page(s); ask for page 1 to 2"
    )
    not_paged = client.get(f"/api/kbs/manuals/files/{notes}/pages/1.png")
    assert (
        not_paged.status_code == 415
        and "notes.md is a .md file: only PDF and image files have pages" in not_paged.json()["detail"]
    )
    too_wide = client.get(f"/api/kbs/manuals/files/{pdf}/pages/1.png", params={"width": MAX_WIDTH + 1})
    assert too_wide.status_code == 422 and "width" in too_wide.json()["detail"]
    assert client.get(f"/api/kbs/manuals/files/{pdf}/pages/0.png").status_code == 422
    assert client.get("/api/kbs/manuals/files/9999/pages/1.png").status_code == 404
    assert client.get(f"/api/kbs/nope/files/{pdf}/pages/1.png").status_code == 404


def test_a_tall_page_is_drawn_no_taller_than_the_limit(settings: Settings, tmp_path: Path) -> None:
    receipt = tmp_path / "receipt.pdf"
    with pymupdf.open() as document:
        document.new_page(width=100, height=2000).insert_text((10, 40), "Total: 42 yuan for a very long receipt.", fontsize=8)
        document.save(receipt)
    kb = KnowledgeBase.create("receipts", kb_settings=KBSettings(embedder="none"), settings=settings)
    kb.add([receipt])
    with live_server(settings) as url:
        response = httpx.get(f"{url}/api/kbs/receipts/files/{kb.files()[0].id}/pages/1.png", params={"width": 2000}, timeout=60)
    image = pymupdf.Pixmap(response.content)
    assert image.height == MAX_HEIGHT and image.width == 150


def test_the_original_file_is_sent_inline_for_a_pdf_and_as_an_attachment_otherwise(served) -> None:
    client, _, ids = served
    pdf = client.get(f"/api/kbs/manuals/files/{ids['router.pdf']}/original")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith('inline; filename="router.pdf"')
    html = client.get(f"/api/kbs/manuals/files/{ids['page.html']}/original")
    assert html.headers["content-disposition"].startswith("attachment")
    assert html.headers["content-type"] == "application/octet-stream" and html.headers["content-security-policy"].startswith(
        "sandbox"
    )


def test_page_images_need_a_key_that_may_use_the_kb(served, settings: Settings) -> None:
    client, _, ids = served
    keys = KeyStore.for_settings(settings)
    other = keys.create("other", ["hr"])
    mine = keys.create("mine", ["manuals"])
    path = f"/api/kbs/manuals/files/{ids['router.pdf']}/pages/1.png"
    assert client.get(path).status_code == 401  # keys exist: loopback needs one too
    assert client.get(path, headers={"Authorization": f"Bearer {other}"}).status_code == 403
    assert client.get(path, headers={"Authorization": f"Bearer {mine}"}).status_code == 200
    original = f"/api/kbs/manuals/files/{ids['router.pdf']}/original"
    assert client.get(original).status_code == 401
    assert client.get(original, headers={"Authorization": f"Bearer {mine}"}).status_code == 200


@pytest.mark.skipif(not installed("rapidocr"), reason="the [ocr] extra (rapidocr) is not installed")
def test_an_image_file_is_its_one_page(settings: Settings, tmp_path: Path) -> None:
    [image] = page_images([PAGES["en"]])
    image.save(tmp_path / "manual.png")
    kb = KnowledgeBase.create("photos", kb_settings=KBSettings(embedder="none"), settings=settings)
    kb.add([tmp_path / "manual.png"])
    file_id = kb.files()[0].id
    with live_server(settings) as url, httpx.Client(base_url=url, timeout=60) as client:
        drawn = pymupdf.Pixmap(client.get(f"/api/kbs/photos/files/{file_id}/pages/1.png", params={"width": 292}).content)
        assert drawn.width == 292 and abs(drawn.height - 292 * image.height / image.width) <= 1
        second = client.get(f"/api/kbs/photos/files/{file_id}/pages/2.png")
        assert second.status_code == 404 and second.json()["detail"] == "manual.png has 1 page(s); ask for page 1 to 1"
        original = client.get(f"/api/kbs/photos/files/{file_id}/original")
        assert original.headers["content-type"] == "image/png" and original.content == (tmp_path / "manual.png").read_bytes()
