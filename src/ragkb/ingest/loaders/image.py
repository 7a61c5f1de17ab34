"""Images (PNG, JPEG, TIFF; a multi-page TIFF is one page an image): every page read by OCR
(:mod:`~ragkb.ingest.ocr`), then parsed as a scanned PDF's pages are, with page numbers and boxes."""

from __future__ import annotations

from pathlib import Path

import pymupdf

from ragkb.errors import LoaderError
from ragkb.ingest.loaders.pdf import parse_pdf
from ragkb.ingest.ocr import engine
from ragkb.models import ParsedDocument


def load_image(path: Path) -> ParsedDocument:
    if engine() is None:
        raise LoaderError(
            f"{path.name}: reading text from an image needs an OCR engine; run: pip install 'ragkb[ocr]' "
            "(or apt-get install tesseract-ocr tesseract-ocr-chi-sim), and check that RAGKB_OCR is not 'off'"
        )
    with pymupdf.open(path) as image:
        pages = image.convert_to_pdf()
    with pymupdf.open("pdf", pages) as document:
        parsed = parse_pdf(document, path.name, every_page=True)
    parsed.loader = "image"
    return parsed
