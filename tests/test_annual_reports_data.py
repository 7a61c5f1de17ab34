"""The synthetic annual-report set (bench/annual_reports, datasets/annual-reports): the PDFs say what the data says.

Two companies are generated with the real command (the first is a Chinese report whose table
numbers are drawn character by character in two fonts, the second an English one whose
statements are in RMB10,000), then read back with PyMuPDF and checked against companies.jsonl
and qa.jsonl with code of their own here, not the generator's.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pymupdf
import pytest

from ragkb.eval.answers import load_qa

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "datasets" / "annual-reports"
NUMBER = re.compile(r"^[(\-]?[\d,]+(\.\d+)?%?\)?$")
TYPES = {"lookup_text", "lookup_table", "calculation", "comparison", "statistics", "summary"}
TITLES = {
    "zh": [
        "第一节 重要提示",
        "第二节 公司简介和主要财务指标",
        "主要会计数据和财务指标",
        "第三节 管理层讨论与分析",
        "合并资产负债表",
        "母公司资产负债表",
        "合并利润表",
        "母公司利润表",
        "合并现金流量表",
        "母公司现金流量表",
    ],
    "en": [
        "Section I Important Notes",
        "Section II Company Profile and Key Financial Indicators",
        "Key Accounting Data and Financial Indicators",
        "Section III Management Discussion and Analysis",
        "Consolidated Balance Sheet",
        "Balance Sheet of the Parent Company",
        "Consolidated Income Statement",
        "Income Statement of the Parent Company",
        "Consolidated Cash Flow Statement",
        "Cash Flow Statement of the Parent Company",
    ],
}
# calculation subtypes recomputed here from the evidence values: {(metric, year offset): value} -> answer
FORMULAS: dict[str, Callable[[Callable[[str, int], float]], float]] = {
    "selling_ratio": lambda v: v("selling_expenses", 0) / v("revenue", 0) * 100,
    "admin_ratio": lambda v: v("admin_expenses", 0) / v("revenue", 0) * 100,
    "rd_ratio": lambda v: v("rd_expenses", 0) / v("revenue", 0) * 100,
    "gross_margin": lambda v: (v("revenue", 0) - v("cost_of_sales", 0)) / v("revenue", 0) * 100,
    "net_margin": lambda v: v("net_profit", 0) / v("revenue", 0) * 100,
    "revenue_growth": lambda v: (v("revenue", 0) - v("revenue", -1)) / abs(v("revenue", -1)) * 100,
    "np_growth": lambda v: (v("np_parent", 0) - v("np_parent", -1)) / abs(v("np_parent", -1)) * 100,
    "current_ratio": lambda v: v("current_assets", 0) / v("current_liabilities", 0),
    "quick_ratio": lambda v: (v("current_assets", 0) - v("inventory", 0)) / v("current_liabilities", 0),
    "debt_ratio": lambda v: v("total_liabilities", 0) / v("total_assets", 0) * 100,
    "roe_end": lambda v: v("np_parent", 0) / v("equity_parent", 0) * 100,
    "cfo_to_np": lambda v: v("cfo", 0) / v("np_parent", 0),
}


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def on_page(text: str, page_text: str) -> bool:
    """Numbers must stand on the page exactly as printed; words may wrap onto the next line."""
    return text in page_text if NUMBER.match(text) else squeeze(text) in squeeze(page_text)


def printed(yuan: float, unit: str = "元", negatives: str = "minus") -> str:
    """How a report prints an amount: two decimals, thousands separators, negatives as -x or (x)."""
    cents = round(Decimal(str(yuan)) * 100 / (10_000 if unit == "万元" else 1))
    text = f"{abs(cents) // 100:,}.{abs(cents) % 100:02d}"
    return text if cents >= 0 else (f"({text})" if negatives == "parens" else f"-{text}")


def parse(text: str) -> float:
    negative = text.startswith(("(", "-"))
    value = float(text.strip("()-%").replace(",", ""))
    return -value if negative else value


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("annual-reports")
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "annual_reports" / "generate.py"),
            "--out",
            str(out),
            "--companies",
            "2",
            "--seed",
            "7",
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return out


@pytest.fixture(scope="module")
def companies(generated: Path) -> list[dict]:
    return read_jsonl(generated / "companies.jsonl")


def pages(folder: Path, company: dict) -> list[str]:
    with pymupdf.open(folder / "reports" / company["file"]) as document:
        return [page.get_text() for page in document]


def test_two_companies_cover_both_languages_and_the_hard_styles(companies: list[dict]) -> None:
    assert [c["lang"] for c in companies] == ["zh", "en"]
    assert companies[0]["style"]["split_fonts"] and companies[1]["style"]["statement_unit"] == "万元"
    assert re.fullmatch(r"\d{6}", companies[0]["stock_code"]) and companies[0]["full_name"].endswith("股份有限公司")
    assert companies[0]["full_name"].startswith(companies[0]["short_name"])


def test_reports_have_the_sections_of_an_annual_report_and_a_header_on_every_page(generated: Path, companies: list[dict]) -> None:
    for company in companies:
        texts = pages(generated, company)
        assert 8 <= len(texts) <= 20
        whole = "\n".join(texts)
        for title in TITLES[company["lang"]]:
            assert title in whole, (company["file"], title)
        header = (
            f"{company['full_name']} 2022年年度报告全文"
            if company["lang"] == "zh"
            else f"{company['full_name']} 2022 Annual Report"
        )
        for number, text in enumerate(texts[1:], start=2):  # the cover has none
            assert header in text and str(number) in text.splitlines()[-1], (company["file"], number)


def test_key_figures_on_the_page_are_the_generators_numbers(generated: Path, companies: list[dict]) -> None:
    """主要会计数据和财务指标 prints revenue, profits and cash flow in 元 for 2022, 2021 and 2020."""
    for company in companies:
        texts = pages(generated, company)
        title = "主要会计数据和财务指标" if company["lang"] == "zh" else "Key Accounting Data and Financial Indicators"
        start = next(i for i, text in enumerate(texts) if title in text)
        table = texts[start] + texts[start + 1]  # the table may run onto the next page
        figures = company["consolidated"]
        for metric in ("revenue", "np_parent", "np_deducted", "cfo", "total_assets", "equity_parent"):
            for value in figures[metric]:
                assert printed(value, "元", company["style"]["negatives"]) in table, (company["file"], metric, value)


def test_statement_figures_are_printed_in_the_statements_unit(generated: Path, companies: list[dict]) -> None:
    for company in companies:
        whole = "\n".join(pages(generated, company))
        unit, negatives = company["style"]["statement_unit"], company["style"]["negatives"]
        for book in ("consolidated", "parent"):
            for metric in ("inventory", "total_liabilities", "total_liab_equity", "operating_profit", "cfi", "cash_end"):
                for value in company[book][metric][1:]:  # the statements show 2021 and 2022
                    assert printed(value, unit, negatives) in whole, (company["file"], book, metric, value)


def test_the_statements_add_up(companies: list[dict]) -> None:
    for company in companies:
        for book in (company["consolidated"], company["parent"]):
            for year in range(3):
                f = {key: round(Decimal(str(values[year])) * 100) for key, values in book.items() if values[year] is not None}
                assert f["total_assets"] == f["current_assets"] + f["noncurrent_assets"] == f["total_liab_equity"]
                assert f["total_liab_equity"] == f["total_liabilities"] + f["total_equity"]
                assert f["total_liabilities"] == f["current_liabilities"] + f["noncurrent_liabilities"]
                current = (
                    "cash",
                    "trading_fa",
                    "notes_rec",
                    "accounts_rec",
                    "receivables_fin",
                    "prepayments",
                    "other_rec",
                    "inventory",
                    "contract_assets",
                    "other_ca",
                )
                assert f["current_assets"] == sum(f[k] for k in current)
                assert f["total_equity"] == (
                    f["share_capital"]
                    + f["capital_reserve"]
                    - f["treasury"]
                    + f["oci_balance"]
                    + f["surplus_reserve"]
                    + f["retained"]
                    + f["minority_equity"]
                )
                assert f["total_cost"] == sum(
                    f[k]
                    for k in (
                        "cost_of_sales",
                        "taxes_surcharges",
                        "selling_expenses",
                        "admin_expenses",
                        "rd_expenses",
                        "financial_expenses",
                    )
                )
                assert f["total_profit"] == f["operating_profit"] + f["non_operating_income"] - f["non_operating_expenses"]
                assert f["net_profit"] == f["total_profit"] - f["income_tax"] == f["np_parent"] + f["minority_profit"]
                assert f["cfo"] == f["cfo_in"] - f["cfo_out"]
                assert f["cash_increase"] == f["cfo"] + f["cfi"] + f["cff"] + f["fx_effect"] == f["cash_end"] - f["cash_begin"]
            for year in range(1, 3):  # closing cash of one year opens the next
                assert book["cash_begin"][year] == book["cash_end"][year - 1]


def test_the_consolidated_balance_sheet_runs_onto_a_second_page_under_a_repeated_header(
    generated: Path, companies: list[dict]
) -> None:
    for company in companies:
        zh = company["lang"] == "zh"
        with pymupdf.open(generated / "reports" / company["file"]) as document:
            texts = [page.get_text() for page in document]
            start = next(i for i, t in enumerate(texts) if ("1、合并资产负债表" if zh else "1. Consolidated Balance Sheet") in t)
            last = (
                "负债和所有者权益（或股东权益）总计" if zh else "Total liabilities and owners' equity (or shareholders' equity)"
            )
            end = next(i for i, t in enumerate(texts) if i >= start and squeeze(last) in squeeze(t))
            assert end == start + 1
            blocks = sorted(b for b in document[end].get_text("blocks") if b[1] > 50)  # below the running header
            top = min(blocks, key=lambda b: b[1])[1]
            first_row = " ".join(b[4].strip() for b in blocks if abs(b[1] - top) < 3)
            assert ("项目" if zh else "Item") in first_row and ("2022年12月31日" if zh else "December 31, 2022") in first_row


def test_long_labels_wrap_inside_their_cell(generated: Path, companies: list[dict]) -> None:
    texts = pages(generated, companies[0])
    label = "归属于上市公司股东的扣除非经常性损益的净利润（元）"
    page = next(t for t in texts if "主要会计数据和财务指标" in t)
    assert label not in page and label in squeeze(page)


def check_questions(folder: Path, records: list[dict]) -> None:
    texts: dict[str, list[str]] = {}
    for record in records:
        assert record["type"] in TYPES and record["split"] in ("dev", "test") and record["answers"], record["id"]
        for evidence in record["evidence"]:
            if evidence["file"] not in texts:
                texts[evidence["file"]] = pages(folder, {"file": evidence["file"]})
            assert on_page(evidence["text"], texts[evidence["file"]][evidence["page"] - 1]), (record["id"], evidence)
            if "value" in evidence:  # the figure on the page is the evidence's value, in 元 or in 万元
                assert min(abs(parse(evidence["text"]) * scale - evidence["value"]) for scale in (1, 10_000)) < 1e-6 * max(
                    1.0, abs(evidence["value"])
                ), (record["id"], evidence)
        if record["type"] == "lookup_table":
            for evidence in record["evidence"]:
                assert abs(evidence["value"] - record["value"]) <= record["tolerance"] + 1e-6, (record["id"], evidence)
        if record["type"] == "calculation":
            values = {(e["metric"], e["year"] - record["year"]): e["value"] for e in record["evidence"]}
            result = FORMULAS[record["subtype"]](lambda metric, offset, values=values: values[(metric, offset)])
            assert abs(result - record["value"]) <= record["tolerance"] + 1e-6, (record["id"], result)
        if record["type"] in ("lookup_table", "calculation", "comparison"):
            assert {"value", "unit", "tolerance", "source"} <= record.keys(), record["id"]


def test_every_question_is_answered_on_its_evidence_pages(generated: Path) -> None:
    records = read_jsonl(generated / "qa.jsonl")
    assert {r["type"] for r in records} == TYPES and {r["lang"] for r in records} == {"zh", "en"}
    check_questions(generated, records)
    assert len(load_qa(generated / "qa.jsonl")) == len(records)  # the format ``ragkb eval answers`` reads


def test_the_committed_set(generated: Path) -> None:
    """datasets/annual-reports is the output of the command in its README: ≥100 questions, every type, dev and test halves."""
    records = read_jsonl(COMMITTED / "qa.jsonl")
    assert len(records) >= 100 and len({r["id"] for r in records}) == len(records)
    for kind in TYPES:
        splits = [r["split"] for r in records if r["type"] == kind]
        assert abs(splits.count("dev") - splits.count("test")) <= 1, kind
    assert len(list((COMMITTED / "reports").glob("*.pdf"))) >= 30
    check_questions(COMMITTED, records)
    # company N depends only on the seed and N: the committed data is what today's generator makes
    assert read_jsonl(COMMITTED / "companies.jsonl")[:2] == read_jsonl(generated / "companies.jsonl")
