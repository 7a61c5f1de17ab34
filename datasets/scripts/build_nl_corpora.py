"""Corpora of the natural-language evaluation sets (handbook-en-nl, pydocs-en-nl, debref-zh-nl, manpages-zh-nl).

    apt-get download debian-handbook python3.11-doc debian-reference-zh-cn && for d in *.deb; do dpkg -x $d x; done
    python datasets/scripts/build_nl_corpora.py x/usr/share

Each document is one section of a manual: the text under a heading down to the next heading, as ragkb's
HTML loader reads it (``ragkb.ingest.loaders.load``), titled by its heading path. Sections shorter than
:data:`MIN_CHARS` are left out, longer ones cut at the last paragraph break before :data:`MAX_CHARS`.
manpages-zh-nl's corpus is datasets/manpages-zh's, cut the same way, its pages of sections 1 and 8
only. The questions (queries.jsonl, qrels/) were written by hand against these texts; this script
only makes corpus.jsonl, so rebuilding it must leave the documents the questions were checked on.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

from ragkb.ingest.loaders import load

MIN_CHARS = 150
MAX_CHARS = 2500
DATASETS = Path(__file__).resolve().parents[1]
SOURCES = {
    "handbook-en-nl": ("doc/debian-handbook/html/en-US", "*.html"),
    "pydocs-en-nl": ("doc/python3.11/html", "tutorial/*.html faq/*.html"),
    "debref-zh-nl": ("debian-reference", "*.zh-cn.html"),
}
PAGE_FURNITURE = {"Navigation", "Table of Contents", "Previous topic", "Next topic", "This Page", "Quick search"}
"""Sections of Sphinx's page chrome (the Python docs), left out."""
FURNITURE = {"Download the ebook", "Prev", "Next", "上一页", "下一页", "Debian Administrator's Handbook", "Debian 管理员手册"}


def cut(paragraphs: list[str]) -> str:
    """The paragraphs joined by blank lines, cut at the last paragraph break before MAX_CHARS."""
    text = ""
    for paragraph in paragraphs:
        joined = f"{text}\n\n{paragraph}" if text else paragraph
        if len(joined) > MAX_CHARS:
            return text or paragraph[:MAX_CHARS]
        text = joined
    return text


def sections(path: Path) -> list[tuple[str, str]]:
    """(heading path, text) of every section of one HTML file."""
    found: list[tuple[str, list[str]]] = []
    headings: list[tuple[int, str]] = []
    for block in load(path).blocks:
        if block.kind == "heading":
            headings = [h for h in headings if h[0] < block.level] + [(block.level, block.text.strip())]
            found.append((" > ".join(text for _, text in headings), []))
        elif found and block.text.strip() and block.text.strip() not in FURNITURE:
            found[-1][1].append(block.text.strip())
    return [(title, cut(paragraphs)) for title, paragraphs in found]


def write(name: str, documents: list[dict]) -> None:
    with open(DATASETS / name / "corpus.jsonl", "w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(document, ensure_ascii=False) + "\n" for document in documents)
    print(f"{name}: {len(documents)} documents, {sum(len(d['text']) for d in documents)} characters")


def main(share: Path) -> None:
    warnings.filterwarnings("ignore")  # BeautifulSoup on XHTML
    for name, (folder, patterns) in SOURCES.items():
        documents, seen = [], set()
        for pattern in patterns.split():
            for path in sorted((share / folder).glob(pattern)):
                stem = str(path.relative_to(share / folder)).removesuffix(".html").removesuffix(".zh-cn")
                for number, (title, text) in enumerate(sections(path)):
                    if len(text) >= MIN_CHARS and text not in seen and title.split(" > ")[-1] not in PAGE_FURNITURE:
                        seen.add(text)
                        documents.append({"_id": f"{stem}#{number}", "title": title, "text": text})
        write(name, documents)
    lines = (DATASETS / "manpages-zh" / "corpus.jsonl").read_text(encoding="utf-8").splitlines()
    pages = [json.loads(line) for line in lines]
    commands = [p for p in pages if p["_id"].rsplit(".", 1)[-1] in ("1", "8")]
    write("manpages-zh-nl", [{**p, "text": cut(p["text"].split("\n\n"))} for p in commands])


if __name__ == "__main__":
    main(Path(sys.argv[1]))
