"""JSON (.json) and JSON Lines (.jsonl): one record per object.

A record's title field (title, name, heading, ...) becomes a heading and its text field (text,
content, body, ...) a paragraph. Objects with no text field are rendered as "key: value" lines,
so structured data stays searchable.
"""

from __future__ import annotations

import json
from pathlib import Path

from ragkb.errors import LoaderError
from ragkb.ingest.encoding import read_text
from ragkb.models import Block, ParsedDocument

TITLE_FIELDS = ("title", "name", "heading", "subject", "question")
TEXT_FIELDS = ("text", "content", "body", "contents", "answer", "abstract", "summary", "description", "message", "passage")


def load_jsonl(path: Path) -> ParsedDocument:
    blocks: list[Block] = []
    for number, line in enumerate(read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise LoaderError(f"{path.name}: line {number} is not valid JSON ({error.msg}); fix or remove that line") from None
        blocks.extend(record_blocks(record))
    return ParsedDocument(blocks, loader="jsonl")


def load_json(path: Path) -> ParsedDocument:
    try:
        data = json.loads(read_text(path))
    except json.JSONDecodeError as error:
        raise LoaderError(
            f"{path.name}: invalid JSON at line {error.lineno}, column {error.colno} ({error.msg}); fix the file"
        ) from None
    records = data if isinstance(data, list) else [data]
    return ParsedDocument([block for record in records for block in record_blocks(record)], loader="json")


def record_blocks(record: object) -> list[Block]:
    if not isinstance(record, dict):
        return [Block(_render(record))]
    fields = {str(key).lower(): key for key in record}
    title_key = _first_text_field(record, fields, TITLE_FIELDS)
    text_key = _first_text_field(record, fields, TEXT_FIELDS)
    if text_key is not None:
        body = str(record[text_key])
    else:
        body = "\n".join(f"{key}: {_render(value)}" for key, value in record.items() if key != title_key)
    title = " ".join(str(record[title_key]).split()) if title_key is not None else ""
    if not body.strip():  # a heading alone would reach no chunk; keep the title as text
        return [Block(title)] if title else []
    return ([Block(title, "heading", 1)] if title else []) + [Block(body)]


def _first_text_field(record: dict, fields: dict[str, object], names: tuple[str, ...]) -> object | None:
    """The key of the first of ``names`` (any case) holding a non-empty string."""
    for name in names:
        key = fields.get(name)
        if key is not None and isinstance(record[key], str) and record[key].strip():
            return key
    return None


def _render(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
