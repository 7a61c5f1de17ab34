"""PDF table extraction on the synthetic annual reports: PyMuPDF's find_tables, pdfplumber and
ragkb's loader (bench/RESULTS.md, "PDF tables").

    python bench/table_extraction.py --companies 12 --seed 7

makes the reports with bench/annual_reports (every printed figure is a recorded fact: its page and
its text) and, per extractor, counts

* cells: table figures found as a cell whose text is exactly the printed text, on their page;
* labels: statement figures whose row label is the statement's label (wrapped: labels long enough
  to wrap in their cell);
* split: statements running over pages that come out as one table (ragkb; the others give one
  table per page);
* seconds per page, and for ragkb which pages detection ran on (the gate) against the pages where
  running it everywhere finds a table.

pdfplumber comes with ``pip install ragkb[bench]``.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import pymupdf

sys.path.insert(0, str(Path(__file__).resolve().parent))

from annual_reports.companies import make_companies
from annual_reports.report import Report, write_report
from annual_reports.statements import BALANCE_SHEET, CASH_FLOW_STATEMENT, INCOME_STATEMENT

from ragkb.ingest.loaders.pdf import load_pdf
from ragkb.ingest.loaders.pdf_tables import may_hold_table
from ragkb.ingest.loaders.pdf_text import page_chars

NUMBER = re.compile(r"^[(\-]?[\d,]+(\.\d+)?%?\)?$")
LABELS = {
    line.key: (line.zh, line.en)
    for statement in (BALANCE_SHEET, INCOME_STATEMENT, CASH_FLOW_STATEMENT)
    for line in statement
    if line.key
}
WRAP_POINTS = 235  # a label wider than this (8.5 pt) wraps in the statements' label column

PageRows = dict[int, list[list[str]]]  # page → rows of every table on it


def _flat(cell: str | None) -> str:
    return " ".join((cell or "").split())


def pymupdf_tables(path: Path) -> PageRows:
    """Today's loader before this change: find_tables() (with PyMuPDF's layout model) and extract()."""
    found: PageRows = defaultdict(list)
    with pymupdf.open(path) as document:
        for page in document:
            for table in page.find_tables().tables:
                found[page.number + 1].extend([[_flat(cell) for cell in row] for row in table.extract()])
    return found


def pdfplumber_tables(path: Path) -> PageRows:
    import pdfplumber

    found: PageRows = defaultdict(list)
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            for table in page.extract_tables():
                found[page.page_number].extend([[_flat(cell) for cell in row] for row in table])
    return found


def ragkb_tables(path: Path) -> PageRows:
    found: PageRows = defaultdict(list)
    for table in load_pdf(path).tables:
        for page, row in zip(table.row_pages, table.rows, strict=True):
            found[page or 0].append(row)
        found[table.page or 0].append(table.header)
    return found


EXTRACTORS = {
    "PyMuPDF find_tables + extract": pymupdf_tables,
    "pdfplumber extract_tables": pdfplumber_tables,
    "ragkb": ragkb_tables,
}


def _wraps(label: str) -> bool:
    font = "china-s" if re.search(r"[\u4e00-\u9fff]", label) else "helv"
    return pymupdf.get_text_length(label, fontname=font, fontsize=8.5) > WRAP_POINTS


def score(report: Report, rows: PageRows) -> dict[str, list[int]]:
    """[found, total] per measure for one report."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    lang = 0 if report.company.lang == "zh" else 1
    for key, fact in report.facts.items():
        if key[0] == "text" or not NUMBER.match(fact.text):  # figures quoted in sentences are no table's
            continue
        cells = [row for row in rows.get(fact.page, []) if fact.text in row[1:]]
        counts["cells"][0] += bool(cells)
        counts["cells"][1] += 1
        if key[0] in ("group", "parent") and key[1] in LABELS:
            label = LABELS[key[1]][lang]
            measure = "wrapped labels" if _wraps(label) else "labels"
            counts[measure][0] += any(_flat(row[0]) == label for row in cells)
            counts[measure][1] += 1
    return counts


def split_statements(report: Report, path: Path) -> list[int]:
    """[one table, statements over pages] for ragkb's loader."""
    pages: dict[str, set[int]] = defaultdict(set)
    for key, fact in report.facts.items():
        if key[0] in ("group", "parent") and key[1] in LABELS:
            statement = next(
                name
                for name, lines in (("bs", BALANCE_SHEET), ("is", INCOME_STATEMENT), ("cf", CASH_FLOW_STATEMENT))
                if any(line.key == key[1] for line in lines)
            )
            pages[f"{key[0]}-{statement}"].add(fact.page)
    spanning = {name: found for name, found in pages.items() if len(found) > 1}
    tables = load_pdf(path).tables
    whole = sum(any(table.page == min(found) and table.page_end == max(found) for table in tables) for found in spanning.values())
    return [whole, len(spanning)]


def gate(path: Path) -> tuple[int, int, int, int]:
    """(pages with a table found running detection everywhere, of those the gate passes, pages the gate passes, pages)."""
    with pymupdf.open(path) as document:
        with_table = passed_with_table = passed = 0
        for page in document:
            chars = page_chars(page.get_text("rawdict", flags=pymupdf.TEXTFLAGS_TEXT))
            found = bool(page.find_tables().tables) or bool(page.find_tables(use_layout=False).tables)
            opened = may_hold_table(page, chars)
            with_table += found
            passed_with_table += found and opened
            passed += opened
        return with_table, passed_with_table, passed, document.page_count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--companies", type=int, default=12)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        reports = [
            (write_report(company, Path(folder) / company.file), Path(folder) / company.file)
            for company in make_companies(args.seed, args.companies)
        ]
        pages = sum(report.pages for report, _ in reports)
        styles = defaultdict(int)
        for report, _ in reports:
            style = report.company.style
            styles[f"{style.tables}{' split fonts' if style.split_fonts else ''}"] += 1
        print(f"{len(reports)} reports, {pages} pages ({', '.join(f'{n} {s}' for s, n in sorted(styles.items()))})\n")
        print("| extractor | cells | labels | wrapped labels | s/page |")
        print("|---|---|---|---|---|")
        for name, extract in EXTRACTORS.items():
            totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
            started = time.perf_counter()
            found = [(report, extract(path)) for report, path in reports]
            seconds = time.perf_counter() - started
            for report, rows in found:
                for measure, (hit, total) in score(report, rows).items():
                    totals[measure][0] += hit
                    totals[measure][1] += total
            shown = " | ".join(
                f"{totals[m][0]}/{totals[m][1]} ({totals[m][0] / max(totals[m][1], 1):.1%})"
                for m in ("cells", "labels", "wrapped labels")
            )
            print(f"| {name} | {shown} | {seconds / pages:.3f} |")
        by_style: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
        for report, path in reports:
            started = time.perf_counter()
            load_pdf(path)
            by_style[report.company.style.tables][0] += time.perf_counter() - started
            by_style[report.company.style.tables][1] += report.pages
        print(
            "\nragkb's whole PDF loader (text, tables, headers), s/page: "
            + ", ".join(f"{style} {seconds / count:.3f}" for style, (seconds, count) in sorted(by_style.items()))
        )
        whole = [sum(part) for part in zip(*(split_statements(report, path) for report, path in reports), strict=True)]
        print(f"ragkb: {whole[0]} of {whole[1]} statements printed over two or more pages come out as one table")
        gates = [sum(part) for part in zip(*(gate(path) for _, path in reports), strict=True)]
        print(
            f"gate: detection runs on {gates[2]} of {gates[3]} pages; of the {gates[0]} pages where running it everywhere "
            f"finds a table, it runs on {gates[1]} (recall {gates[1] / max(gates[0], 1):.1%})"
        )


if __name__ == "__main__":
    main()
