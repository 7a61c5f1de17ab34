"""A number answered from a table cites its cell with the file's id and the cell's box on the page,
so that the page opens with the cell marked (web/pageview.js): on a text-layer PDF, including a
table continued on the next page, and for cells stored before their boxes were (no box, the page
still named)."""

from __future__ import annotations

from pathlib import Path

import pymupdf
from sqlalchemy import update
from test_tables_ingest import statement_pdf

from ragkb import KBSettings, KnowledgeBase, Settings
from ragkb.answer.answering import Answerer
from ragkb.catalog.schema import TableCellRow
from ragkb.models import Citation, PageBox


def words_in(page: pymupdf.Page, box: PageBox) -> list[str]:
    """The words of ``page`` whose centres lie in ``box`` (fractions of the page as displayed)."""
    area = page.rect
    found = []
    for x0, y0, x1, y1, word, *_ in page.get_text("words"):
        x, y = ((x0 + x1) / 2 - area.x0) / area.width, ((y0 + y1) / 2 - area.y0) / area.height
        if box.x0 <= x <= box.x1 and box.y0 <= y <= box.y1:
            found.append(word)
    return found


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
