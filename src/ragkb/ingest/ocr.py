"""OCR of pages that have no usable text layer (scans, photos, PDFs whose fonts map to nothing), offline.

Two engines, both reading Chinese and English, chosen by ``RAGKB_OCR`` (``auto``, ``rapidocr``,
``tesseract``, ``off``); ``auto`` takes the first installed of :data:`ENGINES`, ordered by
measurement (bench/RESULTS.md, "OCR"):

- ``rapidocr`` (the ``[ocr]`` extra): PP-OCR detection and recognition models run by onnxruntime,
  the ONNX files inside the wheel. Its configuration is pinned to those files: any other language or
  model type would be downloaded on first use. onnxruntime is loaded only after ``ragkb/__init__.py``
  has set ``ORT_DISABLE_TELEMETRY``.
- ``tesseract``: Debian's ``tesseract-ocr`` and ``tesseract-ocr-chi-sim`` through PyMuPDF's
  ``get_textpage_ocr``.

A page is read only when it needs it (:func:`needs_ocr`): its text layer is (nearly) empty and an
image covers much of it, or most of its text is unmapped glyphs. Its rendering is read upright: a
page whose text runs sideways or upside down is turned first (:func:`read_upright`), and each line
keeps its box, mapped back onto the page as it is displayed (:attr:`OcrPage.to_display`); the
page's horizontal ruling lines are kept too, for its tables (:mod:`~ragkb.ingest.ocr_tables`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Protocol

import numpy as np
import pymupdf

from ragkb.errors import ConfigError
from ragkb.extras import installed, require
from ragkb.ingest.ocr_progress import report
from ragkb.ingest.ocr_rules import Rule, horizontal_rules

ENGINES = ("rapidocr", "tesseract")
"""``auto`` takes the first of these that is installed."""
DPI = 150
"""Resolution pages are rendered at to be read (bench/RESULTS.md, "OCR")."""
MIN_TEXT_CHARS = 20  # a page with fewer characters in its text layer has none worth keeping...
IMAGE_SHARE = 0.3  # ...and is read when images cover this share of it
GARBAGE_SHARE = 0.3  # a text layer with this share of unmapped or private-use characters is garbage
TALL = 1.5  # a line box this many times taller than wide runs sideways
FAIR_SCORE = 0.8  # a reading whose mean confidence is below this is tried upside down too
_UNMAPPED = {"Co", "Cn", "Cs", "Cc"}
_OSD_ROTATE = re.compile(r"Rotate:\s*(\d+)")

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class OcrLine:
    text: str
    box: Box
    """x0, y0, x1, y1: pixels of the image read (:func:`read_page`: points of the upright page)."""
    score: float = 1.0
    """The engine's confidence, 0 to 1 (Tesseract through PyMuPDF gives none: 1)."""


class Engine(Protocol):
    name: str

    def read(self, image: np.ndarray) -> list[OcrLine]:
        """The text lines of an RGB image (height × width × 3, uint8), in reading order."""

    def rotation(self, image: np.ndarray, lines: list[OcrLine]) -> int | None:
        """Degrees to turn ``image`` clockwise to set it upright, if the engine can tell
        (``lines``: its reading as it is); ``None``: decide by reading it turned."""


@dataclass
class OcrPage:
    """A page's lines as read upright: boxes in points of the upright page (``width`` × ``height``)."""

    lines: list[OcrLine]
    rotation: int
    """Degrees the displayed page was turned clockwise to be read."""
    width: float
    height: float
    to_display: pymupdf.Matrix
    """Maps a point of the upright page to the page as it is displayed."""
    engine: str
    rules: list[Rule] = field(default_factory=list)
    """Horizontal ruling lines drawn on the upright page (:mod:`~ragkb.ingest.ocr_rules`), for its tables."""


class RapidOcr:
    """PP-OCR through rapidocr, pinned to the models inside its wheel (nothing is downloaded)."""

    name = "rapidocr"

    def __init__(self) -> None:
        rapidocr = require("rapidocr", "Reading scanned pages with RapidOCR")
        models = Path(str(rapidocr.__file__)).parent / "models"
        self._engine = rapidocr.RapidOCR(
            params={
                "Global.log_level": "critical",
                "Det.model_path": str(models / "PP-OCRv6_det_small.onnx"),
                "Rec.model_path": str(models / "PP-OCRv6_rec_small.onnx"),
                "Cls.model_path": str(models / "ch_ppocr_mobile_v2.0_cls_mobile.onnx"),
            }
        )

    def read(self, image: np.ndarray) -> list[OcrLine]:
        # No line classifier: a page is turned as a whole (read_upright), and upside-down lines
        # then read with a low confidence, which is how read_upright notices them.
        result = self._engine(np.ascontiguousarray(image[:, :, ::-1]), use_cls=False)  # it expects BGR
        if result.boxes is None:
            return []
        return [
            OcrLine(text.strip(), _bounds(points), float(score))
            for points, text, score in zip(result.boxes, result.txts, result.scores, strict=True)
            if text.strip()
        ]

    def rotation(self, image: np.ndarray, lines: list[OcrLine]) -> int | None:
        return None


class Tesseract:
    """Tesseract through PyMuPDF's OCR text page; Tesseract's orientation detection (OSD) turns pages."""

    name = "tesseract"

    def __init__(self) -> None:
        try:
            tessdata = Path(pymupdf.get_tessdata())
        except Exception as error:
            raise ConfigError(
                "Tesseract is not installed; run: apt-get install tesseract-ocr tesseract-ocr-chi-sim (or set RAGKB_OCR=rapidocr)"
            ) from error
        self.tessdata = str(tessdata)
        self.languages = "+".join(name for name in ("chi_sim", "eng") if (tessdata / f"{name}.traineddata").exists()) or "eng"

    def read(self, image: np.ndarray) -> list[OcrLine]:
        height, width = image.shape[:2]
        pixmap = pymupdf.Pixmap(pymupdf.csRGB, width, height, np.ascontiguousarray(image).tobytes(), False)
        with pymupdf.open() as document:
            page = document.new_page(width=width, height=height)
            page.insert_image(page.rect, pixmap=pixmap)
            textpage = page.get_textpage_ocr(language=self.languages, dpi=72, full=True, tessdata=self.tessdata)
            text = page.get_text("dict", textpage=textpage)
        lines = []
        for block in text["blocks"]:
            for line in block.get("lines", []):
                joined = "".join(span["text"] for span in line["spans"]).strip()
                if joined:
                    lines.append(OcrLine(joined, tuple(line["bbox"])))
        return lines

    def rotation(self, image: np.ndarray, lines: list[OcrLine]) -> int | None:
        if shutil.which("tesseract") is None:
            return None
        height, width = image.shape[:2]
        png = pymupdf.Pixmap(pymupdf.csRGB, width, height, np.ascontiguousarray(image).tobytes(), False).tobytes("png")
        done = subprocess.run(
            ["tesseract", "stdin", "stdout", "--psm", "0", "--tessdata-dir", self.tessdata],
            input=png,
            capture_output=True,
            check=False,
        )
        found = _OSD_ROTATE.search(done.stdout.decode(errors="replace"))
        return int(found[1]) % 360 if found else 0  # too little text to tell: as it is


def _bounds(points: np.ndarray) -> Box:
    xs, ys = points[:, 0], points[:, 1]
    return float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())


@cache
def _engine(name: str) -> Engine:
    return RapidOcr() if name == "rapidocr" else Tesseract()


def engine() -> Engine | None:
    """The engine ``RAGKB_OCR`` names (``auto``: the first installed of :data:`ENGINES`); ``None``: off or none installed."""
    wanted = os.environ.get("RAGKB_OCR", "auto").strip().lower() or "auto"
    if wanted == "off":
        return None
    if wanted == "auto":
        available = [name for name in ENGINES if _available(name)]
        return _engine(available[0]) if available else None
    if wanted not in ENGINES:
        raise ConfigError(f"RAGKB_OCR={wanted!r} is not an OCR engine; use one of: auto, {', '.join(ENGINES)}, off")
    return _engine(wanted)


def _available(name: str) -> bool:
    if name == "rapidocr":
        return installed("rapidocr")
    try:
        return Path(pymupdf.get_tessdata()).is_dir()
    except Exception:  # PyMuPDF raises when it finds no tessdata folder
        return False


def needs_ocr(page: pymupdf.Page) -> bool:
    """Whether the page's text must be read from its image: an (almost) empty text layer on a page
    mostly covered by images, or a text layer that is mostly unmapped glyphs."""
    chars = [char for char in page.get_text("text") if not char.isspace()]
    if len(chars) < MIN_TEXT_CHARS:
        return _image_share(page) >= IMAGE_SHARE
    unmapped = sum(1 for char in chars if char == "\ufffd" or unicodedata.category(char) in _UNMAPPED)
    return unmapped >= GARBAGE_SHARE * len(chars)


def _image_share(page: pymupdf.Page) -> float:
    area = abs(page.rect) or 1.0
    covered = sum(abs(pymupdf.Rect(info["bbox"]) & page.rect) for info in page.get_image_info())
    return min(covered / area, 1.0)


def render(page: pymupdf.Page, dpi: int = DPI) -> np.ndarray:
    """The page as displayed (its /Rotate applied), as RGB pixels."""
    pixmap = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csRGB, alpha=False)
    return np.frombuffer(pixmap.samples, dtype=np.uint8).reshape(pixmap.height, pixmap.width, 3)


def turn(image: np.ndarray, degrees: int) -> np.ndarray:
    """``image`` turned ``degrees`` (a multiple of 90) clockwise."""
    return np.rot90(image, -(degrees // 90) % 4)


def back_to_display(degrees: int, width: float, height: float) -> pymupdf.Matrix:
    """Maps a point of a ``width`` × ``height`` display turned ``degrees`` clockwise back onto it."""
    return {
        0: pymupdf.Matrix(1, 0, 0, 1, 0, 0),
        90: pymupdf.Matrix(0, -1, 1, 0, 0, height),
        180: pymupdf.Matrix(-1, 0, 0, -1, width, height),
        270: pymupdf.Matrix(0, 1, -1, 0, width, 0),
    }[degrees]


def read_upright(reader: Engine, image: np.ndarray) -> tuple[int, list[OcrLine]]:
    """The clockwise turn that sets the image upright, with its lines read that way.

    An engine that tells the orientation (Tesseract's OSD) is asked; otherwise a page whose lines
    mostly run sideways is read turned both ways, and a reading of low confidence upside down too;
    the reading with most confident characters wins."""
    lines = reader.read(image)
    told = reader.rotation(image, lines)
    if told is not None:
        return told, (lines if told == 0 else reader.read(turn(image, told)))
    tall = [line for line in lines if len(line.text) > 1]
    turns = [90, 270] if tall and 2 * sum(_is_tall(line.box) for line in tall) > len(tall) else []
    if not turns and _mean_score(lines) < FAIR_SCORE:
        turns = [180]
    readings = [(0, lines)] + [(degrees, reader.read(turn(image, degrees))) for degrees in turns]
    return max(readings, key=lambda reading: sum(len(line.text) * line.score for line in reading[1]))


def _is_tall(box: Box) -> bool:
    return box[3] - box[1] > TALL * (box[2] - box[0])


def _mean_score(lines: list[OcrLine]) -> float:
    characters = sum(len(line.text) for line in lines)
    return sum(len(line.text) * line.score for line in lines) / characters if characters else 0.0


def _scaled(box: Box, scale: float) -> Box:
    return box[0] * scale, box[1] * scale, box[2] * scale, box[3] * scale


def read_page(reader: Engine, page: pymupdf.Page, dpi: int = DPI) -> OcrPage:
    """The page's lines, read upright, in points of the upright page."""
    image = render(page, dpi)
    degrees, lines = read_upright(reader, image)
    scale = 72 / dpi
    width, height = page.rect.width, page.rect.height
    upright_width, upright_height = (height, width) if degrees in (90, 270) else (width, height)
    return OcrPage(
        [OcrLine(line.text, _scaled(line.box, scale), line.score) for line in lines],
        degrees,
        upright_width,
        upright_height,
        back_to_display(degrees, width, height),
        reader.name,
        horizontal_rules(turn(image, degrees), scale),
    )


def read_pages(document: pymupdf.Document, name: str, every_page: bool = False) -> dict[int, OcrPage]:
    """The pages of ``document`` (0-based numbers) that need OCR (all of them with ``every_page``: an
    image file), read; none when no engine is configured or installed."""
    wanted = [number for number in range(document.page_count) if every_page or needs_ocr(document[number])]
    reader = engine() if wanted else None
    if reader is None:
        return {}
    read: dict[int, OcrPage] = {}
    for done, number in enumerate(wanted, start=1):
        read[number] = read_page(reader, document[number])
        report(name, done, len(wanted))
    return read
