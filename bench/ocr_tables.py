"""Tables and headings on scanned pages: the cells and headings OCR'd pages give
(ragkb.ingest.ocr_tables, ragkb.ingest.loaders.pdf_ocr) against those the same pages give from
their text layer (ragkb.ingest.loaders.pdf_tables, pdf.py).

Each page of bench/ocr.py (the prose pages hold a glossary table) is read twice by the PDF loader: as it is (text layer), and
rendered to an image at ``--dpi`` put back as an image-only page (read by OCR). A text-layer cell is
read right when an OCR'd table of the page has a row with the same label (a header cell: in its
header; a row without a label: the same row) and the same text in the same column; texts compared NFKC-normalized, whitespace left out
(OCR reads （元） as (元)). A heading is found when the OCR'd page has a heading of the same text.

    python bench/ocr_tables.py                 # bench/ocr.py's six pages, rapidocr, 150 dpi
    python bench/ocr_tables.py --pages 'datasets/annual-reports/reports/x.pdf:3'
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import unicodedata
from pathlib import Path

import pymupdf

from ragkb.ingest import ocr
from ragkb.ingest.loaders.pdf import parse_pdf
from ragkb.models import ExtractedTable, ParsedDocument

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, log, markdown_table, save
from ocr import PAGES


def compact(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def grid(table: ExtractedTable) -> list[list[str]]:
    return [[compact(cell) for cell in row] for row in [table.header, *table.rows]]


def matched(truth: list[list[str]], read: list[list[list[str]]]) -> int:
    """Cells of ``truth`` that a table of ``read`` has in a row of the same label (the header: in
    the header; a row without a label: the same row), in the same column; a table OCR reads as two
    counts whole."""
    rows = {row[0]: row for table in read for row in table[1:] if row and row[0]}
    found = max(
        (sum(1 for cell, got in zip(truth[0], table[0], strict=False) if cell and cell == got) for table in read), default=0
    )
    unlabelled = [row for table in read for row in table if row and not row[0]]
    for row in truth[1:]:
        other = rows.get(row[0]) if row[0] else next((got for got in unlabelled if got == row), None)
        if other is not None:
            found += sum(1 for cell, got in zip(row, other, strict=False) if cell and cell == got)
    return found


def headings(document: ParsedDocument) -> list[str]:
    return [compact(block.text) for block in document.blocks if block.kind == "heading"]


def scanned(page: pymupdf.Page, dpi: int) -> pymupdf.Document:
    image = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csRGB, alpha=False)
    document = pymupdf.open()
    document.new_page(width=page.rect.width, height=page.rect.height).insert_image(page.rect, pixmap=image)
    return document


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", default="rapidocr", choices=ocr.ENGINES)
    parser.add_argument("--dpi", type=int, default=ocr.DPI)
    parser.add_argument("--pages", nargs="*", help="FILE:PAGE (1-based); default: bench/ocr.py's pages")
    args = parser.parse_args()
    os.environ["RAGKB_OCR"] = args.engine
    pages = (
        [(path, int(page), "?") for path, page in (item.rsplit(":", 1) for item in args.pages)]
        if args.pages
        else [(path, number, language) for path, number, language, _ in PAGES]
    )
    rows, summary = [], []
    for path, number, language in pages:
        with pymupdf.open(ROOT / path) as document, pymupdf.open() as one:
            one.insert_pdf(document, from_page=number - 1, to_page=number - 1)
            text_layer = parse_pdf(one, Path(path).name)
            with scanned(one[0], args.dpi) as image_only:
                started, cpu = time.perf_counter(), time.process_time()
                scan = parse_pdf(image_only, Path(path).name, every_page=True)
                seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
        truth, read = text_layer.tables, scan.tables
        known_headings, read_headings = headings(text_layer), headings(scan)
        headings_found = sum(1 for heading in known_headings if heading in read_headings)
        cells = found = 0
        for table in truth:
            known = grid(table)
            cells += sum(1 for row in known for cell in row if cell)
            found += matched(known, [grid(other) for other in read])
        rows.append(
            {
                "file": Path(path).name,
                "page": number,
                "language": language,
                "tables": len(truth),
                "tables_read": len(read),
                "cells": cells,
                "cells_right": found,
                "headings": known_headings,
                "headings_read": read_headings,
                "headings_found": headings_found,
                "seconds": round(seconds, 2),
                "cpu_seconds": round(cpu_seconds, 2),
                "read": [grid(table) for table in read],
            }
        )
        summary.append(
            [
                Path(path).name[:12],
                number,
                language,
                f"{len(read)} / {len(truth)}",
                f"{found} / {cells}",
                found / max(cells, 1),
                f"{headings_found} / {len(known_headings)} (+{len(read_headings) - headings_found})",
                f"{seconds:.1f} / {cpu_seconds:.1f}",
            ]
        )
        log(f"{Path(path).name} p{number}: tables {len(read)}/{len(truth)}, cells {found}/{cells}, {seconds:.1f} s")
    total = sum(row["cells"] for row in rows)
    right = sum(row["cells_right"] for row in rows)
    found_all, known_all = sum(row["headings_found"] for row in rows), sum(len(row["headings"]) for row in rows)
    invented = sum(len(row["headings_read"]) - row["headings_found"] for row in rows)
    summary.append(["all", "", "", "", f"{right} / {total}", right / max(total, 1), f"{found_all} / {known_all} (+{invented})", ""])  # fmt: skip
    table = markdown_table(
        [
            "file",
            "page",
            "language",
            "tables (OCR / text layer)",
            "cells right",
            "share",
            "headings found (+ not in the text layer)",
            "s wall / CPU (OCR + parse)",
        ],
        summary,
    )
    print(table)
    print(f"written to {save('ocr_tables', {'engine': args.engine, 'dpi': args.dpi, 'pages': rows, 'summary': table})}")


if __name__ == "__main__":
    main()
