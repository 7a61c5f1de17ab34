"""Entries of a table of contents (or an index) on a PDF page: a title, then dot leaders or a wide
gap, then a page number at the right.

They are found so that their right-aligned page numbers and section numbers are not taken for
columns of a table (running PyMuPDF's layout model on every contents page took 0.6 s a page;
bench/RESULTS.md, "The PDF table gate"), and so that the PDF loader writes each entry as one line,
"2.1 Some history ... 1", where PyMuPDF reads the number, title, leaders and page as lines of their own.
"""

from __future__ import annotations

import re
from itertools import pairwise

from ragkb.ingest.loaders.pdf_text import NUMBER, Char, text_of, words

LEADER_CHARS = 3  # dots (or middle dots, ellipses) between an entry and its page number
CONTENTS_GAP = 4  # or a gap of this many times the type size
_PAGE_NUMBER = re.compile(r"^\d{1,4}$")
_LEADER = re.compile(r"^[.·…]+$")
_ENTRY = re.compile(r"^(?P<title>.*?)[\s.·…]*\s(?P<page>\d{1,4})$")


def contents_lines(page_lines: list[list[Char]]) -> set[int]:
    """The indexes of the lines (:func:`~ragkb.ingest.loaders.pdf_text.lines`) that are contents
    entries: a page number at the end, after dot leaders; or after a wide gap, with no number in
    the entry but its section number, the page numbers of these never going down the page (else
    they are a table's numbers)."""
    leadered: set[int] = set()
    gapped: dict[int, int] = {}
    for index, line in enumerate(page_lines):
        if not next((char.text for char in reversed(line) if not char.text.isspace()), "").isdigit():
            continue  # most lines: not worth cutting into words
        found = words(line)
        if len(found) < 2 or not _PAGE_NUMBER.match(text_of(found[-1])):
            continue
        start = _leaders_start(found)
        if sum(len(text_of(word)) for word in found[start:-1]) >= LEADER_CHARS:
            leadered.add(index)
        elif found[-1][0].x - found[-2][-1].right >= CONTENTS_GAP * found[-1][0].size and not any(
            NUMBER.match(text_of(word)) for word in found[1:-1]
        ):
            gapped[index] = int(text_of(found[-1]))
    numbers = list(gapped.values())
    ascending = all(a <= b for a, b in pairwise(numbers))
    return leadered | set(gapped) if ascending else leadered


def single_entry(line: list[Char]) -> bool:
    """Whether a contents line holds one entry: no leaders before its last ones (an index set in
    two columns has two entries on a line)."""
    found = words(line)
    return not any(_LEADER.match(text_of(word)) for word in found[1 : _leaders_start(found)])


def entry_text(text: str) -> str:
    """A contents entry's text as one line: the title, three dots, the page number (dots even where
    the page drew none, so that the entry never reads as a numbered heading)."""
    match = _ENTRY.match(text)
    return f"{match['title']} ... {match['page']}" if match else text


def _leaders_start(found: list[list[Char]]) -> int:
    """Where the leaders before the last word begin (the first word is never one)."""
    start = len(found) - 1
    while start > 1 and _LEADER.match(text_of(found[start - 1])):
        start -= 1
    return start
