"""Page layout for the reports: flowing text, ruled tables that continue on the next page, headers and footers.

Chinese text uses MuPDF's built-in ``china-s`` font (Droid Sans Fallback: no download, embedded
and subset on save); numbers and English use Helvetica. With ``split_fonts`` the numbers of
tables are drawn one character at a time, digits in Times and punctuation in another font (the
CJK font, Courier in English reports), the way many real reports made from word processors are:
the page's text layer still reads ``129,188,735.59``, but table extractors that sort characters
by their box see two fonts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pymupdf

A4 = pymupdf.paper_rect("a4")
MARGIN, TOP, BOTTOM = 56.0, 64.0, A4.height - 64.0
GREY = (0.35, 0.35, 0.35)
_NUMBER = re.compile(r"^[(\-]?[\d,]+(\.\d+)?%?\)?$")
_NO_LINE_START = set("，。、；：！？）》」』”’%,.;:)")
_NO_LINE_END = set("（《「『“‘(")
_PUNCTUATION = set(",.()-%")


@dataclass(frozen=True)
class Column:
    title: str
    width: float  # relative to the other columns
    align: str = "right"  # "left", "right" or "center"


@dataclass
class Row:
    cells: list[str]
    indent: int = 0  # indent of the first cell, in steps of one character
    header: bool = False  # a shaded header row inside the table body (a second column header)


@dataclass
class _Canvas:
    """What is being drawn on one page: lines in one drawing, text in one writer per colour, written at once."""

    page: pymupdf.Page
    shape: pymupdf.Shape
    texts: dict[tuple[float, float, float], pymupdf.TextWriter]


class Writer:
    """Writes top to bottom on A4 pages and remembers the page each thing landed on (1-based).

    Each page's text and lines are collected and written once (one text object per colour and one
    drawing), which keeps files small and fast to make.
    """

    def __init__(self, lang: str, tables: str = "grid", split_fonts: bool = False):
        self.doc = pymupdf.open()
        self.lang, self.tables, self.split_fonts = lang, tables, split_fonts
        self.fonts = {name: pymupdf.Font(name) for name in ("china-s", "helv", "hebo", "tiro", "cour")}
        self.text_font = "china-s" if lang == "zh" else "helv"
        self.bold_font = "china-s" if lang == "zh" else "hebo"  # the CJK font has no bold face
        self.punctuation_font = "china-s" if lang == "zh" else "cour"
        self.width = A4.width - 2 * MARGIN
        self.canvas: _Canvas | None = None
        self.y = TOP

    @property
    def page_number(self) -> int:
        return self.doc.page_count

    def new_page(self) -> None:
        self._flush()
        self._open(self.doc.new_page(width=A4.width, height=A4.height))
        self.y = TOP

    def _open(self, page: pymupdf.Page) -> None:
        self.canvas = _Canvas(page, page.new_shape(), {})

    def _flush(self) -> None:
        if self.canvas is None:
            return
        self.canvas.shape.commit()
        for color, writer in self.canvas.texts.items():
            writer.write_text(self.canvas.page, color=color)
        self.canvas = None

    @property
    def _on(self) -> _Canvas:
        if self.canvas is None:
            raise RuntimeError("no open page: call new_page() first")
        return self.canvas

    def _room(self, height: float) -> None:
        if self.canvas is None or self.y + height > BOTTOM:
            self.new_page()

    def rect(self, rect: pymupdf.Rect, fill: tuple[float, float, float] | None) -> None:
        self._on.shape.draw_rect(rect)
        self._on.shape.finish(color=(0, 0, 0), fill=fill, width=0.5)

    def line(self, y: float, width: float = 0.9, color: tuple[float, float, float] = (0, 0, 0)) -> None:
        self._on.shape.draw_line((MARGIN, y), (A4.width - MARGIN, y))
        self._on.shape.finish(color=color, width=width)

    # -- text -----------------------------------------------------------------------------------
    def length(self, text: str, size: float, font: str | None = None) -> float:
        return self.fonts[font or self.text_font].text_length(text, fontsize=size)

    def draw(
        self,
        x: float,
        baseline: float,
        text: str,
        size: float,
        font: str | None = None,
        bold: bool = False,
        color: tuple[float, float, float] = (0, 0, 0),
    ) -> None:
        canvas = self._on
        writer = canvas.texts.setdefault(color, pymupdf.TextWriter(canvas.page.rect))
        writer.append((x, baseline), text, font=self.fonts[font or (self.bold_font if bold else self.text_font)], fontsize=size)

    def wrap(self, text: str, size: float, width: float, font: str | None = None, first_width: float | None = None) -> list[str]:
        """Greedy line breaking: anywhere between CJK characters, at spaces between Latin words."""
        lines: list[str] = []
        line = ""
        limit = width if first_width is None else first_width
        for token in re.findall(r"[\x21-\x7e]+ ?| |.", text):
            candidate = line + token
            if line and self.length(candidate.rstrip(), size, font) > limit and token[0] not in _NO_LINE_START:
                carry = ""
                while line and line[-1] in _NO_LINE_END:
                    carry, line = line[-1] + carry, line[:-1]
                lines.append(line.rstrip())
                line = carry + token.lstrip()
                limit = width
            else:
                line = candidate
        if line.strip():
            lines.append(line.rstrip())
        return lines or [""]

    def title(self, text: str, size: float, before: float = 0, after: float = 10) -> None:
        self._room(before + size * 2)
        self.y += before + size
        self.draw((A4.width - self.length(text, size, self.bold_font)) / 2, self.y, text, size, bold=True)
        self.y += after

    def heading(self, text: str, size: float = 11.5, before: float = 8, after: float = 6) -> int:
        self._room(before + size * 4)  # keep a heading with what follows
        self.y += before + size
        self.draw(MARGIN, self.y, text, size, bold=True)
        self.y += after
        return self.page_number

    def paragraph(self, text: str, size: float = 10, leading: float = 1.55, first_indent: float = 2, after: float = 4) -> int:
        """A paragraph kept on one page when it fits on one; returns the page of its first line."""
        indent = first_indent * size
        lines = self.wrap(text, size, self.width, first_width=self.width - indent)
        self._room(min(len(lines) * size * leading, BOTTOM - TOP))
        page = self.page_number
        for number, line in enumerate(lines):
            self._room(size * leading)
            self.y += size * leading
            self.draw(MARGIN + (indent if number == 0 else 0), self.y - size * (leading - 1) / 2, line, size)
        self.y += after
        return page

    def pair(self, left: str, right: str, size: float = 9) -> int:
        """One line with text on the left and on the right (编制单位 … 单位：元)."""
        self._room(size * 2.5)
        self.y += size * 1.5
        if left:
            self.draw(MARGIN, self.y, left, size)
        self.draw(A4.width - MARGIN - self.length(right, size), self.y, right, size)
        self.y += size * 0.6
        return self.page_number

    def space(self, height: float) -> None:
        self.y += height

    # -- tables ---------------------------------------------------------------------------------
    def table(self, columns: list[Column], rows: list[Row], size: float = 8.5, titled: bool = True) -> list[int]:
        """A table whose header row (the column titles, unless not ``titled``) repeats on every page it runs onto.

        Returns the page of each row of ``rows``. Labels wrap inside their cell; numbers never wrap
        (a number wider than its column is set smaller).
        """
        scale = self.width / sum(c.width for c in columns)
        widths = [c.width * scale for c in columns]
        header = Row([c.title for c in columns], header=True)
        line_height, pad = size * 1.3, 3.5

        def layout(row: Row) -> tuple[list[list[str]], float]:
            cells = []
            for index, (text, width) in enumerate(zip(row.cells, widths, strict=False)):
                indent = row.indent * size if index == 0 else 0
                wraps = row.header or columns[index].align == "left" or not _NUMBER.match(text)
                cells.append(self.wrap(text, size, width - 2 * pad - indent) if wraps else [text])
            return cells, max(len(c) for c in cells) * line_height + 2 * pad

        head_cells, head_height = layout(header) if titled else ([], 0.0)
        pages: list[int] = []
        self._room(head_height + layout(rows[0])[1])
        part_top = self.y
        if titled:
            self._draw_row(header, head_cells, head_height, widths, columns, size, line_height)
        for row in rows:
            cells, height = layout(row)
            if self.y + height > BOTTOM:
                self._close(part_top)
                self.new_page()
                part_top = self.y
                if titled:
                    self._draw_row(header, head_cells, head_height, widths, columns, size, line_height)
            self._draw_row(row, cells, height, widths, columns, size, line_height)
            pages.append(self.page_number)
        self._close(part_top)
        self.y += 6
        return pages

    def _close(self, top: float) -> None:
        if self.tables == "rules":
            self.line(top)
            self.line(self.y)

    def _draw_row(
        self,
        row: Row,
        cells: list[list[str]],
        height: float,
        widths: list[float],
        columns: list[Column],
        size: float,
        line_height: float,
    ) -> None:
        x, top = MARGIN, self.y
        if self.tables == "rules" and row.header:
            self.line(top + height, 0.5)
        for index, (lines, width) in enumerate(zip(cells, widths, strict=False)):
            rect = pymupdf.Rect(x, top, x + width, top + height)
            if self.tables == "grid":
                self.rect(rect, (0.9, 0.9, 0.9) if row.header else None)
            first = top + (height - len(lines) * line_height) / 2 + size
            for number, text in enumerate(lines):
                baseline = first + number * line_height
                align = "center" if row.header else columns[index].align
                if align == "left":
                    indent = row.indent * size if index == 0 else 0
                    self.draw(x + 3.5 + indent, baseline, text, size)
                elif _NUMBER.match(text):
                    self._number(x + width - 3.5, baseline, text, size, width - 7)
                else:
                    length = self.length(text, size)
                    left = x + (width - length) / 2 if align == "center" else x + width - 3.5 - length
                    self.draw(left, baseline, text, size)
            x += width
        self.y = top + height

    def _number(self, right: float, baseline: float, text: str, size: float, room: float) -> None:
        """A right-aligned number; with split fonts, one character at a time in two fonts."""
        if not self.split_fonts:
            while self.length(text, size, "helv") > room:
                size -= 0.25
            self.draw(right - self.length(text, size, "helv"), baseline, text, size, font="helv")
            return
        fonts = [self.punctuation_font if ch in _PUNCTUATION else "tiro" for ch in text]
        while sum(self.length(ch, size, f) for ch, f in zip(text, fonts, strict=False)) > room:
            size -= 0.25
        x = right - sum(self.length(ch, size, f) for ch, f in zip(text, fonts, strict=False))
        for ch, font in zip(text, fonts, strict=False):
            self.draw(x, baseline, ch, size, font=font)
            x += self.length(ch, size, font)

    # -- output ---------------------------------------------------------------------------------
    def save(self, path: Path, header: str, footer: str, metadata: dict[str, str]) -> int:
        """Stamp the running header and the page number on every page but the cover, then save; returns the page count."""
        self._flush()
        total = self.doc.page_count
        for number in range(2, total + 1):  # the cover has neither
            self._open(self.doc[number - 1])
            self.draw(MARGIN, 40, header, 8.5, color=GREY)
            self.line(45, 0.5, GREY)
            text = footer.format(n=number, total=total)
            self.draw((A4.width - self.length(text, 8.5)) / 2, A4.height - 36, text, 8.5, color=GREY)
            self._flush()
        self.doc.set_metadata(
            {
                "creator": "ragkb bench/annual_reports/generate.py",
                "producer": "PyMuPDF",
                "creationDate": "D:20230415090000+08'00'",
                "modDate": "D:20230415090000+08'00'",
                **metadata,
            }
        )
        self.doc.subset_fonts()
        self.doc.save(path, garbage=4, deflate=True, no_new_id=True)
        self.doc.close()
        return total
