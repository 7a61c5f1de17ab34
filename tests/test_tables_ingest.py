"""Tables found at ingest become rows of the table store (issue 15): PDF cells read as the page's
text, tables continued over pages, wrapped labels, docx/xlsx/csv/html tables; the store's
migration; rows deleted with their file and KB; running headers and footers out of chunks; the
layout export."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import docx
import pymupdf
import pytest
from openpyxl import Workbook
from sqlalchemy import create_engine, inspect, text
from stores import BACKENDS, backend_url, postgres_database
from support import write

from ragkb import KnowledgeBase
from ragkb.catalog.migrate import upgrade_schema
from ragkb.config import KBSettings, Settings
from ragkb.index.tables import TableStore
from ragkb.ingest.loaders import load
from ragkb.tables.numbers import parse_number

COMPANY = "星海科技股份有限公司"
LONG_LABEL = "归属于上市公司股东的扣除非经常性损益的净利润"
ROWS = [
    ("营业收入", "1,232,616,571.99", "913,065,948.89"),
    ("营业成本", "(801,214,000.50)", "612,000,123.00"),
    (LONG_LABEL, "129,188,735.59", "106,364,953.59"),
    ("销售费用", "69,832,500.00", "63,417,200.00"),
]
SECOND_PAGE_ROWS = [("研发费用", "88,120,000.10", "70,000,000.00"), ("净利润", "120,000,000.00", "99,000,000.00")]
WIDTHS = (200, 140, 140)
LEFT, ROW_HEIGHT = 60.0, 30.0


class _Page:
    """Draws on one page the way reports made with word processors do: table numbers one
    character at a time, digits in one font and punctuation in another."""

    def __init__(self, document: pymupdf.Document, number: int):
        self.page = document.new_page()
        self.page.insert_text((LEFT, 40), f"{COMPANY} 2022年年度报告", fontname="china-s", fontsize=8)
        self.page.insert_text((280, 810), f"- {number} -", fontsize=8)
        self.y = 80.0

    def line(self, text: str, size: float = 10) -> None:
        self.page.insert_text((LEFT, self.y), text, fontname="china-s", fontsize=size)
        self.y += size * 2

    def row(self, cells: tuple[str, str, str], label_lines: int = 1) -> None:
        height = ROW_HEIGHT * label_lines
        x = LEFT
        for index, (cell, width) in enumerate(zip(cells, WIDTHS, strict=False)):
            self.page.draw_rect(pymupdf.Rect(x, self.y, x + width, self.y + height), color=(0, 0, 0), width=0.5)
            if index == 0:
                parts = (
                    [cell[: len(cell) // label_lines + 1], cell[len(cell) // label_lines + 1 :]] if label_lines > 1 else [cell]
                )
                for number, part in enumerate(parts):
                    self.page.insert_text((x + 4, self.y + 18 + number * ROW_HEIGHT * 0.8), part, fontname="china-s", fontsize=9)
            elif re.fullmatch(r"[\d,.()]+", cell):
                self._number(x + width - 4, self.y + height / 2 + 4, cell)
            else:
                self.page.insert_text((x + 4, self.y + 18), cell, fontname="china-s", fontsize=9)
            x += width
        self.y += height

    def _number(self, right: float, baseline: float, text: str) -> None:
        fonts = ["china-s" if char in ",.()" else "tiro" for char in text]
        x = right - sum(pymupdf.get_text_length(char, fontname=font, fontsize=9) for char, font in zip(text, fonts, strict=False))
        for char, font in zip(text, fonts, strict=False):
            self.page.insert_text((x, baseline), char, fontname=font, fontsize=9)
            x += pymupdf.get_text_length(char, fontname=font, fontsize=9)


def statement_pdf(path: Path) -> Path:
    """A consolidated income statement whose table goes on over the next page (header repeated),
    with a label wrapped onto two lines, and running headers and footers."""
    document = pymupdf.open()
    first = _Page(document, 1)
    first.line("第十节 财务报告", 14)
    first.line("公司名称：星海科技股份有限公司  股票简称：星海科技  股票代码：002715")
    first.line("3、合并利润表", 11)
    first.line("单位：元")
    first.row(("项目", "2022年度", "2021年度"))
    for label, *values in ROWS:
        first.row((label, *values), label_lines=2 if label == LONG_LABEL else 1)
    second = _Page(document, 2)
    second.row(("项目", "2022年度", "2021年度"))
    for cells in SECOND_PAGE_ROWS:
        second.row(cells)
    second.line("")
    second.line("法定代表人：王明  主管会计工作负责人：李华")
    for number in range(3, 5):  # more pages, so that the header and footer are running ones
        _Page(document, number).line(f"第{number}页的正文：公司治理结构完善。")
    document.save(path)
    return path


def test_statement_cells_read_as_the_page_text(tmp_path: Path) -> None:
    path = statement_pdf(tmp_path / "report.pdf")
    with pymupdf.open(path) as document:
        page_text = document[0].get_text()
        scrambled = document[0].find_tables(use_layout=False).tables[0].extract()
    assert "129,188,735.59" in page_text
    assert not any("129,188,735.59" in (cell or "") for row in scrambled for cell in row)  # PyMuPDF's own cell text
    table = load(path).tables[0]
    by_label = {row[0]: row[1:] for row in table.rows}
    assert by_label[LONG_LABEL] == ["129,188,735.59", "106,364,953.59"]
    for label, *values in ROWS:
        assert by_label[label] == values
        for value in values:
            assert value in page_text
    quantity = parse_number(by_label[LONG_LABEL][0])
    assert quantity is not None and float(quantity.base) == 129188735.59
    assert float(parse_number(by_label["营业成本"][0]).base) == -801214000.50


def test_a_table_split_over_two_pages_is_one_table_with_a_wrapped_label(tmp_path: Path) -> None:
    document = load(statement_pdf(tmp_path / "report.pdf"))
    assert len(document.tables) == 1
    table = document.tables[0]
    assert table.header == ["项目", "2022年度", "2021年度"]
    assert [row[0] for row in table.rows] == [label for label, *_ in ROWS + SECOND_PAGE_ROWS]
    assert (table.page, table.page_end) == (1, 2)
    assert table.row_pages == [1] * len(ROWS) + [2] * len(SECOND_PAGE_ROWS)
    assert table.title == "3、合并利润表" and table.unit == "单位：元"


def test_a_table_ruled_only_above_under_its_header_and_below(tmp_path: Path) -> None:
    """三线表: no cell boxes, only three rules; a wrapped label's numbers sit between its two lines."""
    document = pymupdf.open()
    page = document.new_page()
    page.insert_text((LEFT, 60), "合并资产负债表", fontname="china-s", fontsize=11)
    page.insert_text((LEFT, 80), "单位：元", fontname="china-s", fontsize=9)
    rows = [
        ("货币资金", "378,238,750.13", "365,280,270.48"),
        ("流动资产：", "", ""),
        ("应收账款", "(1,234.56)", "232,279,090.01"),
    ]
    rules = [90.0, 110.0]
    y = 110.0
    wrapped = "一年内到期的非流动资产及其他各项需要特别说明的资产"
    for label, *values in [*rows[:2], (wrapped, "12,000.00", "11,000.00"), rows[2]]:
        if label == wrapped:
            page.insert_text((LEFT, y + 12), label[:14], fontname="china-s", fontsize=9)
            page.insert_text((LEFT, y + 23), label[14:], fontname="china-s", fontsize=9)
            baseline, y = y + 17.5, y + 29
        else:
            baseline, y = y + 12.5, y + 18
            page.insert_text((LEFT, baseline), label, fontname="china-s", fontsize=9)
        for right, value in zip((380, 520), values, strict=True):
            if value:
                page.insert_text((right - pymupdf.get_text_length(value, fontsize=9), baseline), value, fontsize=9)
    rules.append(y + 2)
    for x, header in ((LEFT, "项目"), (280, "2022年12月31日"), (420, "2021年12月31日")):
        page.insert_text((x, 104), header, fontname="china-s", fontsize=9)
    for rule in rules:
        page.draw_line((LEFT - 4, rule), (530, rule), width=0.5)
    page.insert_text((LEFT, y + 30), "法定代表人：王明", fontname="china-s", fontsize=9)
    document.save(tmp_path / "rules.pdf")
    [table] = load(tmp_path / "rules.pdf").tables
    assert table.header == ["项目", "2022年12月31日", "2021年12月31日"]
    assert table.rows == [list(rows[0]), list(rows[1]), [wrapped, "12,000.00", "11,000.00"], list(rows[2])]
    assert (table.title, table.unit) == ("合并资产负债表", "单位：元")


def test_running_header_and_footer_stay_out_of_chunks_and_tables(tmp_path: Path, settings: Settings) -> None:
    path = statement_pdf(tmp_path / "report.pdf")
    document = load(path)
    assert {(block.kind, block.text) for block in document.furniture if block.page == 2} == {
        ("header", f"{COMPANY} 2022年年度报告"),
        ("footer", "- 2 -"),
    }
    assert not any("2022年年度报告" in block.text for block in document.blocks)
    kb = KnowledgeBase.create("reports", settings=settings)
    kb.add([path])
    with kb.catalog.session() as session:
        chunks = [row[0] for row in session.execute(text("SELECT text FROM chunk"))]
        cells = TableStore().cells(session, kb.id)
    assert chunks and not any("年年度报告" in chunk or "- 2 -" in chunk for chunk in chunks)
    assert any("129,188,735.59" in chunk for chunk in chunks)  # table chunks keep the right cell text
    assert not any("年年度报告" in cell.raw_text or "年年度报告" in cell.row_label for cell in cells)


def test_pdf_tables_land_in_the_store_with_metrics_years_and_values(tmp_path: Path, settings: Settings) -> None:
    kb = KnowledgeBase.create("reports", settings=settings)
    kb.add([statement_pdf(tmp_path / "report.pdf")])
    store = TableStore()
    with kb.catalog.session() as session:
        revenue = store.cells(session, kb.id, metrics=["revenue"], years=[2022])
        info = store.tables(session, kb.id)
        companies = store.companies(session, kb.id)
        last_year = store.cells(session, kb.id, years=[2021], scope="consolidated")
    assert [(cell.raw_text, cell.value, cell.unit, cell.period, cell.page) for cell in revenue] == [
        ("1,232,616,571.99", 1232616571.99, "元", "this", 1)
    ]
    assert revenue[0].statement == "income_statement" and revenue[0].scope == "consolidated"
    assert revenue[0].company == COMPANY and revenue[0].file.endswith("report.pdf")
    assert [(table.title, table.page, table.page_end, table.unit) for table in info] == [("3、合并利润表", 1, 2, "元")]
    assert [(company.name, company.short_names, company.code) for company in companies] == [(COMPANY, ["星海科技"], "002715")]
    assert {cell.row_label for cell in last_year} == {label for label, *_ in ROWS + SECOND_PAGE_ROWS}
    assert next(cell for cell in last_year if cell.row_label == "研发费用").page == 2


def test_a_file_read_by_an_older_reader_is_read_again_and_gets_its_tables(tmp_path: Path, settings: Settings) -> None:
    kb = KnowledgeBase.create("reports", settings=settings)
    pdf = statement_pdf(tmp_path / "report.pdf")
    kb.add([pdf])
    with kb.catalog.session() as session:  # the KB as the version before the table store left it
        session.execute(text("DELETE FROM table_cell"))
        session.execute(text("DELETE FROM doc_table"))
        session.execute(text("UPDATE knowledge_file SET splitter = 'recursive-heading-v1:800/100'"))
    assert kb.add([pdf]).updated == [str(pdf.resolve())]
    with kb.catalog.session() as session:
        assert [cell.raw_text for cell in TableStore().cells(session, kb.id, metrics=["revenue"], years=[2022])] == [
            "1,232,616,571.99"
        ]
    assert kb.add([pdf]).skipped == [str(pdf.resolve())]  # read by this version: unchanged


def _office_files(folder: Path) -> list[Path]:
    table = [["项目", "2022年", "2021年"], ["营业收入", "1,000.50", "900.00"], ["净利润", "(20.00)", "15.00"]]
    document = docx.Document()
    document.add_paragraph("合并利润表")
    document.add_paragraph("单位：万元")
    grid = document.add_table(rows=3, cols=3)
    for row, values in zip(grid.rows, table, strict=False):
        for cell, value in zip(row.cells, values, strict=False):
            cell.text = value
    document.save(folder / "report.docx")
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "利润表"
    for values in table:
        sheet.append(values)
    workbook.save(folder / "report.xlsx")
    write(folder / "report.csv", "\n".join(",".join(f'"{value}"' for value in values) for values in table) + "\n")
    rows = "".join("<tr>" + "".join(f"<td>{value}</td>" for value in values) + "</tr>" for values in table)
    write(folder / "report.html", f"<html><body><h2>合并利润表</h2><p>单位：万元</p><table>{rows}</table></body></html>")
    return [folder / name for name in ("report.docx", "report.xlsx", "report.csv", "report.html")]


def test_docx_xlsx_csv_and_html_tables_become_rows(tmp_path: Path, settings: Settings) -> None:
    files = _office_files(tmp_path)
    for path in files:
        [table] = load(path).tables
        assert table.header == ["项目", "2022年", "2021年"]
        assert table.rows == [["营业收入", "1,000.50", "900.00"], ["净利润", "(20.00)", "15.00"]]
    kb = KnowledgeBase.create("office", settings=settings)
    kb.add(files)
    with kb.catalog.session() as session:
        revenue = TableStore().cells(session, kb.id, metrics=["revenue"], years=[2022])
    found = {Path(cell.file).suffix: cell.value for cell in revenue}
    assert found == {".docx": 10_005_000.0, ".html": 10_005_000.0, ".xlsx": 1000.5, ".csv": 1000.5}  # 单位：万元 where stated


def _table_rows(kb: KnowledgeBase) -> tuple[int, int]:
    with kb.catalog.session() as session:
        return (
            session.execute(text("SELECT COUNT(*) FROM doc_table")).scalar_one(),
            session.execute(text("SELECT COUNT(*) FROM table_cell")).scalar_one(),
        )


@pytest.fixture(params=BACKENDS)
def store_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    with backend_url(request.param, tmp_path) as url:
        yield Settings(home=tmp_path / "home", database_url=url)


def test_deleting_a_file_or_the_kb_removes_its_table_rows(tmp_path: Path, store_settings: Settings) -> None:
    files = _office_files(tmp_path)
    kb = KnowledgeBase.create("office", kb_settings=KBSettings(embedder="none"), settings=store_settings)
    kb.add(files)
    assert _table_rows(kb) == (4, 16)
    kb.remove([files[0]])
    assert _table_rows(kb) == (3, 12)
    kb.add([files[1]], force=True)  # re-indexing replaces a file's tables
    assert _table_rows(kb) == (3, 12)
    kb.delete()
    assert _table_rows(kb) == (0, 0)


def test_a_migrated_kb_keeps_its_table_store(tmp_path: Path, settings: Settings) -> None:
    kb = KnowledgeBase.create("office", kb_settings=KBSettings(embedder="none"), settings=settings)
    kb.add(_office_files(tmp_path))
    with kb.catalog.session() as session:
        before = [cell.model_dump(exclude={"table_id"}) for cell in TableStore().cells(session, kb.id)]
    moved = kb.migrate(f"sqlite:///{tmp_path / 'other.db'}")
    with moved.catalog.session() as session:
        after = [cell.model_dump(exclude={"table_id"}) for cell in TableStore().cells(session, moved.id)]
    assert len(before) == 16 and after == before


def _downgrade_to_0004(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE table_cell"))
        connection.execute(text("DROP TABLE doc_table"))
        connection.execute(text("UPDATE alembic_version SET version_num = '0004'"))
    engine.dispose()


def _check_upgrade(url: str) -> None:
    upgrade_schema(create_engine(url))
    engine = create_engine(url)
    inspector = inspect(engine)
    assert {"doc_table", "table_cell"} <= set(inspector.get_table_names())
    assert {index["name"] for index in inspector.get_indexes("table_cell")} >= {
        "ix_table_cell_kb_metric_year",
        "ix_table_cell_kb_file",
    }
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0005"
    engine.dispose()


def test_migration_0005_adds_the_table_store_to_a_sqlite_catalog(home: Path, settings: Settings) -> None:
    KnowledgeBase.create("old", settings=settings)
    url = f"sqlite:///{home / 'ragkb.db'}"
    _downgrade_to_0004(url)
    _check_upgrade(url)


def test_migration_0005_on_postgresql() -> None:
    with postgres_database() as url:
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text("CREATE EXTENSION IF NOT EXISTS vector"))
        upgrade_schema(engine)
        engine.dispose()
        _downgrade_to_0004(url)
        _check_upgrade(url)


def test_doc_layout_json(tmp_path: Path, cli_env: dict[str, str]) -> None:
    path = statement_pdf(tmp_path / "report.pdf")
    done = subprocess.run(
        ["ragkb", "doc", "layout", str(path), "--json"], env=cli_env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert all(set(line) == {"page", "row", "type", "content"} for line in lines)
    page_one = [line for line in lines if line["page"] == 1]
    assert [line["row"] for line in page_one] == list(range(1, len(page_one) + 1))
    assert page_one[0] == {"page": 1, "row": 1, "type": "header", "content": f"{COMPANY} 2022年年度报告"}
    assert page_one[-1]["type"] == "footer"
    assert {"page": 1, "row": 2, "type": "title", "content": "第十节 财务报告"} in page_one
    [table] = [line for line in page_one if line["type"] == "table"]
    assert "| 归属于上市公司股东的扣除非经常性损益的净利润 | 129,188,735.59 | 106,364,953.59 |" in table["content"]
    assert {line["type"] for line in lines} == {"header", "footer", "title", "text", "table"}
    missing = subprocess.run(
        ["ragkb", "doc", "layout", str(tmp_path / "none.pdf")], env=cli_env, capture_output=True, text=True, check=False
    )
    assert missing.returncode != 0 and "none.pdf" in missing.stderr and "Traceback" not in missing.stderr


def test_a_line_that_is_all_its_pages_hold_is_content_not_furniture():
    from ragkb.ingest.furniture import running_keys

    header = ("header", 18, "Acme annual report #")
    only = ("header", 18, "Chapter #: the calibration value is #.")
    with_body = [{header}] * 4
    assert running_keys(with_body, [30] * 4) == {header}
    assert running_keys([{only}] * 4, [1] * 4) == set()
