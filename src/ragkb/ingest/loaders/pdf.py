"""PDF with PyMuPDF: text and tables per page, top to bottom, with 1-based page numbers.

Tables (:mod:`~ragkb.ingest.loaders.pdf_tables`: cell text from the page's text layer) become one
Markdown table block each, their text left out of the paragraphs, and one
:class:`~ragkb.models.ExtractedTable` each, a table continued on the next page being one, titled
by the line naming it above. Headings are lines set noticeably larger than the body text (the
most common size), ranked by size, or body-size lines with heading numbering (第一章, 1.1, ...),
which rank below every size-based heading. A table-of-contents entry
(:mod:`~ragkb.ingest.loaders.pdf_contents`) is one line, "2.1 Title ... 7", a paragraph of its own
and never a heading. Running headers and footers
(:mod:`~ragkb.ingest.furniture`) go to ``furniture``, out of blocks and tables; other page numbers
in the top and bottom margins are dropped.

A page without a usable text layer (a scan; unmapped glyphs) is read by OCR
(:mod:`~ragkb.ingest.ocr`, :mod:`~ragkb.ingest.loaders.pdf_ocr`): its lines, with their boxes,
then go through the same paragraphs, headings, running headers and tables as a text page's. Every line
and table becomes a :class:`~ragkb.models.Region`, so that chunks know where they are on the page.

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
from ragkb.ingest.furniture import Key, line_key, running_keys
from ragkb.ingest.headings import blocks_from_lines, first_word, join_wrapped, looks_like_title, normalize_levels, starts_item
from ragkb.ingest.loaders.pdf_contents import contents_lines, entry_text, single_entry
from ragkb.ingest.loaders.pdf_ocr import ocr_blocks, ocr_lines
from ragkb.ingest.loaders.pdf_tables import find_tables
from ragkb.ingest.loaders.pdf_text import Char, PageTable, lines, page_chars
from ragkb.ingest.loaders.tabular import markdown_table
from ragkb.ingest.ocr import OcrPage, read_pages
from ragkb.ingest.ocr_tables import ocr_tables
from ragkb.ingest.tables import (
    CAPTION_LINES,
    MAX_STATEMENT_TITLE_CHARS,
    MAX_TITLE_CHARS,
    append_continuation,
    continues,
    extracted_table,
    is_unit_line,
)
from ragkb.models import Block, ExtractedTable, ParsedDocument, Region
from ragkb.tables.statements import classify_statement

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
    chars: list[Char] = field(default_factory=list)
    contents: bool = False  # a table-of-contents entry


@dataclass
class _Segment:
    """A table (its rows of cell text) or a text block, placed on its page."""

    top: float
    left: float
    rows: list[list[str]] = field(default_factory=list)
    lines: list[_Line] = field(default_factory=list)
    rect: pymupdf.Rect | None = None  # a table's
    boxes: list[list[Fraction | None]] = field(default_factory=list)  # its cells', parallel to rows


@dataclass
class _Page:
    rect: pymupdf.Rect
    blocks: list[list[_Line]]
    tables: list[PageTable]
    display: pymupdf.Matrix  # maps the boxes above onto the page as displayed...
    display_rect: pymupdf.Rect  # ...which is this
    ocr: bool = False

    def in_table(self, line: _Line) -> bool:
        center = (line.box.tl + line.box.br) / 2
        return any(center in table.rect for table in self.tables)


def load_pdf(path: Path) -> ParsedDocument:
    with pymupdf.open(path) as document:
        if document.needs_pass:
            raise LoaderError(
                f"{path.name}: the PDF is password-protected; decrypt it first "
                "(e.g. qpdf --password=PASSWORD --decrypt in.pdf out.pdf) and add the decrypted copy"
            )
        return parse_pdf(document, path.name)


def parse_pdf(document: pymupdf.Document, name: str, every_page: bool = False) -> ParsedDocument:
    """The document's blocks, tables and regions; pages that need it (every page with
    ``every_page``: an image file) are read by OCR."""
    scans = read_pages(document, name, every_page)
    read = [
        _scanned(document[index], scans[index]) if index in scans else _read(document[index])
        for index in range(document.page_count)
    ]
    running = running_keys(
        [{key for line in _page_lines(page) if (key := _key(line, page)) is not None} for page in read],
        [len(_page_lines(page)) for page in read],
    )
    furniture: list[Block] = []
    pages = []
    for number, content in enumerate(read, start=1):
        for line in _page_lines(content):
            key = _key(line, content)
            if key in running:
                furniture.append(Block(line.text, key[0], page=number))
        pages.append(_segments(content, running))
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
    regions = [
        region
        for number, (segments, content) in enumerate(zip(pages, read, strict=True), start=1)
        for region in _regions(segments, content, number)
    ]
    return ParsedDocument(
        normalize_levels(blocks),
        loader="pdf",
        tables=_document_tables(pages, heading_size),
        furniture=furniture,
        regions=regions,
    )


def _read(page: pymupdf.Page) -> _Page:
    """The page's text lines, block by block, from one ``rawdict`` extraction, and its tables."""
    blocks = []
    for block in page.get_text("rawdict", flags=pymupdf.TEXTFLAGS_TEXT)["blocks"]:
        lines = []
        for line in block.get("lines", []):
            spans = [{**span, "text": "".join(char["c"] for char in span["chars"])} for span in line["spans"]]
            text = "".join(span["text"] for span in spans).strip()
            if text:
                chars = page_chars({"blocks": [{"lines": [line]}]})
                lines.append(_Line(text, _size(spans), _bold(spans), pymupdf.Rect(line["bbox"]), chars))
        if lines:
            blocks.append(lines)
    chars = [char for lines in blocks for line in lines for char in line.chars]
    return _Page(page.rect, _contents_entries(blocks, chars), find_tables(page, chars), page.rotation_matrix, page.rect)


def _contents_entries(blocks: list[list[_Line]], chars: list[Char]) -> list[list[_Line]]:
    """The blocks with the pieces of each table-of-contents entry (PyMuPDF often reads its number,
    title, leaders and page number as lines of their own) made one line, where its first piece was."""
    page_lines = lines(chars)
    entries = [index for index in contents_lines(page_lines) if single_entry(page_lines[index])]
    if not entries:
        return blocks
    entry_of = {id(char): index for index in entries for char in page_lines[index]}
    pieces: dict[int, list[_Line]] = {}
    kept_blocks = []
    for block in blocks:
        kept = []
        for line in block:
            index = entry_of.get(id(line.chars[0])) if line.chars else None
            if index is None:
                kept.append(line)
                continue
            if index not in pieces:
                pieces[index] = []
                kept.append(line)  # stands for the entry, made whole below
            pieces[index].append(line)
        if kept:
            kept_blocks.append(kept)
    for found in pieces.values():
        first, title = found[0], max(found, key=lambda piece: len(piece.chars))
        first.text = entry_text(" ".join(piece.text for piece in sorted(found, key=lambda piece: piece.box.x0)))
        first.size, first.bold, first.contents = title.size, title.bold, True
        first.chars = [char for piece in found for char in piece.chars]
        for piece in found[1:]:
            first.box |= piece.box
    return kept_blocks


def _scanned(page: pymupdf.Page, scan: OcrPage) -> _Page:
    """A page read by OCR: its lines in points of the page set upright, in blocks cut at its tables
    (paragraphs are found by geometry as on any page), and its tables from where the pieces lie (:mod:`~ragkb.ingest.ocr_tables`)."""
    tables = ocr_tables(scan)
    blocks = [
        [_Line(line.text, line.size, False, line.box, line.chars) for line in block]
        for block in ocr_blocks(ocr_lines(scan.lines), tables)
    ]
    return _Page(pymupdf.Rect(0, 0, scan.width, scan.height), blocks, tables, scan.to_display, page.rect, ocr=True)


Fraction = tuple[float, float, float, float]


def _fraction(rect: pymupdf.Rect, content: _Page) -> Fraction:
    """``rect`` (in the page's reading coordinates) in fractions of the displayed page."""
    page = content.display_rect
    shown = rect * content.display
    return (
        (shown.x0 - page.x0) / page.width,
        (shown.y0 - page.y0) / page.height,
        (shown.x1 - page.x0) / page.width,
        (shown.y1 - page.y0) / page.height,
    )


def _regions(segments: list[_Segment], content: _Page, number: int) -> list[Region]:
    """Each table and text line of the page's segments, in their order, boxed in fractions of the displayed page."""

    regions = []
    for segment in segments:
        if segment.rows and segment.rect is not None:
            regions.append(Region(number, markdown_table(segment.rows), _fraction(segment.rect, content), content.ocr))
        regions.extend(Region(number, line.text, _fraction(line.box, content), content.ocr) for line in segment.lines)
    return regions


def _page_lines(page: _Page) -> list[_Line]:
    return [line for block in page.blocks for line in block]


def _key(line: _Line, page: _Page) -> Key | None:
    """Where the line would sit as a running header or footer; a table's first row, repeated at
    the top of each page the table goes on, is none."""
    if page.in_table(line):
        return None
    return line_key(line.text, line.box.y0, line.box.y1, page.rect.y0, page.rect.y1)


def _segments(content: _Page, running: set[Key]) -> list[_Segment]:
    """Tables and text blocks of the page, top to bottom, without its running headers and footers."""
    blocks = [[line for line in block if _key(line, content) not in running] for block in content.blocks]
    segments = [
        _Segment(table.rect.y0, table.rect.x0, rows=table.rows, rect=table.rect, boxes=_cell_fractions(table, content))
        for table in content.tables
    ]
    top_margin = content.rect.y0 + MARGIN_SHARE * content.rect.height
    bottom_margin = content.rect.y1 - MARGIN_SHARE * content.rect.height
    for block in blocks:
        lines = []
        for line in block:
            if content.in_table(line):
                continue
            if (line.box.y1 < top_margin or line.box.y0 > bottom_margin) and _PAGE_NUMBER.search(line.text):
                continue
            lines.append(line)
        if lines:
            segments.append(_Segment(min(line.box.y0 for line in lines), min(line.box.x0 for line in lines), lines=lines))
    return sorted(segments, key=lambda segment: (round(segment.top), segment.left))


def _cell_fractions(table: PageTable, content: _Page) -> list[list[Fraction | None]]:
    return [[None if box is None else _fraction(pymupdf.Rect(box), content) for box in row] for row in table.boxes]


def _document_tables(pages: list[list[_Segment]], heading_size: float) -> list[ExtractedTable]:
    """The document's tables; a table that ends its page and goes on at the top of the next (its
    header repeated, or none) is one table."""
    tables: list[ExtractedTable] = []
    open_table: ExtractedTable | None = None  # the table that ended the previous page
    for number, segments in enumerate(pages, start=1):
        current: ExtractedTable | None = None
        for index, segment in enumerate(segments):
            current = None
            if not segment.rows:
                continue
            if index == 0 and open_table is not None and continues(open_table, segment.rows):
                append_continuation(open_table, segment.rows, number, segment.boxes)
                current = open_table
                continue
            title, unit = _caption(segments[:index], heading_size)
            current = extracted_table(segment.rows, page=number, title=title, unit=unit, boxes=segment.boxes)
            if current is not None:
                tables.append(current)
        open_table = current
    return tables


def _caption(before: list[_Segment], heading_size: float) -> tuple[str, str]:
    """The title and the unit line of a table, from the few lines above it on its page and below
    the table before it (whose caption they are): the nearest line that is a heading (bold or
    large) or names a statement, else the nearest short one; the unit line, the nearest that states one."""
    tables = [index for index, segment in enumerate(before) if segment.rows]
    own = before[tables[-1] + 1 :] if tables else before
    lines = [line for segment in own for line in segment.lines][-CAPTION_LINES:][::-1]
    unit = next((line.text for line in lines if is_unit_line(line.text)), "")
    candidates = [line for line in lines if line.text != unit and len(line.text) <= MAX_STATEMENT_TITLE_CHARS]
    short = [line for line in candidates if len(line.text) <= MAX_TITLE_CHARS]
    title = next(
        (
            line
            for line in candidates
            if classify_statement(line.text).kind is not None or (line in short and (line.bold or line.size >= heading_size))
        ),
        None,
    ) or next(iter(short), None)
    return (title.text if title else ""), unit


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
        if segment.rows:
            flush()
            blocks.append(Block(markdown_table(segment.rows), "table", page=page))
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
    if (line.size, line.bold) != (above.size, above.bold) or starts_item(line.text) or line.contents or above.contents:
        return False
    if line.box.y0 < above.box.y0 or line.box.y0 - above.box.y1 > above.box.height:  # another column, or a gap
        return False
    if line.box.x0 > above.box.x0 + above.size / 2:  # indented: a new paragraph's first line
        return False
    column_edge = max(other.box.x1 for other in page_lines if other.box.x0 < above.box.x1 and other.box.x1 > above.box.x0)
    word_width = line.box.width * len(first_word(line.text)) / len(line.text)
    return column_edge - above.box.x1 < word_width + above.size / 2
