"""A number answered from a table cites its cell with the file's id and the cell's box on the page,
so that the page opens with the cell marked (web/pageview.js): on a text-layer PDF, including a
table continued on the next page, and for cells stored before their boxes were (no box, the page
still named); a table ruled only by horizontal lines has its cells' boxes too. (A scanned page's:
tests/test_ocr_tables.py.)"""

from __future__ import annotations

from pathlib import Path

import pymupdf
from page_words import words_in
from sqlalchemy import update
from test_ocr_tables import EN_ROWS, en_page
from test_tables_ingest import statement_pdf

from ragkb import KBSettings, KnowledgeBase, Settings
from ragkb.answer.answering import Answerer
from ragkb.catalog.schema import TableCellRow
from ragkb.ingest.loaders import load
from ragkb.models import Citation, PageBox


def printed_in(path: Path, box: PageBox) -> list[str]:
    with pymupdf.open(path) as document:
        return words_in(document[box.page - 1], box)


def cell_citation(kb: KnowledgeBase, question: str) -> Citation:
    answer = Answerer(kb).ask(question)
    assert answer.route == "table", answer.answer
    [citation] = [c for c in answer.citations if c.cell]
    return citation


def test_a_cited_cell_carries_its_file_and_its_box_on_the_page(tmp_path: Path, settings: Settings) -> None:
    path = statement_pdf(tmp_path / "report.pdf")
    kb = KnowledgeBase.create("cells", kb_settings=KBSettings(embedder="none"), settings=settings)
    assert not kb.add([path]).failed
    [file] = kb.files()

    revenue = cell_citation(kb, "2022年星海科技的营业收入是多少元？")
    assert revenue.file_id == file.id and revenue.page == 1
    [box] = revenue.boxes
    assert box.page == 1 and printed_in(path, box) == ["1,232,616,571.99"]  # the cell's number, not its row's other one

    profit = cell_citation(kb, "2021年星海科技的净利润是多少元？")  # in the rows the table goes on with on page 2
    [box] = profit.boxes
    assert profit.page == box.page == 2 and printed_in(path, box) == ["99,000,000.00"]

    with kb.catalog.session() as session:  # as stored before table_cell.boxes
        session.execute(update(TableCellRow).values(boxes=None))
        session.commit()
    old = cell_citation(kb, "2022年星海科技的营业收入是多少元？")
    assert (old.file_id, old.page, old.boxes) == (file.id, 1, [])


def test_a_table_ruled_by_horizontal_lines_only_places_each_cell(tmp_path: Path) -> None:
    path = tmp_path / "rules.pdf"
    with pymupdf.open() as document:
        en_page(document)
        document.save(path)
    [table] = load(path).tables
    assert table.rows == [list(row) for row in EN_ROWS[1:]]
    with pymupdf.open(path) as document:
        for row, boxes in zip(table.rows, table.cell_boxes, strict=True):
            for text, box in zip(row, boxes, strict=True):
                assert box is not None
                x0, y0, x1, y1 = box
                assert words_in(document[0], PageBox(page=1, x0=x0, y0=y0, x1=x1, y1=y1, start=0, end=0)) == text.split()
