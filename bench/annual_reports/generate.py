"""Generate synthetic annual reports (PDF) and a question set whose answers are computed from the same data.

    python bench/annual_reports/generate.py --out DIR --companies 32 --seed 7

writes ``DIR/reports/*.pdf`` (one 2022 annual report per invented company, every fourth in
English), ``DIR/qa.jsonl`` (the questions, see datasets/annual-reports/README.md),
``DIR/companies.jsonl`` (each company's figures, 2020-2022, in 元) and ``DIR/financials.jsonl``
(the consolidated figures as rows of the table that statistics questions' ``gold_sql`` reads). The output depends only on
the seed and the number of companies, and company N is the same in every run with more than N
companies. Before it finishes, every question's evidence is looked up on its PDF page.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench/, which holds the annual_reports package

import pymupdf

from annual_reports.across import RAGKB_METRICS, statistics_questions
from annual_reports.companies import Company, make_companies
from annual_reports.finance import YEARS
from annual_reports.questions import company_questions, definition_questions, split_halves
from annual_reports.report import Report, write_report

NUMBER = re.compile(r"^[(\-]?[\d,]+(\.\d+)?%?\)?$")
SPACE = re.compile(r"\s+")


COUNTS = {"employees", "rd_staff", "staff_production", "staff_sales", "staff_tech", "staff_finance", "staff_admin"}


def company_record(company: Company, report: Report) -> dict:
    """One line of companies.jsonl: who the company is and its figures, each a list over ``years`` (元; people for headcounts)."""

    def figures(book: dict[str, dict[int, int]]) -> dict[str, list[float | int | None]]:
        def value(key: str, year: int) -> float | int | None:
            fen = book[key].get(year)
            return fen if fen is None or key in COUNTS else fen / 100

        return {key: [value(key, y) for y in YEARS] for key in sorted(book)}

    style, dividend = company.style, company.dividend_per_10()
    return {
        "index": company.index,
        "lang": company.lang,
        "full_name": company.full_name,
        "short_name": company.short_name,
        "stock_code": company.code,
        "file": company.file,
        "pages": report.pages,
        "sector": company.industry.sector,
        "business": company.industry.business,
        "products": list(company.industry.products),
        "legal_rep": company.legal_rep,
        "secretary": company.secretary,
        "email": company.email,
        "website": company.website,
        "reg_address": company.reg_address,
        "office_address": company.office_address,
        "auditor": company.auditor,
        "exchange": company.exchange,
        "shares": company.shares,
        "dividend_per_10": None if dividend is None else float(dividend),
        "style": {
            "statement_unit": style.statement_unit,
            "mdna_unit": style.mdna_unit,
            "negatives": style.negatives,
            "tables": style.tables,
            "split_fonts": style.split_fonts,
        },
        "years": list(YEARS),
        "eps_basic": [float(company.eps(y)) for y in YEARS],
        "eps_diluted": [float(company.eps(y, True)) for y in YEARS],
        "quarters_2022": {key: [v / 100 for v in values] for key, values in company.quarters.items()},
        "segments": {key: [values[y] / 100 if y in values else None for y in YEARS] for key, values in company.segments.items()},
        "consolidated": figures(company.group),
        "parent": figures(company.parent),
    }


def financials_rows(company: Company) -> list[dict]:
    """Lines of financials.jsonl: a row per year of the company's consolidated figures in 元, the
    columns named as ragkb names its metrics (the table ``ragkb eval sql`` runs gold SQL on)."""
    rows = []
    for year in YEARS:
        row: dict = {"company": company.full_name, "short_name": company.short_name, "stock_code": company.code, "year": year}
        for key, column in RAGKB_METRICS.items():
            fen = company.group[key].get(year)
            row[column] = None if fen is None else fen / 100
        rows.append(row)
    return rows


def on_page(text: str, page_text: str) -> bool:
    """Numbers must appear as printed; words may be broken across lines."""
    if NUMBER.match(text):
        return text in page_text
    return SPACE.sub("", text) in SPACE.sub("", page_text)


def check(out: Path, records: list[dict]) -> None:
    """Every evidence text is on its page (raises with the first one that is not)."""
    documents: dict[str, pymupdf.Document] = {}
    for record in records:
        for evidence in record["evidence"]:
            document = documents.setdefault(evidence["file"], pymupdf.open(out / "reports" / evidence["file"]))
            if not on_page(evidence["text"], document[evidence["page"] - 1].get_text()):
                raise AssertionError(
                    f"{record['id']}: {evidence['text']!r} is not on page {evidence['page']} of {evidence['file']}"
                )


def generate(out: Path, companies: int, seed: int) -> list[dict]:
    (out / "reports").mkdir(parents=True, exist_ok=True)
    made = make_companies(seed, companies)
    reports = [write_report(company, out / "reports" / company.file) for company in made]
    rng = random.Random(seed)
    questions = company_questions(reports, rng) + definition_questions() + statistics_questions(reports, rng)
    records = [
        q.record(number, split)
        for number, (q, split) in enumerate(zip(questions, split_halves(questions, rng), strict=False), start=1)
    ]
    with open(out / "qa.jsonl", "w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    with open(out / "companies.jsonl", "w", encoding="utf-8") as handle:
        handle.writelines(
            json.dumps(company_record(c, r), ensure_ascii=False, separators=(",", ":")) + "\n"
            for c, r in zip(made, reports, strict=False)
        )
    with open(out / "financials.jsonl", "w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(row, ensure_ascii=False) + "\n" for c in made for row in financials_rows(c))
    check(out, records)
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="output folder (reports/, qa.jsonl, companies.jsonl)")
    parser.add_argument("--companies", type=int, default=32, help="number of companies, one report each (default 32)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.companies < 1:
        parser.error("--companies must be at least 1")
    records = generate(args.out, args.companies, args.seed)
    kinds: dict[str, int] = {}
    for record in records:
        kinds[record["type"]] = kinds.get(record["type"], 0) + 1
    print(
        f"{args.companies} reports and {len(records)} questions in {args.out} ({', '.join(f'{k} {v}' for k, v in kinds.items())})"
    )


if __name__ == "__main__":
    main()
