"""Training text from files: plain text and Markdown (gzipped too, as in /usr/share/doc), JSONL
whose records have ``title``/``text`` fields (datasets/*/corpus.jsonl), and folders of them.
Other formats are read by adding them to a knowledge base and training with ``--kb``."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

from ragkb.errors import RagkbError

TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".rst", ".text", ""}
JSON_FIELDS = ("title", "text", "content")


def corpus_files(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.is_file() and _readable(p))
        elif path.is_file():
            found.append(path)
        else:
            raise RagkbError(f"no such file or folder: {path}")
    return found


def _readable(path: Path) -> bool:
    name = path.name.removesuffix(".gz")
    suffix = Path(name).suffix.lower()
    return suffix in TEXT_SUFFIXES | {".jsonl"} and not name.startswith(".")


def read_texts(path: Path) -> Iterator[str]:
    """The texts of one file: the whole file, or each JSONL record's fields joined."""
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError) as error:  # gzip.BadGzipFile is an OSError
        raise RagkbError(f"{path}: cannot read it ({error}); give a text, Markdown or JSONL file") from None
    text = raw.decode("utf-8", errors="replace")
    if path.name.removesuffix(".gz").endswith(".jsonl"):
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                record = _record(path, number, line)
                yield "\n".join(str(record[key]) for key in JSON_FIELDS if record.get(key))
    else:
        yield text


def _record(path: Path, number: int, line: str) -> dict:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise RagkbError(f"{path}:{number}: not JSON ({error.msg}); write one JSON object per line") from None
    if not isinstance(record, dict):
        raise RagkbError(f"{path}:{number}: not a JSON object; write one object with a 'text' field per line")
    return record
