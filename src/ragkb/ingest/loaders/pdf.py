"""PDF with PyMuPDF: text and tables per page, top to bottom, with 1-based page numbers.

Tables found by ``page.find_tables()`` become one Markdown table block each, and their text is
left out of the paragraphs. Headings are lines set noticeably larger than the body text (the
most common size), ranked by size, or body-size lines with heading numbering (第一章, 1.1, ...),
which rank below every size-based heading. Page numbers in the top and bottom margins are dropped.

Paragraphs are rebuilt from line geometry rather than from PyMuPDF's blocks, because many PDF
producers write every line as a block of its own: a line continues the paragraph above unless
it is indented, set in another size, far below, or the line above stopped short of the column
edge although the next word would have fitted there. Bold lines, and lines that open a numbered
item (第五条, 一、, 1.), start paragraphs too.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path

import pymupdf

from ragkb.errors import LoaderError
from ragkb.ingest.headings import blocks_from_lines, first_word, join_wrapped, looks_like_title, normalize_levels, starts_item
from ragkb.ingest.loaders.tabular import markdown_table
from ragkb.models import Block, ParsedDocument

HEADING_SCALE = 1.12  # a heading is at least this much larger than the body text...
HEADING_MIN_STEP = 1.0  # ...and at least this many points larger
MAX_HEADING_LINES = 3
MAX_SIZE_HEADING_CHARS = 80
MARGIN_SHARE = 0.1  # top and bottom share of the page where page numbers live
_PAGE_NUMBER = re.compile(
    r"^[-–—\s]*\d{1,4}[-–—\s]*$|^\d+\s*/\s*\d+$|第\s*\d+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?$|\bpage\s+\d+(?:\s*(?:of|/)\s*\d+)?$",
    re.IGNORECASE,
)


@dataclass
class _Line:
    text: str
    size: float  # font size in points, rounded to a half point
    bold: bool
    box: pymupdf.Rect


@dataclass
class _Segment:
    """A table or a text block, placed on its page."""

    top: float
    left: float
    table: str = ""
    lines: list[_Line] = field(default_factory=list)


def load_pdf(path: Path) -> ParsedDocument:
    with pymupdf.open(path) as document:
        if document.needs_pass:
            raise LoaderError(
                f"{path.name}: the PDF is password-protected; decrypt it first "
                "(e.g. qpdf --password=PASSWORD --decrypt in.pdf out.pdf) and add the decrypted copy"
            )
        pages = [_segments(page) for page in document]
    sizes: Counter[float] = Counter()
    for segments in pages:
        for segment in segments:
            for line in segment.lines:
                sizes[line.size] += len(line.text)
    body_size = sizes.most_common(1)[0][0] if sizes else 0.0
    heading_size = max(body_size * HEADING_SCALE, body_size + HEADING_MIN_STEP)
    blocks: list[Block] = []
    for number, segments in enumerate(pages, start=1):
        blocks.extend(_page_blocks(segments, number, heading_size))
    return ParsedDocument(normalize_levels(blocks), loader="pdf")


def _segments(page: pymupdf.Page) -> list[_Segment]:
    tables = _tables(page)
    segments = [_Segment(rect.y0, rect.x0, table=text) for rect, text in tables]
    top_margin = page.rect.y0 + MARGIN_SHARE * page.rect.height
    bottom_margin = page.rect.y1 - MARGIN_SHARE * page.rect.height
    for block in page.get_text("dict", flags=pymupdf.TEXTFLAGS_TEXT)["blocks"]:
        lines = []
        for line in block.get("lines", []):
            box = pymupdf.Rect(line["bbox"])
            text = "".join(span["text"] for span in line["spans"]).strip()
            center = (box.tl + box.br) / 2
            if not text or any(center in rect for rect, _ in tables):
                continue
            if (box.y1 < top_margin or box.y0 > bottom_margin) and _PAGE_NUMBER.search(text):
                continue
            lines.append(_Line(text, _size(line["spans"]), _bold(line["spans"]), box))
        if lines:
            segments.append(_Segment(block["bbox"][1], block["bbox"][0], lines=lines))
    return sorted(segments, key=lambda segment: (round(segment.top), segment.left))


def _tables(page: pymupdf.Page) -> list[tuple[pymupdf.Rect, str]]:
    """Tables of at least two rows and two columns; a one-cell "table" is usually a framed paragraph."""
    try:
        found = page.find_tables().tables
    except Exception:  # table detection is a heuristic; a page it trips over still has its text
        return []
    tables = []
    for table in found:
        if table.row_count < 2 or table.col_count < 2:
            continue
        rows = table.extract()
        if table.header.external:
            rows.insert(0, table.header.names)
        tables.append((pymupdf.Rect(table.bbox), markdown_table(rows)))
    return tables


def _size(spans: list[dict]) -> float:
    """The line's font size, weighted by characters, rounded to a half point."""
    weight = sum(len(span["text"]) for span in spans) or 1
    size = sum(span["size"] * len(span["text"]) for span in spans) / weight
    return round(size * 2) / 2


def _bold(spans: list[dict]) -> bool:
    bold = sum(len(span["text"]) for span in spans if span["flags"] & pymupdf.TEXT_FONT_BOLD or "bold" in span["font"].lower())
    return 2 * bold > sum(len(span["text"]) for span in spans)


def _page_blocks(segments: list[_Segment], page: int, heading_size: float) -> list[Block]:
    """Blocks of one page; size-based headings get provisional level -(half points) so that
    :func:`normalize_levels` puts bigger type first and all of it above numbered headings."""
    all_lines = [line for segment in segments for line in segment.lines]
    blocks: list[Block] = []
    body: list[str] = []  # lines for blocks_from_lines, a blank line between paragraphs
    previous: _Line | None = None

    def flush() -> None:
        nonlocal previous
        blocks.extend(blocks_from_lines(body, page, join_wrapped))
        body.clear()
        previous = None

    for segment in segments:
        if segment.table:
            flush()
            blocks.append(Block(segment.table, "table", page=page))
            continue
        for large, group in groupby(segment.lines, key=lambda line: line.size >= heading_size):
            run = list(group)
            text = join_wrapped([line.text for line in run])
            if large and len(run) <= MAX_HEADING_LINES and looks_like_title(text, MAX_SIZE_HEADING_CHARS):
                flush()
                blocks.append(Block(text, "heading", -round(max(line.size for line in run) * 2), page))
                continue
            for line in run:
                if previous is not None and not _continues(previous, line, all_lines):
                    body.append("")
                body.append(line.text)
                previous = line
    flush()
    return blocks


def _continues(above: _Line, line: _Line, page_lines: list[_Line]) -> bool:
    """Whether ``line`` carries on the paragraph that ``above`` belongs to."""
    if (line.size, line.bold) != (above.size, above.bold) or starts_item(line.text):
        return False
    if line.box.y0 < above.box.y0 or line.box.y0 - above.box.y1 > above.box.height:  # another column, or a gap
        return False
    if line.box.x0 > above.box.x0 + above.size / 2:  # indented: a new paragraph's first line
        return False
    column_edge = max(other.box.x1 for other in page_lines if other.box.x0 < above.box.x1 and other.box.x1 > above.box.x0)
    word_width = line.box.width * len(first_word(line.text)) / len(line.text)
    return column_edge - above.box.x1 < word_width + above.size / 2
