"""Tables on scanned pages (issue 18): found from where the OCR engine read each piece, into the
table store, answered from their cells with the page cited, and boxed on the page like text.

The end-to-end test scans a Chinese statement ruled as a grid (one label wrapped in its cell) and an
English one ruled only above, under its header and below (三线表), typeset with PyMuPDF, rendered
and rebuilt as an image-only PDF (tests/scans.py); the others give :func:`ocr_tables` pieces as an
engine would, and :func:`horizontal_rules` drawn pixels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pymupdf
import pytest
from page_words import words_in
from scans import scanned_pdf

from ragkb import KBSettings, KnowledgeBase, Settings
from ragkb.answer.answering import Answerer
from ragkb.extras import installed
from ragkb.index.tables import TableStore
from ragkb.ingest.ocr import OcrLine, OcrPage
from ragkb.ingest.ocr_rules import horizontal_rules
from ragkb.ingest.ocr_tables import ocr_tables

needs_rapidocr = pytest.mark.skipif(not installed("rapidocr"), reason="the [ocr] extra (rapidocr) is not installed")

WRAPPED = "归属于上市公司股东的扣除非经常性损益的净利润"
ZH_ROWS = [
    ("项目", "2022年度", "2021年度"),
    ("营业收入", "1,232,616,571.99", "913,065,948.89"),
    ("营业成本", "801,214,000.50", "612,000,123.00"),
    (WRAPPED, "129,188,735.59", "106,364,953.59"),
]
EN_ROWS = [
    ("Item", "2022", "2021"),
    ("Operating revenue", "52,310.25", "48,120.00"),
    ("Operating costs", "31,004.10", "29,876.55"),
    ("Net profit", "8,765.43", "7,001.20"),
]
DPI = 100


def _zh_page(document: pymupdf.Document) -> pymupdf.Page:
    page = document.new_page(width=420, height=320)
    page.insert_text((30, 30), "星海科技股份有限公司 2022年年度报告", fontname="china-s", fontsize=9)
    page.insert_text((30, 58), "合并利润表", fontname="china-s", fontsize=14)
    page.insert_text((30, 78), "单位：元", fontname="china-s", fontsize=9)
    y = 88.0
    for row in ZH_ROWS:
        height = 36 if row[0] == WRAPPED else 24
        x = 30.0
        for column, (cell, width) in enumerate(zip(row, (130, 115, 115), strict=True)):
            page.draw_rect(pymupdf.Rect(x, y, x + width, y + height), color=(0, 0, 0), width=0.6)
            if column and cell[0].isdigit() and "年" not in cell:  # numbers right-aligned, in the middle of the cell
                page.insert_text(
                    (x + width - 5 - pymupdf.get_text_length(cell, fontsize=10), y + height / 2 + 4), cell, fontsize=10
                )
            elif height > 24:  # the label wrapped onto two lines of its cell
                page.insert_text((x + 5, y + 15), cell[:11], fontname="china-s", fontsize=10)
                page.insert_text((x + 5, y + 29), cell[11:], fontname="china-s", fontsize=10)
            else:
                page.insert_text((x + 5, y + 16), cell, fontname="china-s", fontsize=10)
            x += width
        y += height
    page.insert_text((30, y + 26), "营业收入增长主要由于新产品上市。", fontname="china-s", fontsize=10)
    return page


def en_page(document: pymupdf.Document) -> pymupdf.Page:
    page = document.new_page(width=420, height=320)
    page.insert_text((30, 30), "Bluecrest Software Inc. 2022 Annual Report", fontsize=9)
    page.insert_text((30, 58), "Consolidated Income Statement", fontname="hebo", fontsize=14)
    page.insert_text((30, 78), "Unit: RMB10,000", fontsize=9)
    y = 102.0
    page.draw_line((28, 88), (385, 88), width=0.8)
    for number, row in enumerate(EN_ROWS):
        page.insert_text((30, y), row[0], fontsize=10)
        for cell, right in zip(row[1:], (270, 380), strict=True):
            page.insert_text((right - pymupdf.get_text_length(cell, fontsize=10), y), cell, fontsize=10)
        if number == 0:
            page.draw_line((28, y + 7), (385, y + 7), width=0.5)
        y += 20
    page.draw_line((28, y - 12), (385, y - 12), width=0.8)
    page.insert_text((30, y + 20), "Revenue grew on new product sales.", fontsize=10)
    return page


def statements_scan(path: Path) -> Path:
    with pymupdf.open() as document:
        images = [make(document).get_pixmap(dpi=DPI, colorspace=pymupdf.csRGB, alpha=False) for make in (_zh_page, en_page)]
    return scanned_pdf(path, images, DPI)


@pytest.mark.slow  # OCR of two pages
@needs_rapidocr
def test_tables_on_scanned_pages_reach_the_table_store_answers_and_page_boxes(tmp_path: Path, settings: Settings) -> None:
    path = statements_scan(tmp_path / "docs" / "statements.pdf")
    with pymupdf.open(path) as document:
        assert all(not page.get_text().strip() for page in document)  # no text layer at all
    kb = KnowledgeBase.create("scans", kb_settings=KBSettings(embedder="none"), settings=settings)
    report = kb.add([path])
    assert not report.failed
    store = TableStore()
    with kb.catalog.session() as session:
        tables = store.tables(session, kb.id)
        cells = store.cells(session, kb.id)
    assert [(table.title, table.page, table.unit) for table in tables] == [
        ("合并利润表", 1, "元"),
        ("Consolidated Income Statement", 2, "万元"),
    ]
    read = {(cell.page, cell.row_label, cell.column_header): cell.raw_text for cell in cells}
    expected = {
        (page, label, header): value
        for page, rows in ((1, ZH_ROWS), (2, EN_ROWS))
        for label, *values in rows[1:]
        for header, value in zip(rows[0][1:], values, strict=True)
    }
    assert read == expected  # every cell, the wrapped label whole, no caption or paragraph in a table
    revenue = next(cell for cell in cells if cell.row_label == "Operating revenue" and cell.year == 2022)
    assert revenue.value == 523102500.0  # 52,310.25 in RMB10,000

    answer = Answerer(kb).ask("2022年星海科技的营业收入是多少元？")
    assert answer.route == "table" and "1,232,616,571.99 元" in answer.answer
    assert [(Path(c.file).name, c.page, c.cell.row_label) for c in answer.citations if c.cell] == [
        ("statements.pdf", 1, "营业收入")
    ]
    [cited] = [c for c in answer.citations if c.cell]  # the cell marked where OCR read it: the page drawn again has it there
    assert cited.file_id == kb.files()[0].id and [box.page for box in cited.boxes] == [1]
    with pymupdf.open() as document:
        assert words_in(_zh_page(document), cited.boxes[0]) == ["1,232,616,571.99"]
    answer = Answerer(kb).ask("What was the net profit of Bluecrest Software in 2021?")
    assert "7,001.20" in answer.answer or "70,012,000" in answer.answer
    assert [(c.page, c.cell.row_label, c.cell.column_header) for c in answer.citations if c.cell] == [(2, "Net profit", "2021")]

    [hit] = kb.search("营业成本 801,214,000.50", k=1)  # the table's chunk, boxed where the table is on the scan
    assert hit.page == 1 and "| 营业成本 | 801,214,000.50 | 612,000,123.00 |" in hit.text and hit.section == ["合并利润表"]
    table_boxes = [box for box in hit.boxes if box.page == 1 and box.ocr and box.y1 - box.y0 > 0.3]
    assert table_boxes and all(0.05 < box.x0 < 0.1 and 0.85 < box.x1 < 0.95 and box.y0 > 0.25 for box in table_boxes)
    [prose] = kb.search("Revenue grew on new product sales", k=1)
    assert prose.section == ["Consolidated Income Statement"]  # a heading by its size, as on a text page
    assert prose.page == 2 and prose.text.endswith("| Net profit | 8,765.43 | 7,001.20 |\nRevenue grew on new product sales.")


def _piece(text: str, x0: float, y0: float, x1: float, height: float = 12.0) -> OcrLine:
    return OcrLine(text, (x0, y0, x1, y0 + height))


def _page(pieces: list[OcrLine], rules: list[tuple[float, float, float]] | None = None) -> OcrPage:
    return OcrPage(pieces, 0, 600, 800, pymupdf.Matrix(1, 0, 0, 1, 0, 0), "test", rules or [])


def test_an_unruled_table_with_a_section_row_a_wrapped_label_and_centred_titles() -> None:
    pieces = [
        _piece("Balance Sheet", 50, 40, 200, 16),
        _piece("Item", 110, 80, 140),
        _piece("December 31, 2022", 300, 80, 400),  # a title wider than its numbers, centred over them
        _piece("December 31, 2021", 430, 80, 530),
        _piece("Current assets:", 50, 100, 140),
        _piece("Monetary funds", 60, 120, 150),
        _piece("17,275.07", 370, 120, 420),
        _piece("16,527.75", 490, 120, 540),
        _piece("Held-for-trading financial assets at fair", 60, 140, 260),
        _piece("1,000.00", 375, 140, 420),
        _piece("-", 530, 140, 540),
        _piece("value through profit or loss", 60, 151, 200),  # the label's wrapped line, closer than rows are
        _piece("Notes receivable", 60, 180, 160),
        _piece("2,773.75", 380, 180, 420),
        _piece("2,979.39", 500, 180, 540),
        _piece("These notes are an integral part of the financial statements, signed by the board.", 50, 230, 540),
    ]
    [table] = ocr_tables(_page(pieces))
    assert table.rows == [
        ["Item", "December 31, 2022", "December 31, 2021"],
        ["Current assets:", "", ""],
        ["Monetary funds", "17,275.07", "16,527.75"],
        ["Held-for-trading financial assets at fair value through profit or loss", "1,000.00", "-"],
        ["Notes receivable", "2,773.75", "2,979.39"],
    ]
    assert (table.rect.y0, table.rect.y1) == (80, 192)  # neither the title above nor the note below


def test_a_ruled_table_joins_the_lines_between_two_rules_into_one_row() -> None:
    pieces = [
        _piece("项目", 60, 62, 90),
        _piece("本期", 300, 62, 340),
        _piece("上期", 420, 62, 460),
        _piece("营业收入", 60, 92, 110),
        _piece("100.00", 300, 92, 340),
        _piece("90.00", 425, 92, 460),
        _piece("计入当期损益的政府补助（与公司正常", 60, 120, 250),
        _piece("50.00", 305, 126, 340),  # set between the label's two lines
        _piece("40.00", 425, 126, 460),
        _piece("经营业务密切相关的除外）", 60, 132, 200),
        _piece("合计", 60, 160, 90),
        _piece("150.00", 300, 160, 340),
        _piece("130.00", 420, 160, 460),
    ]
    rules = [(y, 50.0, 470.0) for y in (58, 78, 88, 115, 150, 176)]
    [table] = ocr_tables(_page(pieces, rules))
    assert table.rows == [
        ["项目", "本期", "上期"],
        ["营业收入", "100.00", "90.00"],
        ["计入当期损益的政府补助（与公司正常经营业务密切相关的除外）", "50.00", "40.00"],
        ["合计", "150.00", "130.00"],
    ]


def test_a_ruled_table_of_words_with_a_cell_wrapped_onto_a_second_line() -> None:
    rows = [
        ("Term", "Definition", 100),
        ("The Company", "Clearwater Foods Co., Ltd.", 130),
        ("CSRC", "China Securities Regulatory Commission", 160),
    ]
    pieces = []
    for label, definition, top in rows:
        pieces += [
            _piece(label, 60, top, 60 + 6 * len(label)),
            _piece("refers", 200, top - 4, 230),
            _piece(definition, 240, top, 240 + 5 * len(definition)),
        ]
        pieces.append(_piece("to", 208, top + 6, 222))  # the middle cell's second line
    rules = [(y, 55.0, 500.0) for y in (95, 124, 154, 184)]
    [table] = ocr_tables(_page(pieces, rules))
    assert table.rows == [[label, "refers to", definition] for label, definition, _ in rows]
    assert ocr_tables(_page(pieces)) == []  # unruled, words in columns are no table: nothing says so


def test_prose_and_a_list_with_page_numbers_are_no_tables() -> None:
    prose = [
        _piece(f"Line {number} of a paragraph that runs across the page, 2022 and 2021.", 50, 40 + 14 * number, 540)
        for number in range(8)
    ]
    contents = [
        piece
        for number in range(6)
        for piece in (
            _piece(f"Section {number}", 50, 200 + 16 * number, 150),
            _piece(str(3 + number), 520, 200 + 16 * number, 530),
        )
    ]
    assert ocr_tables(_page(prose + contents)) == []


def test_horizontal_rules_are_long_thin_runs_of_ink() -> None:
    image = np.full((400, 600, 3), 255, dtype=np.uint8)
    image[100:102, 50:550] = 0  # a rule, two pixels thick
    image[200, 40:300] = 0
    image[201, 300:560] = 0  # a rule scanned a little skewed: one pixel row lower halfway
    image[300:340, 50:550] = 90  # a shaded bar: no rule
    image[250:262, 100:130] = 0  # a glyph's strokes: too short
    rules = horizontal_rules(image, scale=0.5)
    assert [(round(y), round(x0), round(x1)) for y, x0, x1 in rules] == [(50, 25, 275), (100, 20, 280)]
