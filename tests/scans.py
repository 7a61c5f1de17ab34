"""Scanned documents made in the test: pages typeset with PyMuPDF, rendered to images, and the
images put back into an image-only PDF (no text layer) or saved as PNG files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pymupdf

PAGES = {
    "zh": "<h2>差旅报销办法</h2><p>出差人员应在出差结束后三十日内提交报销申请，逾期需部门负责人审批。</p>",
    "en": "<h2>Router manual</h2><p>Hold the reset button on the back for ten seconds until the power LED blinks orange.</p>",
}
DPI = 100
"""Low enough to read fast on two shared cores, high enough for 14 px type."""


def page_images(htmls: list[str], dpi: int = DPI) -> list[pymupdf.Pixmap]:
    """Each HTML snippet typeset on a small page (420 × 300 pt) and rendered."""
    with pymupdf.open() as document:
        images = []
        for html in htmls:
            page = document.new_page(width=420, height=300)
            page.insert_htmlbox(pymupdf.Rect(30, 30, 390, 270), html, css="* {font-family: sans-serif; font-size: 14px;}")
            images.append(page.get_pixmap(dpi=dpi, colorspace=pymupdf.csRGB, alpha=False))
        return images


def turned(pixmap: pymupdf.Pixmap, degrees: int) -> pymupdf.Pixmap:
    """The image turned ``degrees`` clockwise (a page scanned sideways or upside down)."""
    pixels = np.frombuffer(pixmap.samples, dtype=np.uint8).reshape(pixmap.height, pixmap.width, 3)
    pixels = np.ascontiguousarray(np.rot90(pixels, -(degrees // 90) % 4))
    return pymupdf.Pixmap(pymupdf.csRGB, pixels.shape[1], pixels.shape[0], pixels.tobytes(), False)


def scanned_pdf(path: Path, images: list[pymupdf.Pixmap], dpi: int = DPI) -> Path:
    """An image-only PDF, one page per image at its scanned size."""
    with pymupdf.open() as document:
        for image in images:
            page = document.new_page(width=image.width * 72 / dpi, height=image.height * 72 / dpi)
            page.insert_image(page.rect, pixmap=image)
        path.parent.mkdir(parents=True, exist_ok=True)
        document.save(path)
    return path
