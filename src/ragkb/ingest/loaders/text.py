"""Plain text (.txt): paragraphs split at blank lines, numbered lines as headings."""

from __future__ import annotations

from pathlib import Path

from ragkb.ingest.encoding import read_text
from ragkb.ingest.headings import blocks_from_lines, normalize_levels
from ragkb.models import ParsedDocument


def load_text(path: Path) -> ParsedDocument:
    blocks = blocks_from_lines(read_text(path).splitlines())
    return ParsedDocument(normalize_levels(blocks), loader="text")
