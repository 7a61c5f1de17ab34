"""Reading BEIR-format datasets: corpus.jsonl, queries.jsonl, qrels/test.tsv."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from ragkb.errors import RagkbError


@dataclass
class BeirDataset:
    name: str
    corpus: dict[str, tuple[str, str]]
    """document id → (title, text)"""
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]
    """query id → {document id: relevance grade}"""


def _read_jsonl(path: Path) -> list[dict]:
    if not path.is_file():
        raise RagkbError(f"{path} is missing; a BEIR dataset folder holds corpus.jsonl, queries.jsonl and qrels/test.tsv")
    rows = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as error:
                    raise RagkbError(f"{path}:{number}: invalid JSON ({error.msg}); fix or remove that line") from None
    return rows


def load_beir(folder: Path, split: str = "test") -> BeirDataset:
    folder = Path(folder)
    if not folder.is_dir():
        raise RagkbError(f"{folder}: no such dataset folder")
    corpus = {str(row["_id"]): (row.get("title") or "", row.get("text") or "") for row in _read_jsonl(folder / "corpus.jsonl")}
    queries = {str(row["_id"]): row["text"] for row in _read_jsonl(folder / "queries.jsonl")}
    qrels_path = folder / "qrels" / f"{split}.tsv"
    if not qrels_path.is_file():
        raise RagkbError(
            f"{qrels_path} is missing; a BEIR dataset folder holds corpus.jsonl, queries.jsonl and qrels/{split}.tsv"
        )
    qrels: dict[str, dict[str, int]] = {}
    with qrels_path.open(encoding="utf-8") as handle:
        reader = csv.reader(handle, delimiter="\t")
        for row in reader:
            if len(row) < 3 or row[0] == "query-id":
                continue
            query_id, doc_id, grade = row[0], row[1], int(row[2])
            if query_id in queries and doc_id in corpus:
                qrels.setdefault(query_id, {})[doc_id] = grade
    if not qrels:
        raise RagkbError(f"{qrels_path}: no judgement matches a query and a document of the dataset")
    return BeirDataset(folder.name, corpus, {q: queries[q] for q in qrels}, qrels)
