"""OCR engines on the same pages: characters recovered, reading order, seconds per page.

Pages of PDFs with a text layer (the annual reports: Chinese and English, prose and tables) are
rendered to images at each DPI and read by each engine (:mod:`ragkb.ingest.ocr`); the page's text
layer is the known text. With whitespace left out of both:

- *characters*: the share of the known text's characters the reading has (as a multiset: order aside);
- *order*: difflib's ratio between the two strings (reading order counts: a table read column by
  column, or a row's cells in another order, scores lower);
- *s/page*: the engine's time for the page, rendering excluded.

    python bench/ocr.py                       # the default pages, both engines, 150 and 300 dpi
    python bench/ocr.py --engines rapidocr --dpi 150 --pages 'datasets/annual-reports/reports/x.pdf:3'
"""

from __future__ import annotations

import argparse
import difflib
import sys
import time
from collections import Counter
from pathlib import Path

import pymupdf

from ragkb.ingest import ocr

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, log, markdown_table, save

REPORTS = "datasets/annual-reports/reports"
PAGES = [
    (f"{REPORTS}/000165_曜石智能_2022年年度报告.pdf", 2, "zh", "prose"),
    (f"{REPORTS}/000165_曜石智能_2022年年度报告.pdf", 4, "zh", "table"),
    (f"{REPORTS}/000165_曜石智能_2022年年度报告.pdf", 10, "zh", "table"),
    (f"{REPORTS}/000488_Clearwater_Foods_2022_Annual_Report.pdf", 2, "en", "prose"),
    (f"{REPORTS}/000488_Clearwater_Foods_2022_Annual_Report.pdf", 4, "en", "table"),
    (f"{REPORTS}/000488_Clearwater_Foods_2022_Annual_Report.pdf", 10, "en", "table"),
]
"""(file, 1-based page, language, kind): a prose page and two table pages of a Chinese and an English report."""


def compact(text: str) -> str:
    return "".join(text.split())


def score(truth: str, read: str) -> tuple[float, float]:
    known, got = compact(truth), compact(read)
    found = sum((Counter(known) & Counter(got)).values()) / max(len(known), 1)
    return found, difflib.SequenceMatcher(None, known, got, autojunk=False).ratio()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", nargs="+", default=list(ocr.ENGINES))
    parser.add_argument("--dpi", nargs="+", type=int, default=[150, 300])
    parser.add_argument("--pages", nargs="*", help="FILE:PAGE (1-based); default: 3 Chinese and 3 English report pages")
    args = parser.parse_args()
    pages = [(path, int(page), "?", "?") for path, page in (item.rsplit(":", 1) for item in args.pages)] if args.pages else PAGES
    rows = []
    for path, number, language, kind in pages:
        with pymupdf.open(ROOT / path) as document:
            page = document[number - 1]
            truth = page.get_text()
            images = {dpi: ocr.render(page, dpi) for dpi in args.dpi}
        for name in args.engines:
            engine = ocr._engine(name)
            for dpi, image in images.items():
                started = time.perf_counter()
                lines = engine.read(image)
                seconds = time.perf_counter() - started
                found, order = score(truth, "\n".join(line.text for line in lines))
                rows.append(
                    {
                        "file": Path(path).name,
                        "page": number,
                        "language": language,
                        "kind": kind,
                        "engine": name,
                        "dpi": dpi,
                        "characters": round(found, 4),
                        "order": round(order, 4),
                        "seconds": round(seconds, 2),
                        "known_characters": len(compact(truth)),
                    }
                )
                log(f"{Path(path).name} p{number} {name} {dpi} dpi: characters {found:.3f}, order {order:.3f}, {seconds:.1f} s")
    summary = []
    for name in args.engines:
        for dpi in args.dpi:
            for group in ("zh", "en"):
                for kind in ("prose", "table"):
                    mine = [r for r in rows if (r["engine"], r["dpi"], r["language"], r["kind"]) == (name, dpi, group, kind)]
                    if mine:
                        summary.append([name, dpi, group, kind, len(mine),
                                        min(r["characters"] for r in mine), min(r["order"] for r in mine),
                                        sum(r["seconds"] for r in mine) / len(mine)])  # fmt: skip
    table = markdown_table(["engine", "dpi", "language", "pages", "n", "characters (min)", "order (min)", "s/page"], summary)
    print(table)
    print(f"written to {save('ocr', {'pages': rows, 'summary': table})}")


if __name__ == "__main__":
    main()
