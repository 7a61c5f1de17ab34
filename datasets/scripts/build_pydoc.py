#!/usr/bin/env python3
"""Build datasets/pydoc-en, a retrieval test set (BEIR format) from Debian 12's python3.11-doc.

    python3 datasets/scripts/build_pydoc.py [--cache DIR] [--out datasets]

Documents are pages of the Python 3.11 HTML documentation (library reference, tutorial, language
reference, HOWTOs, FAQ, "using" guides) as plain text; a library page that documents a module
starts with a heading "re — Regular expression operations": the summary after the dash is the
query, it is removed from the page, and the page is the relevant document. Needs apt-get (only
when the .deb is not in --cache) and dpkg-deb. Deterministic output.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import shutil
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from manpage_text import extract, fetch_debs, log, truncate  # noqa: E402

PACKAGE, VERSION = "python3.11-doc", "3.11.2-6+deb12u9"
HTML = "usr/share/doc/python3.11/html"
FOLDERS = ("library", "tutorial", "reference", "howto", "faq", "using")
SEED = 20240601
MAX_CHARS = 6000
MAX_QUERIES = 300
MIN_CHARS = 300
MAX_GROUP = 3

BLOCK = {
    "p", "div", "section", "pre", "li", "ul", "ol", "dl", "dt", "dd", "table", "tr", "blockquote",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "br", "figure", "figcaption", "caption",
}
SKIP_CLASSES = {"headerlink", "toctree-wrapper", "sphinxsidebar", "related", "footer"}
VOID = {"br", "hr", "img", "meta", "link", "input", "wbr"}


@dataclass
class Parsed:
    blocks: list[str] = field(default_factory=list)
    h1_text: str = ""
    h1_module: str = ""  # "re" when the h1 links to #module-re
    toctree_chars: int = 0


class BodyText(HTMLParser):
    """Text of Sphinx's <div class="body">: blocks split at block elements; the h1 kept apart;
    permalink marks (¶) and toctrees (lists of links to other pages) left out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out = Parsed()
        self.stack: list[tuple[str, bool, bool, bool]] = []  # (tag, skipped, body, toctree)
        self.in_body = False
        self.depth_body = 0
        self.current: list[str] = []
        self.pre = 0
        self.h1: list[str] | None = None
        self.seen_h1 = False
        self.skip_depth = 0
        self.toctree_depth = 0

    def flush(self) -> None:
        text = "".join(self.current)
        text = text if self.pre else re.sub(r"\s+", " ", text)
        text = "\n".join(line.rstrip() for line in text.strip("\n").split("\n")).strip()
        if text:
            self.out.blocks.append(text)
        self.current = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = set((attrs.get("class") or "").split())
        if tag in VOID:
            if self.in_body and not self.skip_depth and tag in BLOCK:
                self.flush()
            return
        body_start = tag == "div" and "body" in classes and attrs.get("role") == "main"
        skip = bool(classes & SKIP_CLASSES) or tag in ("script", "style")
        toctree = "toctree-wrapper" in classes
        self.stack.append((tag, skip, body_start, toctree))
        if body_start:
            self.in_body = True
        if not self.in_body:
            return
        if skip:
            self.skip_depth += 1
            if toctree:
                self.toctree_depth += 1
        if self.skip_depth:
            return
        if tag in BLOCK:
            self.flush()
        if tag == "pre":
            self.pre += 1
        if tag == "h1" and not self.seen_h1:  # only the first: a later h1 is an ordinary heading
            self.h1 = []
            self.seen_h1 = True
        if self.h1 is not None and tag == "a" and (attrs.get("href") or "").startswith("#module-"):
            self.out.h1_module = attrs["href"][len("#module-"):]

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        while self.stack:
            open_tag, skip, body_start, toctree = self.stack.pop()
            if self.in_body and skip:
                self.skip_depth -= 1
                if toctree:
                    self.toctree_depth -= 1
            if body_start:
                self.flush()
                self.in_body = False
            if self.in_body and not self.skip_depth and open_tag in BLOCK:
                if open_tag == "h1" and self.h1 is not None:
                    self.out.h1_text = re.sub(r"\s+", " ", "".join(self.h1)).strip()
                    self.h1 = None
                    self.current = []
                else:
                    self.flush()
                if open_tag == "pre":
                    self.pre -= 1
            if open_tag == tag:
                break

    def handle_data(self, data):
        if not self.in_body:
            return
        if self.skip_depth:
            if self.toctree_depth:
                self.out.toctree_chars += len(data.strip())
            return
        if self.h1 is not None:
            self.h1.append(data)
        else:
            self.current.append(data)


def parse(path: Path) -> Parsed:
    parser = BodyText()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser.out


def normal(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "ragkb-dataset-debs")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent)
    args = parser.parse_args()
    deb = fetch_debs({PACKAGE: VERSION}, args.cache)[PACKAGE]
    tmp = Path(tempfile.mkdtemp(prefix="ragkb-pydoc-"))
    try:
        build(deb, extract(deb, tmp), args.out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def build(deb, root: Path, out: Path) -> None:
    html = root / HTML
    docs: dict[str, tuple[str, str]] = {}
    summaries: dict[str, str] = {}
    skipped = defaultdict(list)
    for folder in FOLDERS:
        for path in sorted((html / folder).glob("*.html")):
            doc_id = f"{folder}/{path.stem}"
            if path.stem in ("index", "genindex", "search"):
                skipped["index page"].append(doc_id)
                continue
            page = parse(path)
            text = "\n\n".join(page.blocks)
            if len(text) < MIN_CHARS:
                skipped["toctree or short page"].append(doc_id)
                continue
            title = page.h1_text
            parts = re.split(r"\s+[—–]\s+|:\s+", title, maxsplit=1)  # "re — Regular …", "email.charset: Representing …"
            if folder == "library" and page.h1_module and len(parts) == 2 and parts[0].strip() == page.h1_module:
                title = page.h1_module
                summaries[doc_id] = parts[1].strip().rstrip(".").strip()
            docs[doc_id] = (title, text)
    log(f"{len(docs)} pages, {len(summaries)} module pages with a summary; skipped "
        + ", ".join(f"{k}: {len(v)}" for k, v in skipped.items()))

    groups = defaultdict(list)
    for doc_id, summary in sorted(summaries.items()):
        groups[normal(summary)].append(doc_id)

    def usable(doc_id: str) -> bool:
        summary = summaries[doc_id]
        group = groups[normal(summary)]
        return (
            len(re.findall(r"[A-Za-z]{2,}", summary)) >= 2 and len(summary) <= 120
            and len(group) <= MAX_GROUP and group[0] == doc_id
        )

    candidates = [d for d in sorted(summaries) if usable(d)]
    chosen = sorted(random.Random(SEED).sample(candidates, min(MAX_QUERIES, len(candidates))))
    corpus = {d: (title, truncate(text, MAX_CHARS)) for d, (title, text) in docs.items()}
    queries = {f"q-{d}": summaries[d] for d in chosen}
    qrels = {f"q-{d}": groups[normal(summaries[d])] for d in chosen}

    folder = out / "pydoc-en"
    write(folder, corpus, queries, qrels)
    norm_docs = {d: normal(t) for d, (_, t) in corpus.items()}
    stats = {
        "documents": len(corpus), "queries": len(queries), "judgements": sum(map(len, qrels.values())),
        "multi": sum(len(v) > 1 for v in qrels.values()), "module_pages": len(summaries),
        "candidates": len(candidates),
        "by_folder": {f: sum(d.startswith(f + "/") for d in corpus) for f in FOLDERS},
        "truncated": sum(len(t) > MAX_CHARS for _, t in docs.values()),
        "mean_chars": sum(len(t) for _, t in corpus.values()) // len(corpus),
        "own": sum(normal(summaries[d]) in norm_docs[d] for d in chosen),
        "other": sum(any(normal(summaries[d]) in norm_docs[o] for o in corpus if o not in qrels[f"q-{d}"]) for d in chosen),
        "name_in_query": sum(corpus[d][0].split(".")[-1].lower() in summaries[d].lower() for d in chosen),
        "skipped": {k: len(v) for k, v in skipped.items()},
        "bytes": sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and p.name != "README.md"),
        "sha256": hashlib.sha256(deb.path.read_bytes()).hexdigest(),
    }
    readme(folder, stats)
    log(f"{folder}: { {k: v for k, v in stats.items() if k != 'sha256'} }")


def write(folder: Path, corpus, queries, qrels) -> None:
    (folder / "qrels").mkdir(parents=True, exist_ok=True)
    with (folder / "corpus.jsonl").open("w", encoding="utf-8") as f:
        for d in sorted(corpus):
            title, text = corpus[d]
            assert title.strip() and text.strip(), d
            f.write(json.dumps({"_id": d, "title": title, "text": text}, ensure_ascii=False) + "\n")
    with (folder / "queries.jsonl").open("w", encoding="utf-8") as f:
        for q in sorted(queries):
            f.write(json.dumps({"_id": q, "text": queries[q]}, ensure_ascii=False) + "\n")
    with (folder / "qrels/test.tsv").open("w", encoding="utf-8") as f:
        f.write("query-id\tcorpus-id\tscore\n")
        for q in sorted(qrels):
            for d in sorted(qrels[q]):
                assert d in corpus
                f.write(f"{q}\t{d}\t1\n")


def readme(folder: Path, s: dict) -> None:
    by_folder = ", ".join(f"{f}/ {n}" for f, n in s["by_folder"].items())
    text = f"""# pydoc-en: module summaries → Python documentation pages (English)

A small retrieval test set in BEIR format for `ragkb eval retrieval`: **{s['documents']} documents,
{s['queries']} queries, {s['judgements']} relevance judgements** (all grade 1), {s['bytes'] / 1e6:.1f} MB.

Source: the HTML documentation of Python 3.11.2 in the Debian 12 package `{PACKAGE}` {VERSION}
(`/usr/share/doc/python3.11/html`).

## How it is made

* **Documents**: one per HTML page of the folders {", ".join(FOLDERS)} ({by_folder}). The text is
  the page's main body (`<div class="body">`), one block per paragraph, list item, definition,
  heading or code block (blocks separated by a blank line, code keeps its line breaks), without
  the permalink marks (¶) and **without toctrees** (the link lists of chapter pages such as
  `library/text.html`, which repeat every module's summary). Pages left with fewer than {MIN_CHARS}
  characters are dropped ({s['skipped']}). **The page heading (h1) is not in the text**; it is the
  `title`, except on module pages, whose title is the bare module name (`re`). Texts longer than
  {MAX_CHARS} characters are cut at the last paragraph break before {MAX_CHARS} ({s['truncated']} documents;
  mean length {s['mean_chars']} characters). `_id` is the page path without `.html`
  (`library/re`).
* **Queries**: a library page documenting a module has the heading `re — Regular expression
  operations` (or `email.charset: Representing character sets`), its first link pointing to
  `#module-re`; the summary after the dash (trailing
  period stripped) is the query and that page is relevant ({s['module_pages']} such pages). A summary
  needs ≥ 2 words and ≤ 120 characters; a summary shared by 2–{MAX_GROUP} pages is one query with all of
  them relevant (queries with more than one relevant page: {s['multi']}). From the {s['candidates']} pages that qualify,
  {s['queries']} are used{" (drawn with random.Random(" + str(SEED) + "))" if s['candidates'] > MAX_QUERIES else ""}; query `_id` is `q-` + the page id.
* **Labels** come only from the documentation's structure (the heading belongs to its page).

## Caveats

* A known-item task: one relevant page per query. Closely related pages (the `asyncio-*` pages,
  `os` and `os.path`, `collections` and `collections.abc`) count as misses.
* The heading is removed, but in {s['own']} of {s['queries']} queries the summary (compared without case,
  blanks and punctuation) still occurs in the page's own text, and in {s['other']} it occurs in some
  other page; both left as is.
* In {s['queries'] and s['name_in_query']} queries the summary contains the module's name (`json — JSON encoder and
  decoder`), which is also the document title: those are easy lexical matches.
* Documentation of one Python version (3.11.2); many modules' summaries are short noun phrases.

## Licence

Python's documentation is © Python Software Foundation and licensed under the PSF License
Agreement; examples, recipes and other code in it are dual licensed under the PSF License
Agreement and the Zero-Clause BSD license (the documentation's "History and License" page,
`license.html`, and the package's `debian/copyright`). The pages are redistributed here as plain
text, truncated and without their headings as described.

Package: `{PACKAGE}` {VERSION}, Debian 12 (bookworm) `main`, sha256 of the .deb `{s['sha256']}`.

## Rebuild

```
python3 datasets/scripts/build_pydoc.py
```

It downloads the pinned .deb with `apt-get download` into `/tmp/ragkb-dataset-debs` (or
`--cache DIR`) and unpacks it with `dpkg-deb -x` into a temporary folder; nothing is installed.
If the pinned version has left the Debian mirror, put the .deb from https://snapshot.debian.org/
into the cache folder.
"""
    (folder / "README.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
