"""Loaders on real files written in the test: Word, PDF, Excel, CSV, HTML, Markdown, JSON, text."""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path

import docx
import openpyxl
import pymupdf
import pytest
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from ragkb.errors import LoaderError, UnsupportedFormat
from ragkb.ingest.encoding import decode
from ragkb.ingest.headings import heading_rank
from ragkb.ingest.loaders import load, supported_extensions
from ragkb.ingest.loaders.tabular import ROWS_PER_BLOCK
from ragkb.models import Block


def outline(blocks: list[Block]) -> list[tuple[int, str]]:
    return [(block.level, block.text) for block in blocks if block.kind == "heading"]


def kinds(blocks: list[Block]) -> list[str]:
    return [block.kind for block in blocks]


# --- encodings and plain text -------------------------------------------------------------

REGULATION = """第一章 总则

第一条 为规范公司差旅报销管理，制定本办法。
第二条 本办法适用于全体员工。

第二章 报销标准
第一节 住宿
一、一线城市
住宿标准为每晚五百元。
（一）特殊情况
经部门负责人批准可上浮百分之二十。
第二节 交通
乘坐高铁二等座，姓名含生僻字𠮷的员工须附身份证复印件。
"""


def test_gb18030_text_with_chinese_numbered_headings(tmp_path: Path) -> None:
    path = tmp_path / "差旅办法.txt"
    path.write_bytes(REGULATION.encode("gb18030"))  # 𠮷 is outside GBK: four bytes in GB18030

    document = load(path)

    assert document.loader == "text"
    assert outline(document.blocks) == [
        (1, "第一章 总则"),
        (1, "第二章 报销标准"),
        (2, "第一节 住宿"),
        (3, "一、一线城市"),
        (4, "（一）特殊情况"),
        (2, "第二节 交通"),
    ]
    paragraphs = [block.text for block in document.blocks if block.kind == "paragraph"]
    assert paragraphs[0] == "第一条 为规范公司差旅报销管理，制定本办法。\n第二条 本办法适用于全体员工。"  # articles stay text
    assert paragraphs[-1] == "乘坐高铁二等座，姓名含生僻字𠮷的员工须附身份证复印件。"
    assert all(block.page is None for block in document.blocks)


def test_short_gbk_file_is_decoded_as_chinese(tmp_path: Path) -> None:
    path = tmp_path / "请假.txt"
    path.write_bytes("第一章 年假\n员工每年享有十五天带薪年假。\n第二章 病假\n病假需提供医院证明。\n".encode("gbk"))

    blocks = load(path).blocks

    assert outline(blocks) == [(1, "第一章 年假"), (1, "第二章 病假")]
    assert blocks[-1].text == "病假需提供医院证明。"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("报销办法".encode("gbk"), "报销办法"),  # too short to tell from Big5 or Korean: Simplified Chinese wins
        ("差旅".encode("gb2312"), "差旅"),
        (b"\xef\xbb\xbfhello \xe4\xb8\xad\xe6\x96\x87", "hello 中文"),
        ("UTF-16 文本".encode("utf-16"), "UTF-16 文本"),
        (
            "Привет, как дела? Это обычный текст на русском языке.".encode("cp1251"),
            "Привет, как дела? Это обычный текст на русском языке.",
        ),
    ],
    ids=["gbk-short", "gb2312", "utf8-bom", "utf16-bom", "cp1251"],
)
def test_decode(raw: bytes, expected: str) -> None:
    assert decode(raw, "x.txt") == expected


def test_declared_encoding_is_used_and_gb2312_widened_to_gb18030() -> None:
    assert decode("𠮷野家".encode("gb18030"), "page.html", declared="gb2312") == "𠮷野家"


def test_binary_garbage_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "binary.txt"
    path.write_bytes(bytes(range(256)) * 20)
    with pytest.raises(LoaderError, match=re.escape("binary.txt: looks like binary data, not text")):
        load(path)


def test_control_characters_without_nul_are_refused() -> None:
    with pytest.raises(LoaderError, match="binary"):
        decode(bytes(range(1, 32)) * 10, "x.txt")


def test_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    with pytest.raises(LoaderError, match="empty"):
        load(path)


def test_unsupported_extension(tmp_path: Path) -> None:
    path = tmp_path / "notes.xyz"
    path.write_text("hello")
    with pytest.raises(UnsupportedFormat, match=r"unsupported file type '\.xyz'"):
        load(path)
    assert {".txt", ".md", ".markdown", ".html", ".htm", ".docx", ".pdf", ".csv", ".xlsx", ".json", ".jsonl"} <= set(
        supported_extensions()
    )


def test_lists_and_sentences_are_not_headings(tmp_path: Path) -> None:
    path = tmp_path / "steps.txt"
    path.write_text(
        "1. Overview\nThis guide covers setup.\n\n"
        "1.1 Requirements\nYou need the following:\n"
        "1. A computer\n2. A network cable\n3. Patience\n\n"
        "1.2 Steps\n1. Turn the device off.\nSection 2 of the lease applies.\n"
        "3.5 mm jack is on the left.\n",
        encoding="utf-8",
    )

    blocks = load(path).blocks

    assert outline(blocks) == [(1, "1. Overview"), (2, "1.1 Requirements"), (2, "1.2 Steps")]
    assert "1. A computer\n2. A network cable\n3. Patience" in blocks[3].text


@pytest.mark.parametrize(
    ("line", "rank"),
    [
        ("第十二章 附则", 1),
        ("第3节 范围", 2),
        ("第五条 本办法自发布之日起施行。", None),
        ("三、报销流程", 3),
        ("(二) 材料", 4),
        ("2.3.1 配置", 7),
        ("1.1背景", 6),
        ("Chapter 3: Getting Started", 1),
        ("SECTION IV", 2),
        ("2024.1 发布", None),
        ("一、总则。本办法适用于全体员工", None),
        ("目录 ........ 3", None),
        ("1 Introduction", None),
    ],
)
def test_heading_rank(line: str, rank: int | None) -> None:
    assert heading_rank(line) == rank


# --- Markdown and HTML --------------------------------------------------------------------

MARKDOWN = """---
title: Router manual
tags: [network]
---

Router manual
=============

Intro paragraph with **bold** text.

## Setup `wifi`

- plug in the cable
- press *power*

| Setting | Value |
|---------|-------|
| SSID    | home  |

```bash
ragkb add manual.md
```

Reset
-----

> Hold the reset button for ten seconds.
"""


def test_markdown(tmp_path: Path) -> None:
    path = tmp_path / "manual.md"
    path.write_text(MARKDOWN, encoding="utf-8")

    blocks = load(path).blocks

    assert "tags" not in load(path).text
    assert outline(blocks) == [(1, "Router manual"), (2, "Setup wifi"), (2, "Reset")]
    assert kinds(blocks) == ["heading", "paragraph", "heading", "paragraph", "table", "code", "heading", "paragraph"]
    assert blocks[3].text == "- plug in the cable\n- press *power*"
    assert blocks[4].text.splitlines()[0] == "| Setting | Value |" and "| SSID    | home  |" in blocks[4].text
    assert blocks[5].text == "ragkb add manual.md"
    assert blocks[7].text == "> Hold the reset button for ten seconds."


HTML = """<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>报销</title><style>p { color: red }</style><script>var secret = 1;</script></head>
<body>
<nav><a href="/">首页</a></nav>
<h1>报销办法</h1>
<p>出差人员应在出差结束后
三十日内提交报销申请。</p>
<div>散落的文字<br>第二行</div>
<h3>标准</h3>
<table>
  <tr><th>项目</th><th>标准 | 上限</th></tr>
  <tr><td>住宿</td><td>每晚<br>500元</td></tr>
</table>
<ul><li>发票原件</li><li>行程单</li></ul>
<footer>版权所有</footer>
</body></html>
"""


def test_html_with_declared_gb2312(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_bytes(HTML.encode("gb18030"))

    blocks = load(path).blocks

    assert [(block.kind, block.level, block.text) for block in blocks] == [
        ("heading", 1, "报销办法"),
        ("paragraph", 0, "出差人员应在出差结束后三十日内提交报销申请。"),
        ("paragraph", 0, "散落的文字\n第二行"),
        ("heading", 3, "标准"),
        ("table", 0, "| 项目 | 标准 \\| 上限 |\n| --- | --- |\n| 住宿 | 每晚 500元 |"),
        ("paragraph", 0, "发票原件"),
        ("paragraph", 0, "行程单"),
    ]


# --- Word -----------------------------------------------------------------------------------


def test_docx_headings_tables_and_order(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_heading("员工手册", 0)  # the Title style
    toc = document.styles.add_style("toc 1", WD_STYLE_TYPE.PARAGRAPH)
    document.add_paragraph("第二章 报销\t3", style=toc)  # a table-of-contents entry repeats a heading: skipped
    document.add_heading("Chapter One", 1)
    document.add_paragraph("Welcome to the company.")
    document.add_paragraph("")
    chinese_heading = document.styles.add_style("标题 1", WD_STYLE_TYPE.PARAGRAPH)
    document.add_paragraph("第二章 报销", style=chinese_heading)
    outlined = document.add_paragraph("Travel rules")
    level = OxmlElement("w:outlineLvl")
    level.set(qn("w:val"), "1")
    outlined._p.get_or_add_pPr().append(level)
    document.add_paragraph("一、住宿标准")
    document.add_paragraph("按城市分级。")
    table = document.add_table(rows=3, cols=2)
    for row, values in zip(table.rows, [("城市", "标准"), ("北京", "500"), ("其他", "300 | 含税")], strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    document.add_paragraph("表格之后的段落。")
    path = tmp_path / "handbook.docx"
    document.save(str(path))

    blocks = load(path).blocks

    assert outline(blocks) == [(1, "员工手册"), (2, "Chapter One"), (2, "第二章 报销"), (3, "Travel rules"), (4, "一、住宿标准")]
    assert kinds(blocks) == [
        "heading",
        "heading",
        "paragraph",
        "heading",
        "heading",
        "heading",
        "paragraph",
        "table",
        "paragraph",
    ]
    assert blocks[7].text == "| 城市 | 标准 |\n| --- | --- |\n| 北京 | 500 |\n| 其他 | 300 \\| 含税 |"
    assert blocks[8].text == "表格之后的段落。"


def test_corrupt_and_legacy_docx(tmp_path: Path) -> None:
    corrupt = tmp_path / "broken.docx"
    corrupt.write_bytes(b"PK\x03\x04 not really a zip" + bytes(range(256)))
    with pytest.raises(LoaderError, match=re.escape("broken.docx: cannot parse as .docx")):
        load(corrupt)
    legacy = tmp_path / "old.docx"
    legacy.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    with pytest.raises(LoaderError, match=re.escape("legacy .doc or a password-protected file")):
        load(legacy)


# --- PDF ------------------------------------------------------------------------------------

TABLE_HTML = """<table style="border-collapse: collapse">
<tr><th>项目</th><th>标准</th></tr>
<tr><td>住宿</td><td>500元</td></tr>
<tr><td>餐补</td><td>100元</td></tr>
</table>"""
TABLE_CSS = "td, th { border: 1px solid black; padding: 4px; font-family: sans-serif }"


def write_pdf(path: Path) -> Path:
    document = pymupdf.open()
    first = document.new_page()
    first.insert_text((72, 80), "差旅报销办法", fontname="china-s", fontsize=22)
    first.insert_text((72, 120), "第一章 总则", fontname="china-s", fontsize=16)
    first.insert_text(
        (72, 150), "为规范公司差旅报销管理，提高资金使用效率，保障出差工作顺利开展，", fontname="china-s", fontsize=11
    )
    first.insert_text((72, 165), "特制定本办法。", fontname="china-s", fontsize=11)
    first.insert_text((72, 195), "一、适用范围", fontname="china-s", fontsize=11)
    first.insert_text((72, 215), "本办法适用于公司全体正式员工及实习生。", fontname="china-s", fontsize=11)
    first.insert_text(
        (72, 240), "第一条 本办法所称差旅费包括城际交通费、住宿费、伙食补助费和杂费。", fontname="china-s", fontsize=11
    )
    first.insert_text((72, 255), "第二条 本办法由财务部负责解释。", fontname="china-s", fontsize=11)
    first.insert_text((290, 815), "1", fontsize=9)
    second = document.new_page()
    second.insert_text((72, 80), "第二章 报销标准", fontname="china-s", fontsize=16)
    second.insert_text((72, 110), "各项费用的报销标准如下表所示，超出部分自理。", fontname="china-s", fontsize=11)
    second.insert_htmlbox(pymupdf.Rect(72, 130, 400, 260), TABLE_HTML, css=TABLE_CSS)
    second.insert_text((72, 300), "Approved claims are paid by bank transfer within five working days after", fontsize=11)
    second.insert_text((72, 314), "the finance department receives them.", fontsize=11)
    second.insert_text((72, 815), "Travel policy - Page 2 of 2", fontsize=9)
    document.save(str(path))
    return path


def test_pdf_pages_headings_paragraphs_and_tables(tmp_path: Path) -> None:
    blocks = load(write_pdf(tmp_path / "办法.pdf")).blocks

    assert [(block.kind, block.level, block.page, block.text) for block in blocks] == [
        ("heading", 1, 1, "差旅报销办法"),
        ("heading", 2, 1, "第一章 总则"),
        ("paragraph", 0, 1, "为规范公司差旅报销管理，提高资金使用效率，保障出差工作顺利开展，特制定本办法。"),
        ("heading", 3, 1, "一、适用范围"),
        ("paragraph", 0, 1, "本办法适用于公司全体正式员工及实习生。"),
        ("paragraph", 0, 1, "第一条 本办法所称差旅费包括城际交通费、住宿费、伙食补助费和杂费。"),  # each line a block of its own:
        ("paragraph", 0, 1, "第二条 本办法由财务部负责解释。"),  # paragraphs come from layout and numbering
        ("heading", 2, 2, "第二章 报销标准"),
        ("paragraph", 0, 2, "各项费用的报销标准如下表所示，超出部分自理。"),
        ("table", 0, 2, "| 项目 | 标准 |\n| --- | --- |\n| 住宿 | 500元 |\n| 餐补 | 100元 |"),
        (
            "paragraph",
            0,
            2,
            "Approved claims are paid by bank transfer within five working days after the finance department receives them.",
        ),
    ]


def test_encrypted_pdf_is_refused(tmp_path: Path) -> None:
    source = write_pdf(tmp_path / "plain.pdf")
    path = tmp_path / "secret.pdf"
    with pymupdf.open(source) as document:
        document.save(str(path), encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="user", owner_pw="owner")
    with pytest.raises(LoaderError, match=re.escape("secret.pdf: the PDF is password-protected; decrypt it first")):
        load(path)


def test_corrupt_pdf_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "garbage.pdf"
    path.write_bytes(b"%PDF-1.4 this is not really a pdf \x00\x01\x02" + bytes(range(256)) * 4)
    with pytest.raises(LoaderError, match=re.escape("garbage.pdf")):
        load(path)


def test_pdf_without_text_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    document = pymupdf.open()
    document.new_page().draw_rect(pymupdf.Rect(50, 50, 200, 200))
    document.save(str(path))
    with pytest.raises(LoaderError, match="no text found"):
        load(path)


# --- spreadsheets ---------------------------------------------------------------------------


def test_csv_in_gbk_with_semicolons_is_split_into_tables_with_headers(tmp_path: Path) -> None:
    rows = ["城市;标准;备注"] + [f"城市{i};{100 + i};第{i}行" for i in range(ROWS_PER_BLOCK + 5)]
    path = tmp_path / "标准.csv"
    path.write_bytes("\r\n".join(rows).encode("gbk"))

    blocks = load(path).blocks

    assert kinds(blocks) == ["table", "table"]
    for block in blocks:
        assert block.text.splitlines()[:2] == ["| 城市 | 标准 | 备注 |", "| --- | --- | --- |"]
    assert len(blocks[0].text.splitlines()) == 2 + ROWS_PER_BLOCK
    assert (
        blocks[1].text.splitlines()[-1] == f"| 城市{ROWS_PER_BLOCK + 4} | {100 + ROWS_PER_BLOCK + 4} | 第{ROWS_PER_BLOCK + 4}行 |"
    )


def test_csv_quoted_newlines_and_pipes(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text('name,note\nalpha,"two\nlines"\nbeta,"a | b"\n', encoding="utf-8")
    assert load(path).blocks[0].text == "| name | note |\n| --- | --- |\n| alpha | two lines |\n| beta | a \\| b |"


def test_xlsx_sheets_become_headings_with_tables(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    prices = workbook.active
    prices.title = "价格"
    prices.append(["商品", "价格", "日期"])
    prices.append(["苹果", 3.0, datetime.datetime(2024, 5, 1)])
    prices.append(["梨", 2.5, None])
    workbook.create_sheet("空表")
    stock = workbook.create_sheet("库存")
    stock.append(["商品", "数量"])
    stock.append(["苹果", 12])
    path = tmp_path / "data.xlsx"
    workbook.save(str(path))

    blocks = load(path).blocks

    assert outline(blocks) == [(1, "价格"), (1, "库存")]
    assert blocks[1].text == "| 商品 | 价格 | 日期 |\n| --- | --- | --- |\n| 苹果 | 3 | 2024-05-01 |\n| 梨 | 2.5 |  |"
    assert blocks[3].text == "| 商品 | 数量 |\n| --- | --- |\n| 苹果 | 12 |"


# --- JSON -----------------------------------------------------------------------------------


def test_jsonl_records(tmp_path: Path) -> None:
    records = [
        {"_id": "1", "title": "年假", "text": "员工每年享有十五天带薪年假。"},
        {"question": "How do I reset?", "answer": "Hold the button."},
        {"sku": "A-1", "price": 3, "tags": ["red"]},
    ]
    path = tmp_path / "faq.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n\n", encoding="utf-8")

    blocks = load(path).blocks

    assert [(block.kind, block.text) for block in blocks] == [
        ("heading", "年假"),
        ("paragraph", "员工每年享有十五天带薪年假。"),
        ("heading", "How do I reset?"),
        ("paragraph", "Hold the button."),
        ("paragraph", 'sku: A-1\nprice: 3\ntags: ["red"]'),
    ]


def test_invalid_jsonl_reports_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "ok"}\n{"text": broken}\n', encoding="utf-8")
    with pytest.raises(LoaderError, match=re.escape("bad.jsonl: line 2 is not valid JSON")):
        load(path)


def test_json_document(tmp_path: Path) -> None:
    path = tmp_path / "items.json"
    path.write_text(json.dumps([{"Name": "Router", "Description": "A small router."}, "plain string"]), encoding="utf-8")
    assert [(block.kind, block.text) for block in load(path).blocks] == [
        ("heading", "Router"),
        ("paragraph", "A small router."),
        ("paragraph", "plain string"),
    ]
    broken = tmp_path / "broken.json"
    broken.write_text('{\n  "a": 1,\n  "b": \n}', encoding="utf-8")
    with pytest.raises(LoaderError, match="invalid JSON at line 4"):
        load(broken)


def test_huge_file_is_refused_with_what_to_do(tmp_path: Path, monkeypatch) -> None:
    from ragkb.ingest import loaders

    monkeypatch.setattr(loaders, "MAX_FILE_BYTES", 1024)
    path = tmp_path / "big.txt"
    path.write_text("x " * 2000)
    with pytest.raises(LoaderError, match=r"over the .* limit; split it first"):
        loaders.load(path)
