"""Table-of-contents pages in PDFs: kept out of table detection (their right-aligned page and
section numbers once opened the gate and PyMuPDF's layout model on every contents page), each
entry one line of text."""

from __future__ import annotations

from pathlib import Path

import pymupdf
import pytest

from ragkb.ingest.loaders import pdf_tables
from ragkb.ingest.loaders.pdf import load_pdf
from ragkb.ingest.loaders.pdf_contents import contents_lines
from ragkb.ingest.loaders.pdf_text import lines, page_chars

ENTRIES = [
    ("1", "Introduction", 1),
    ("1.1", "Scope of this manual", 2),
    ("1.2", "Conventions", 3),
    ("2", "Installation", 5),
    ("2.1", "Hardware requirements", 6),
    ("2.2", "Network setup", 8),
    ("3", "Administration", 11),
    ("3.1", "Users and groups", 12),
    ("4", "Troubleshooting", 15),
]
ROWS = [
    ("Region", "2021", "2022"),
    ("North", "1,204", "1,388"),
    ("South", "980", "1,015"),
    ("East", "2,310", "2,476"),
    ("West", "744", "802"),
]


def _right(page: pymupdf.Page, right: float, y: float, text: str, size: float = 11) -> None:
    page.insert_text((right - pymupdf.get_text_length(text, fontsize=size), y), text, fontsize=size)


def manual(path: Path, leaders: bool = True) -> Path:
    """Page 1: a contents page (section numbers and page numbers right-aligned, dot leaders or a
    gap between); page 2: a ruled table of sales by region."""
    document = pymupdf.open()
    contents = document.new_page()
    contents.insert_text((72, 72), "Contents", fontsize=18)
    for row, (number, title, page) in enumerate(ENTRIES):
        y = 110 + 22 * row
        _right(contents, 100, y, number)
        contents.insert_text((110, y), title, fontsize=11)
        if leaders:
            start = 115 + pymupdf.get_text_length(title, fontsize=11)
            contents.insert_text((start, y), " ." * int((480 - start) / 5.5), fontsize=11)
        _right(contents, 520, y, str(page))
    table = document.new_page()
    table.insert_text((72, 72), "Sales by region", fontsize=14)
    top, height, widths = 100, 20, [150, 100, 100]
    for r, row in enumerate(ROWS):
        x = 72
        for width, cell in zip(widths, row, strict=True):
            table.draw_rect(pymupdf.Rect(x, top + r * height, x + width, top + (r + 1) * height), width=0.8)
            if cell[0].isdigit() and r:
                _right(table, x + width - 4, top + r * height + 14, cell)
            else:
                table.insert_text((x + 4, top + r * height + 14), cell, fontsize=11)
            x += width
    table.insert_text((72, top + len(ROWS) * height + 30), "Sales grew in every region.", fontsize=11)
    document.save(path)
    return path


@pytest.mark.parametrize("leaders", [True, False], ids=["dot leaders", "gap"])
def test_contents_page_gets_no_table_detection_and_the_table_page_its_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, leaders: bool
) -> None:
    path = manual(tmp_path / "manual.pdf", leaders)
    detected: list[int] = []
    detect = pdf_tables._detect

    def spy(page: pymupdf.Page, use_layout: bool) -> list:
        detected.append(page.number + 1)
        return detect(page, use_layout)

    monkeypatch.setattr(pdf_tables, "_detect", spy)
    document = load_pdf(path)
    assert set(detected) == {2}
    assert [(table.page, table.header, len(table.rows)) for table in document.tables] == [(2, list(ROWS[0]), 4)]
    assert ["North", "1,204", "1,388"] in document.tables[0].rows
    contents = [block for block in document.blocks if block.page == 1]
    assert "2.1 Hardware requirements ... 6" in [block.text for block in contents]
    assert [block.text for block in contents if block.kind == "heading"] == ["Contents"]
    assert not [block for block in contents if block.kind == "table"]


def test_the_gate_still_opens_for_a_column_of_numbers_that_goes_down(tmp_path: Path) -> None:
    """Label, gap, number rows are contents entries only while the numbers never go down the
    page; a table's numbers do, so its columns still open table detection."""
    document = pymupdf.open()
    page = document.new_page()
    for row, (number, label, value) in enumerate(
        [("1", "Oslo", 120), ("2", "Bergen", 95), ("3", "Tromsø", 40), ("4", "Bodø", 12)]
    ):
        y = 100 + 20 * row
        _right(page, 100, y, number)
        page.insert_text((110, y), label, fontsize=11)
        _right(page, 520, y, str(value))
    chars = page_chars(page.get_text("rawdict", flags=pymupdf.TEXTFLAGS_TEXT))
    assert contents_lines(lines(chars)) == set()
    assert pdf_tables.may_hold_table(page, chars)
