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
from ragkb.catalog.migrate import downgrade_schema, upgrade_schema
from ragkb.config import KBSettings, Settings
from ragkb.index.table_cells import table_cells
from ragkb.index.tables import TableStore
from ragkb.ingest.loaders import load
from ragkb.ingest.report import report_company, report_year
from ragkb.models import Block, ExtractedTable, ParsedDocument
from ragkb.tables.companies import Company
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
    downgrade_schema(engine, "0004")
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
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one() >= "0005"
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


# --- reading misses seen on the annual-report set ------------------------------------------------


def _grid(page: pymupdf.Page, top: float, rows: list[tuple[str, ...]], widths: tuple[float, ...] = WIDTHS) -> float:
    """A ruled table in Helvetica from ``top``; returns its bottom."""
    for cells in rows:
        x = LEFT
        for cell, width in zip(cells, widths, strict=True):
            page.draw_rect(pymupdf.Rect(x, top, x + width, top + 18), color=(0, 0, 0), width=0.5)
            left = x + 4 if x == LEFT else x + width - 4 - pymupdf.get_text_length(cell, fontsize=8)
            page.insert_text((left, top + 12), cell, fontsize=8)
            x += width
        top += 18
    return top


def _lines(page: pymupdf.Page, top: float, texts: list[str]) -> float:
    """Lines of text, a heading (bold) first."""
    for number, line in enumerate(texts):
        top += 16
        page.insert_text((LEFT, top), line, fontsize=9, fontname="hebo" if number == 0 else "helv")
    return top + 6


def test_an_english_statement_in_ten_thousands_under_a_long_title(tmp_path: Path) -> None:
    """The unit line "Unit: RMB10,000" scales the values; a title longer than other titles still
    names its statement; a table's caption is the text between it and the table above."""
    document = pymupdf.open()
    page = document.new_page()
    top = _lines(page, 40, ["V. Key Financial Indicators by Quarter", "Unit: RMB"])
    top = _grid(page, top, [("", "Q1", "Q2"), ("Operating revenue", "1,373,090.00", "1,358,686.00")])
    top = _lines(page, top, ["VI. Non-recurring Gains and Losses"])
    top = _grid(page, top, [("Item", "Amount in 2022", "Amount in 2021"), ("Government grants", "1,612.98", "2,865.87")])
    title = "4. Income Statement of the Parent Company"
    assert len(title) > 40
    top = _lines(page, top, [title, "Prepared by: Bluecrest Software Inc.", "Unit: RMB10,000"])
    _grid(page, top, [("Item", "2022", "2021"), ("I. Total operating revenue", "230,307.42", "235,755.00")])
    document.save(tmp_path / "en.pdf")
    quarters, gains, statement = load(tmp_path / "en.pdf").tables
    assert (quarters.title, quarters.unit) == ("V. Key Financial Indicators by Quarter", "Unit: RMB")
    assert (gains.title, gains.unit) == ("VI. Non-recurring Gains and Losses", "")  # not the quarterly table's
    assert (statement.title, statement.unit) == (title, "Unit: RMB10,000")
    revenue = [cell for cell in table_cells(statement, 2022) if cell.metric == "revenue"]
    assert [(cell.year, cell.value, cell.unit) for cell in revenue] == [(2022, 2303074200.0, "元"), (2021, 2357550000.0, "元")]


def test_a_rule_table_whose_labels_mostly_wrap(tmp_path: Path) -> None:
    """三线表 where most labels wrap onto two or three lines, each row's numbers on its middle line:
    the gaps between a label's lines are most of the gaps, and are still no rows."""
    document = pymupdf.open()
    page = document.new_page()
    size, line, pad = 8.5, 8.5 * 1.3, 3.5
    rows = [
        (["Operating revenue (RMB)"], "1,920,179,969.47", "1,638,764,691.88"),
        (["Net profit attributable to", "shareholders of the listed company", "(RMB)"], "116,233,872.00", "(14,321,707.42)"),
        (["Net profit attributable to", "shareholders of the listed company after", "deducting non-recurring gains and", "losses (RMB)"], "106,186,973.08", "(22,857,043.07)"),
        (["Net cash flows from operating", "activities (RMB)"], "160,416,249.43", "(62,203,850.31)"),
        (["Basic earnings per share", "(RMB/share)"], "0.91", "(0.11)"),
    ]  # fmt: skip
    top = 100.0
    page.draw_line((LEFT, top), (540, top), width=0.9)
    page.insert_text((300, top + 12), "2022", fontsize=size)
    page.insert_text((440, top + 12), "2021", fontsize=size)
    top += line + 2 * pad
    page.draw_line((LEFT, top), (540, top), width=0.5)
    for labels, *values in rows:
        height = len(labels) * line + 2 * pad
        first = top + (height - len(labels) * line) / 2 + size
        for number, label in enumerate(labels):
            page.insert_text((LEFT + 3.5, first + number * line), label, fontsize=size)
        middle = top + (height - line) / 2 + size
        for right, value in zip((380, 520), values, strict=True):
            page.insert_text((right - pymupdf.get_text_length(value, fontsize=size), middle), value, fontsize=size)
        top += height
    page.draw_line((LEFT, top), (540, top), width=0.9)
    document.save(tmp_path / "rules.pdf")
    [table] = load(tmp_path / "rules.pdf").tables
    assert table.header == ["", "2022", "2021"]
    assert table.rows == [[" ".join(labels), *values] for labels, *values in rows]


def test_the_company_is_read_from_a_table_with_an_empty_column() -> None:
    info = ExtractedTable(
        ["Stock short name", "", "Westmere Materials"],
        [["Stock code", "", "600534"], ["Company name", "", "Westmere Materials Holdings Ltd."]],
        page=3,
    )
    document = ParsedDocument([Block("Westmere Materials Holdings Ltd. 2022 Annual Report", page=1)], "test", tables=[info])
    company = report_company(document)
    assert company is not None
    assert (company.name, company.short_names, company.code) == (
        "Westmere Materials Holdings Ltd.",
        ["Westmere Materials"],
        "600534",
    )
    assert report_year(document) == 2022
    named_only = ParsedDocument([Block("Westmere Materials Holdings Ltd.", page=1)], "test")
    assert report_company(named_only) == Company(name="Westmere Materials Holdings Ltd.")


def test_a_row_names_no_metric_of_another_statement() -> None:
    """A row "Minority interests" in a balance sheet is the minority's equity, not its share of profit."""
    balance = ExtractedTable(
        ["Item", "December 31, 2022"], [["Minority interests", "34,168,311.28"]], title="Consolidated Balance Sheet"
    )
    income = ExtractedTable(["Item", "2022"], [["Minority interests", "4,591,760.36"]], title="Consolidated Income Statement")
    untitled = ExtractedTable(["Item", "2022"], [["Minority interests", "4,591,760.36"]])
    assert [cell.metric for cell in table_cells(balance, 2022)] == [None]
    assert [cell.metric for cell in table_cells(income, 2022)] == ["minority_profit"]
    assert [cell.metric for cell in table_cells(untitled, 2022)] == ["minority_profit"]
