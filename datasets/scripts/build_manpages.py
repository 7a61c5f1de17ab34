#!/usr/bin/env python3
"""Build the man-page retrieval datasets (BEIR format) from pinned Debian 12 packages.

    python3 datasets/scripts/build_manpages.py [--cache DIR] [--out datasets]

Writes datasets/manpages-zh, datasets/manpages-en and datasets/manpages-zh-options (corpus.jsonl,
queries.jsonl, qrels/test.tsv, README.md). Needs a Debian 12 (bookworm) machine with apt sources,
dpkg-deb and groff 1.22.4 (package groff-base). The .deb files are kept in --cache; a second run
downloads nothing. Nothing is installed: packages are unpacked with `dpkg-deb -x` into a temporary
folder. The output is deterministic (sorted, fixed seed).

Method, in short (details in each README):
  * manpages-zh / manpages-en: one document per man page, its NAME section removed; the query is the
    NAME section's one-line description ("ls - 列出目录内容" → "列出目录内容"); the relevant document
    is that page. Both sets hold the same pages (a zh page and its English original), same ids.
  * manpages-zh-options: the same zh pages with the NAME section kept; the query is the description
    of one option of a page, and that description is removed from the page (its option name stays).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from manpage_text import (  # noqa: E402
    Deb,
    ManFile,
    Page,
    Section,
    clean_line,
    extract,
    fetch_debs,
    han_count,
    is_alias,
    join_cjk,
    log,
    man_files,
    page_text,
    parse_rendered,
    render,
    section_paragraphs,
    truncate,
    word_spaced,
)

SEED = 20240601
MAX_CHARS = 6000
MAX_QUERIES = 300
GROFF_VERSION = "1.22.4"

ZH_PACKAGES = {"manpages-zh": "1.6.4.0-1"}

# English originals of the pages manpages-zh translates (Debian 12 versions, in order of preference
# when two packages ship the same page).
EN_PACKAGES = {
    "manpages": "6.03-2",
    "manpages-dev": "6.03-2",
    "coreutils": "9.1-1",
    "util-linux": "2.38.1-5+deb12u3",
    "procps": "2:4.0.2-3",
    "findutils": "4.9.0-4",
    "grep": "3.8-5",
    "sed": "4.9-1+deb12u1",
    "tar": "1.34+dfsg-1.2+deb12u1",
    "gzip": "1.12-1",
    "bzip2": "1.0.8-5+b1",
    "diffutils": "1:3.8-4",
    "bash": "5.2.15-2+b13",
    "groff-base": "1.22.4-10",
    "mount": "2.38.1-5+deb12u3",
    "fdisk": "2.38.1-5+deb12u3",
    "bsdutils": "1:2.38.1-5+deb12u3",
    "bsdextrautils": "2.38.1-5+deb12u3",
    "eject": "2.38.1-5+deb12u3",
    "e2fsprogs": "1.47.0-2+b2",
    "psmisc": "23.6-1",
    "kmod": "30+20221128-1",
    "net-tools": "2.10-0.1+deb12u2",
    "iputils-ping": "3:20221126-1+deb12u1",
    "hostname": "3.23+nmu1",
    "ncurses-bin": "6.4-4",
    "gettext-base": "0.21-12",
    "file": "1:5.44-3",
    "unzip": "6.0-28+deb12u1",
    "xxd": "2:9.0.1378-2+deb12u2",
    "vim-runtime": "2:9.0.1378-2+deb12u2",
    "binutils-common": "2.40-2",
    "openssh-client": "1:9.2p1-2+deb12u10",
    "systemd": "252.39-1~deb12u2",
    "systemd-sysv": "252.39-1~deb12u2",
    "kbd": "2.5.1-1+b1",
    "at": "3.2.5-1+b1",
    "cron": "3.0pl1-162",
    "iptables": "1.8.9-2",
    "tcpdump": "4.99.3-1",
    "pciutils": "1:3.9.0-4",
    "quota": "4.06-1+b2",
    "ppp": "2.4.9-1+1.1+b1",
    "nfs-kernel-server": "1:2.6.2-4+deb12u1",
    "xinetd": "1:2.3.15.3-1+b1",
    "bind9-host": "1:9.18.49-1~deb12u3",
    "bind9-dnsutils": "1:9.18.49-1~deb12u3",
    "sharutils": "1:4.15.2-9",
    "texinfo": "6.8-6+b1",
    "install-info": "6.8-6+b1",
    "subversion": "1.14.2-4+deb12u1",
    "samba-common-bin": "2:4.17.12+dfsg-0+deb12u4",
    "smbclient": "2:4.17.12+dfsg-0+deb12u4",
    "finger": "0.17-17",
    "x11-xserver-utils": "7.7+9+b1",
    "apache2-utils": "2.4.71-1~deb12u1",
    "procmail": "3.22-27",
    "whois": "5.5.17",
    "minicom": "2.8-2",
    "msmtp": "1.8.23-1",
    "rpm": "4.18.0+dfsg-1+deb12u1",
    "perl-base": "5.36.0-7+deb12u4",
    "libpq-dev": "15.20-0+deb12u1",
    "postgresql-client-15": "15.20-0+deb12u1",
    "postgresql-15": "15.20-0+deb12u1",
    "tcl8.6-doc": "8.6.13+dfsg-2",
    "tk8.6-doc": "8.6.13-2",
}

# zh page → English page where the file names differ (checked by hand against both NAME lines).
# Besides these, a lower-case zh page matches an all-upper-case English page (PostgreSQL's SQL
# reference: alter_table.7 ↔ ALTER_TABLE.7). Other case differences are different pages
# (BWidget's Button.3tk is not Tk's button.3tk).
EN_RENAMES = {
    "environ.5": "environ.7",
    "dmesg.8": "dmesg.1",
    "nsswitch.5": "nsswitch.conf.5",
    "Tcl.7tcl": "Tcl.3tcl",
    "Http.3tcl": "http.3tcl",
    "lower.3tcl": "lower.3tk",
    "raise.3tcl": "raise.3tk",
    "chooseColor.3tk": "tk_chooseColor.3tk",
    "chooseDirectory.3tk": "tk_chooseDirectory.3tk",
    "focusNext.3tk": "tk_focusNext.3tk",
    "messageBox.3tk": "tk_messageBox.3tk",
    "optionMenu.3tk": "tk_optionMenu.3tk",
    "popup.3tk": "tk_popup.3tk",
}

NAME_HEADING = re.compile(r"NAME|名称|名字|命令名", re.I)
NAME_SPLIT = re.compile(r"\s+(?:\\-|-|—|–|--)\s+|\s*—\s*")
MIN_BODY_CHARS = 300
MIN_ZH_BODY_HAN = 100
MAX_GROUP = 3
"""A description shared by 2–3 pages makes one query with all of them relevant; by more: dropped."""


@dataclass
class Doc:
    page: str  # file name without .gz: "ls.1"
    package: str
    version: str
    title: str  # "ls(1)"
    names: str  # "ls" / "at, batch, atq, atrm"
    description: str  # NAME line description
    body: Page  # rendered page, NAME section removed
    full: Page  # rendered page


def title_of(page: str) -> str:
    name, section = page.rsplit(".", 1)
    return f"{name}({section})"


def split_name(page: Page) -> tuple[str, str, list[Section]] | None:
    """(names, description, the other sections) when the first section is a parsable NAME section."""
    if not page.sections or not NAME_HEADING.search(page.sections[0].heading):
        return None
    lines = [line for paragraph in section_paragraphs(page.sections[0]) for line in paragraph.split("\n")]
    if not lines:
        return None
    parts = NAME_SPLIT.split(lines[0], maxsplit=1)
    if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
        return None
    names, description = parts[0].strip(), parts[1].strip()
    for line in lines[1:]:
        if NAME_SPLIT.search(line):
            break  # a further "names - description" entry (bzip2, bzcat, bzip2recover): only the first counts
        description += " " + line  # a description broken over lines
    return names, description, page.sections[1:]


def load_pages(files: list[ManFile], debs: dict[str, Deb], fallback: str) -> dict[str, Doc]:
    with ThreadPoolExecutor(16) as pool:
        rendered = list(pool.map(lambda m: render(m, fallback), files))
    docs = {}
    for man, text in zip(files, rendered):
        page = parse_rendered(text)
        split = split_name(page)
        if split is None:
            log(f"  skip {man.package}:{man.page}: no NAME line")
            continue
        names, description, rest = split
        docs[man.page] = Doc(
            man.page, man.package, debs[man.package].version, title_of(man.page), names, description,
            Page(page.header, rest), page,
        )
    return docs


def english_index(debs: dict[str, Deb], tmp: Path) -> dict[str, ManFile]:
    """page → the first package's non-alias man file, over EN_PACKAGES in order."""
    index: dict[str, ManFile] = {}
    for package in EN_PACKAGES:
        root = extract(debs[package], tmp)
        roots = [root / "usr/share/man", *sorted(root.glob("usr/share/postgresql/*/man"))]
        for man_root in roots:
            if man_root.is_dir():
                for man in man_files(package, man_root):
                    if man.page not in index and not is_alias(man, "latin-1"):
                        index[man.page] = man
    return index


def match_english(zh_pages: list[str], index: dict[str, ManFile]) -> dict[str, ManFile]:
    upper = {page.upper(): man for page, man in index.items() if page.rsplit(".", 1)[0].isupper()}
    matched: dict[str, ManFile] = {}
    for page in sorted(zh_pages):
        if page in EN_RENAMES:
            man = index.get(EN_RENAMES[page])
        elif page in index:
            man = index[page]
        elif page.rsplit(".", 1)[0].islower():
            man = upper.get(page.upper())
        else:
            man = None
        if man is not None:
            matched[page] = man
    used = Counter(man.page for man in matched.values())
    assert max(used.values()) == 1, [p for p, n in used.items() if n > 1]
    return matched


# --------------------------------------------------------------------------- queries


def zh_body_text(sections: list[Section], spaced: bool) -> str:
    text = page_text(sections)
    return join_cjk(text) if spaced else text


def clean_zh_description(text: str, spaced: bool) -> str:
    if spaced or word_spaced(text):
        text = join_cjk(text)
    text = re.sub(r"\s*译注[:：].*$", "", text)  # a translator's note appended to the NAME line
    return text.strip().rstrip("。.；;，, ")


def clean_en_description(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().rstrip(".;, ")


def zh_query_ok(text: str) -> bool:
    return han_count(text) >= 4 and len(text) <= 80


def en_query_ok(text: str) -> bool:
    return len(re.findall(r"[A-Za-z]{2,}", text)) >= 3 and len(text) <= 160


def normal(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


def description_groups(descriptions: dict[str, str]) -> dict[str, list[str]]:
    """page → pages sharing its normalised description (itself included)."""
    by_text = defaultdict(list)
    for page, text in sorted(descriptions.items()):
        by_text[normal(text)].append(page)
    return {page: by_text[normal(text)] for page, text in descriptions.items()}


# --------------------------------------------------------------------------- writing


def write_dataset(folder: Path, corpus: dict[str, tuple[str, str]], queries: dict[str, str], qrels: dict[str, list[str]]):
    if folder.exists():
        for name in ("corpus.jsonl", "queries.jsonl", "qrels/test.tsv"):
            (folder / name).unlink(missing_ok=True)
    (folder / "qrels").mkdir(parents=True, exist_ok=True)
    with (folder / "corpus.jsonl").open("w", encoding="utf-8") as out:
        for doc_id in sorted(corpus):
            title, text = corpus[doc_id]
            assert text.strip(), doc_id
            out.write(json.dumps({"_id": doc_id, "title": title, "text": text}, ensure_ascii=False) + "\n")
    with (folder / "queries.jsonl").open("w", encoding="utf-8") as out:
        for query_id in sorted(queries):
            assert queries[query_id].strip(), query_id
            out.write(json.dumps({"_id": query_id, "text": queries[query_id]}, ensure_ascii=False) + "\n")
    with (folder / "qrels/test.tsv").open("w", encoding="utf-8") as out:
        out.write("query-id\tcorpus-id\tscore\n")
        for query_id in sorted(qrels):
            assert query_id in queries
            for doc_id in sorted(qrels[query_id]):
                assert doc_id in corpus, doc_id
                out.write(f"{query_id}\t{doc_id}\t1\n")


def licences(deb: Deb, tmp: Path) -> str:
    copyright_file = extract(deb, tmp) / "usr/share/doc" / deb.package / "copyright"
    if not copyright_file.exists():
        return "see the package's copyright file"
    text = copyright_file.read_text(encoding="utf-8", errors="replace")
    found = sorted({m.strip() for m in re.findall(r"^License:\s*(.+)$", text, re.M)})
    if not found:
        return f"see /usr/share/doc/{deb.package}/copyright (not machine-readable)"
    return ", ".join(found)


def size_of(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and p.name != "README.md")


def package_table(used: Counter, debs: dict[str, Deb], tmp: Path) -> str:
    rows = ["| package | version | pages | licences named in debian/copyright | sha256 of the .deb |", "|---|---|---|---|---|"]
    for package in sorted(used):
        deb = debs[package]
        rows.append(f"| {package} | {deb.version} | {used[package]} | {licences(deb, tmp)} | `{deb.sha256}` |")
    return "\n".join(rows)


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "ragkb-dataset-debs",
                        help="folder for the downloaded .deb files (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent,
                        help="folder that receives the dataset folders (default: %(default)s)")
    args = parser.parse_args()

    version = subprocess.run(["groff", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    if GROFF_VERSION not in version:
        log(f"warning: built with groff {GROFF_VERSION}, this is {version!r}: the text may differ slightly")

    debs = fetch_debs({**ZH_PACKAGES, **EN_PACKAGES}, args.cache)
    tmp = Path(tempfile.mkdtemp(prefix="ragkb-manpages-"))
    try:
        build(debs, tmp, args.out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def build(debs: dict[str, Deb], tmp: Path, out: Path) -> None:
    log("rendering zh_CN pages")
    zh_root = extract(debs["manpages-zh"], tmp) / "usr/share/man/zh_CN"
    zh_files = [m for m in man_files("manpages-zh", zh_root) if not is_alias(m, "gb18030")]
    log("indexing English pages")
    en_index = english_index(debs, tmp)
    matched = match_english([m.page for m in zh_files], en_index)
    zh = load_pages([m for m in zh_files if m.page in matched], debs, "gb18030")
    log("rendering English pages")
    en_by_en_page = load_pages([matched[p] for p in sorted(zh)], debs, "latin-1")
    en = {p: en_by_en_page[matched[p].page] for p in sorted(zh) if matched[p].page in en_by_en_page}

    # Document texts (NAME section removed), the same page set in both languages.
    zh_spaced = {p for p, d in zh.items() if word_spaced(page_text(d.full.sections))}
    zh_text = {p: zh_body_text(d.body.sections, p in zh_spaced) for p, d in zh.items()}
    en_text = {p: page_text(d.body.sections) for p, d in en.items()}
    pages = sorted(
        p for p in zh
        if p in en and len(zh_text[p]) >= MIN_BODY_CHARS and len(en_text[p]) >= MIN_BODY_CHARS
    )
    log(f"{len(zh_files)} zh pages, {len(matched)} with an English original, {len(pages)} in both corpora")

    zh_desc = {p: clean_zh_description(zh[p].description, p in zh_spaced) for p in pages}
    en_desc = {p: clean_en_description(en[p].description) for p in pages}
    zh_groups, en_groups = description_groups(zh_desc), description_groups(en_desc)

    def usable(p: str) -> bool:
        # Query pages: a Chinese description of a page with a Chinese body (some pages are only
        # partly translated), an English description, each shared by at most MAX_GROUP pages, and
        # p the first page of its group in both languages (one query per description).
        return (
            zh_query_ok(zh_desc[p]) and not (normal(en_desc[p]) in normal(zh_desc[p]))  # "listen … 在一个套接字上倾听连接" and en_query_ok(en_desc[p]) and han_count(zh_text[p]) >= MIN_ZH_BODY_HAN
            and len(zh_groups[p]) <= MAX_GROUP and len(en_groups[p]) <= MAX_GROUP
            and zh_groups[p][0] == p and en_groups[p][0] == p
        )

    candidates = [p for p in pages if usable(p)]
    chosen = sorted(random.Random(SEED).sample(candidates, min(MAX_QUERIES, len(candidates))))
    log(f"{len(candidates)} pages could be queries, {len(chosen)} chosen")

    for lang, texts, descs, groups, docs in (
        ("zh", zh_text, zh_desc, zh_groups, zh),
        ("en", en_text, en_desc, en_groups, en),
    ):
        folder = out / f"manpages-{lang}"
        corpus = {p: (docs[p].title, truncate(texts[p], MAX_CHARS)) for p in pages}
        queries = {f"q-{p}": descs[p] for p in chosen}
        qrels = {f"q-{p}": groups[p] for p in chosen}
        write_dataset(folder, corpus, queries, qrels)
        verbatim = sum(normal(descs[p]) in normal(corpus[p][1]) for p in chosen)
        stats = {
            "documents": len(corpus),
            "queries": len(queries),
            "judgements": sum(len(v) for v in qrels.values()),
            "multi": sum(len(v) > 1 for v in qrels.values()),
            "truncated": sum(len(texts[p]) > MAX_CHARS for p in pages),
            "verbatim": verbatim,
            "candidates": len(candidates),
            "bytes": size_of(folder),
            "mean_chars": sum(len(t) for _, t in corpus.values()) // len(corpus),
        }
        used = Counter(docs[p].package for p in pages)
        write_readme_manpages(folder, lang, stats, package_table(used, debs, tmp))
        log(f"{folder}: {stats}")

    build_options(out, pages, zh, en, zh_spaced, debs, tmp)


def write_readme_options(folder: Path, stats: dict, packages: str) -> None:
    examples = "\n".join(f"  * `{p}` option `{tag}` → query `{text}`" for p, tag, text in stats["examples"])
    text = f"""# manpages-zh-options: option descriptions → man pages (Chinese)

A small retrieval test set in BEIR format for `ragkb eval retrieval`: **{stats['documents']} documents,
{stats['queries']} queries, {stats['judgements']} relevance judgements** (grade 1, one relevant page per query),
{stats['bytes'] / 1e6:.1f} MB. The question it asks: *which command has an option that does this?*

Source: Debian 12 package `manpages-zh` (Chinese translations of man pages), the same 557 pages as
`manpages-zh`; the English originals (see `manpages-en`) are used only to filter queries.

## How it is made

* **Documents**: one per man page, rendered exactly as in `manpages-zh` (groff {GROFF_VERSION}, plain text,
  one block per heading and per paragraph, blanks between words of older translations removed,
  cut at a paragraph break before {MAX_CHARS} characters: {stats['truncated']} documents; mean
  {stats['mean_chars']} characters), but **with the NAME section kept**. `_id` is the man page file
  name, `title` is `name(section)`.
* **Option items** are read from the rendered layout: a line starting with `-x`/`--xxx` (no Han
  characters, ≤ 60 characters) followed by lines indented deeper, or a short tag and its text on one
  line. The first paragraph of the text is the item's description. {stats['items']} items.
* **Queries**: the description of one option item, **and that description is removed from its
  page** (the option's tag line stays, so the page still lists the option; only the explanation
  is gone). An item can be a query only if its description
  * has ≥ {MIN_OPTION_HAN} Han characters, Han characters are ≥ 40 % of its letters, ≤ {MAX_OPTION_CHARS} characters,
    and does not end with a colon (the lead-in of a list);
  * does not contain the command's own name(s) (from its NAME line), nor is an alias note
    (`与 --entry TEXT 相同`);
  * is not on any other page, verbatim (compared without punctuation and blanks), nor nearly
    (character-bigram Jaccard ≥ {MAX_SIMILARITY} with an option description of another page), and not
    twice on its own page, and shares no run of {MAX_SHARED_RUN} or more characters with what is left of
    its page (sibling options worded alike: `head -c` / `head -n`);
  * has an English original: the English page has an item with a shared option token, and that
    English description is not on any other English page, verbatim or nearly (word Jaccard ≥ {MAX_SIMILARITY}).
    This catches options shared by related commands whose translations differ (the `--ignore-missing`
    of `sha224sum` and `sha512sum`, `head -q` / `tail -q`);
  * lies before the truncation point.
  {stats['usable']} items on {stats['usable_pages']} pages pass; one item per page is drawn with
  `random.Random({SEED})`{", then " + str(MAX_QUERIES) + " pages" if stats['usable_pages'] > MAX_QUERIES else ""}. Query `_id` is `q-` + the page id.
* **Labels** come only from the page structure (the page the description was taken from).
* Examples:
{examples}

## Caveats

* The relevant page no longer contains the query text, so a retriever has to match a behaviour
  to the rest of the page (its other options, its description, its topic). It is not a verbatim
  lookup, but it is still fairly lexical: an option's description shares terms with its sibling
  options and with the page's description (`代理服务器主机` of `-proxyhost` and the `-proxyport`
  item), so BM25 alone does well. Do not compare its scores with `manpages-zh`.
* One relevant page per query. The filters remove descriptions repeated on other pages, in
  Chinese and in English, but another command can still offer a similar behaviour in other words;
  such a page counts as a miss. Some descriptions are short and would be ambiguous to a human as
  well (`输出换行符统计数` is `wc -l`).
* Some item descriptions continue in further paragraphs; only the first paragraph is the query
  and is removed, the rest stays in the page.
* The translations come from different eras and vary in quality.

## Sources

{packages}

plus, for the filter only, the English packages listed in `manpages-en/README.md`. All from
Debian 12 (bookworm) `main`. Licence: the translations are GFDL-1.2+ (a few pages GPL), see the
package's `debian/copyright`. The pages are redistributed here as rendered plain text, truncated and
with one description removed as described.

## Rebuild

```
apt-get update && apt-get install -y groff-base   # groff {GROFF_VERSION} on Debian 12
python3 datasets/scripts/build_manpages.py
```

It also rebuilds `manpages-zh` and `manpages-en` (see their READMEs); the English packages are
downloaded too because they are used for the filter above.
"""
    (folder / "README.md").write_text(text, encoding="utf-8")


def write_readme_manpages(folder: Path, lang: str, stats: dict, packages: str) -> None:
    other = "manpages-en" if lang == "zh" else "manpages-zh"
    language = "Simplified Chinese" if lang == "zh" else "English"
    example = (
        "`ls - 列出目录内容` gives the query `列出目录内容`; the document `ls.1` (title `ls(1)`)"
        if lang == "zh"
        else "`ls - list directory contents` gives the query `list directory contents`; the document `ls.1` (title `ls(1)`)"
    )
    source = (
        "Debian 12 package `manpages-zh` (Chinese translations of man pages, `/usr/share/man/zh_CN`)"
        if lang == "zh"
        else "the English originals of the pages in `manpages-zh`, from the Debian 12 packages listed below "
        "(`/usr/share/man/man*` and PostgreSQL's `/usr/share/postgresql/15/man`)"
    )
    text = f"""# manpages-{lang}: man-page descriptions → man pages ({language})

A small retrieval test set in BEIR format for `ragkb eval retrieval`: **{stats['documents']} documents,
{stats['queries']} queries, {stats['judgements']} relevance judgements** (all grade 1), {stats['bytes'] / 1e6:.1f} MB.

Source: {source}. It is the twin of `{other}`: both hold the same pages (the Chinese translation and
its English original, same document ids), and the queries come from the same pages, so the two
scores are comparable (the translations are often of older versions of the pages, so the texts are
not parallel sentence by sentence).

## How it is made

* **Documents**: one per man page. The page is rendered to plain text by groff {GROFF_VERSION}
  (`groff -Kutf-8 -t -s -mandoc -Tutf8 -rLL=5000n -rcR=1 -rHY=0 -P-cbou`: no line wrapping, no
  hyphenation, no overstrike), the running header/footer and box rules are dropped, each section
  heading and each paragraph becomes a block separated by a blank line, runs of blanks become one.
  {"In pages that put blanks between words (older translations: a blank between two CJK characters for every ≤ 12 Han characters) those blanks are removed, in their text and their query. " if lang == "zh" else ""}**The NAME
  section is removed**, so the query text does not come with its page. Texts longer than {MAX_CHARS}
  characters are cut at the last paragraph break before {MAX_CHARS} characters ({stats['truncated']}
  documents); mean length {stats['mean_chars']} characters. `_id` is the man page file name
  (`ls.1`, `after.3tcl`), `title` is `name(section)`.
* **Pages kept**: pages that are not symlinks or `.so` stubs, whose first section is a NAME section
  of the form `names - description`, that exist in both `manpages-zh` and the English packages
  (same file name, or a lower-case zh PostgreSQL SQL page and its upper-case English file, or one of
  {len(EN_RENAMES)} renames listed in `EN_RENAMES` in the script), and whose text without NAME has
  at least {MIN_BODY_CHARS} characters in both languages.
* **Queries**: the description part of the NAME line. {example} is relevant. Trailing
  punctuation is stripped. A page gives a query only when the Chinese description has ≥ 4 Han
  characters and ≤ 80 characters, the Chinese page body has ≥ {MIN_ZH_BODY_HAN} Han characters (some
  pages are only partly translated), the English description has ≥ 3 words and ≤ 160 characters
  and is not copied into the Chinese one (`listen for connections on a socket 在一个套接字上倾听连接`),
  and the description (compared lower-cased without punctuation) is shared by at most {MAX_GROUP}
  pages in each language. When 2–{MAX_GROUP} pages share it, it is one query and all of them are
  relevant (queries with more than one relevant page: {stats['multi']}). From the {stats['candidates']} pages that qualify, {stats['queries']} are drawn with
  `random.Random({SEED})` (the same pages for zh and en); query `_id` is `q-` + the page id.
* **Labels** come only from the page structure (the NAME line belongs to its page); nothing was
  judged by hand.

## Caveats

* A known-item task: one relevant page per query (a few have 2–3). Other pages can be on topic
  too (e.g. a library function and the command of the same name); they count as misses.
* The NAME line is removed, but in {stats['verbatim']} of {stats['queries']} queries the description also
  appears verbatim elsewhere in the (truncated) page, typically in DESCRIPTION; that is left as is.
* The title (`ls(1)`) is the command name, which queries rarely contain; documents also keep
  their SYNOPSIS, so the command name is in the text.
* {"The translations come from different eras (some date from 2000–2004) and vary in quality." if lang == "zh" else "Documents are the current Debian 12 pages, often much newer than their Chinese translations."}

## Sources

{packages}

All packages are from Debian 12 (bookworm) `main`. The licence column lists every licence named in
the package's `debian/copyright`; which one covers a given page is said there (manpages-zh:
GFDL-1.2+ for the translations, with a few GPL pages). The pages are redistributed here as
rendered plain text, truncated as described.

## Rebuild

```
apt-get update && apt-get install -y groff-base   # groff {GROFF_VERSION} on Debian 12
python3 datasets/scripts/build_manpages.py
```

It downloads the pinned .deb files with `apt-get download` into `/tmp/ragkb-dataset-debs` (or
`--cache DIR`), unpacks them with `dpkg-deb -x` into a temporary folder (nothing is installed)
and rewrites `datasets/manpages-zh`, `datasets/manpages-en` and `datasets/manpages-zh-options`.
If a pinned version has left the Debian mirror (security updates replace some), put the .deb
from https://snapshot.debian.org/ into the cache folder; the sha256 sums above identify them.
"""
    (folder / "README.md").write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------- manpages-zh-options

OPTION_TAG = re.compile(r"^[-+]{1,2}[A-Za-z0-9?#]")
SAME_LINE = re.compile(r"^(\S.*?\S|\S) {2,}(\S.*)$")  # "-c     与 -lt 一起使用时…" (short .TP tag)
OPTION_TOKEN = re.compile(r"(?<![\w-])--?[A-Za-z0-9?#][\w-]*")
ALIAS_WORDS = re.compile(r"相同|等同|等价|同义|相当于")
MIN_OPTION_HAN = 8
MAX_OPTION_CHARS = 100
MAX_SIMILARITY = 0.5
MAX_SHARED_RUN = 16


@dataclass
class OptionEntry:
    section: int  # index into Page.sections
    tag_line: int  # index into Section.lines
    desc_lines: list[int]  # the description's first paragraph
    same_line: bool  # description starts on the tag line
    tag: str
    text: str


def tag_ok(tag: str) -> bool:
    return bool(OPTION_TAG.match(tag)) and len(tag) <= 60 and han_count(tag) == 0


def option_tokens(tag: str) -> set[str]:
    return set(OPTION_TOKEN.findall(tag))


def indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def option_entries(page: Page) -> list[OptionEntry]:
    """Option items of a rendered page: a line starting with -x/--xxx, its description below it
    indented deeper (or on the same line after a gap), up to the next blank line."""
    entries = []
    for s, section in enumerate(page.sections):
        lines = section.lines
        for i, line in enumerate(lines):
            stripped = line.strip()
            if not OPTION_TAG.match(stripped):
                continue
            level = indent(line)
            desc, same = [], False
            head = SAME_LINE.match(stripped)
            if head and tag_ok(head.group(1)) and not OPTION_TAG.match(head.group(2)):
                tag, first = head.group(1), head.group(2)
                same = True
                parts = [first]
            elif tag_ok(stripped):
                tag, parts = stripped, []
            else:
                continue  # a paragraph that starts with a dash
            j = i + 1
            while j < len(lines) and lines[j].strip() and indent(lines[j]) > level:
                desc.append(j)
                parts.append(lines[j].strip())
                j += 1
            if same and j < len(lines) and lines[j].strip():
                continue  # a same-line item followed by lines at its own level: not a tag/description pair
            if parts:
                entries.append(OptionEntry(s, i, desc, same, tag, " ".join(parts)))
    return entries


def without_entry(page: Page, entry: OptionEntry) -> Page:
    sections = []
    for s, section in enumerate(page.sections):
        if s != entry.section:
            sections.append(section)
            continue
        lines = list(section.lines)
        if entry.same_line:
            line = lines[entry.tag_line]
            lines[entry.tag_line] = line[: indent(line)] + entry.tag
        for j in sorted(entry.desc_lines, reverse=True):
            del lines[j]
        sections.append(Section(section.heading, lines))
    return Page(page.header, sections)


def bigrams(text: str) -> set[str]:
    text = normal(text)
    return {text[i : i + 2] for i in range(len(text) - 1)}


def shared_run(a: str, b: str) -> int:
    """Length of the longest run of characters that a and b have in common."""
    return SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b)).size


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def similarity(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def option_query_ok(text: str) -> bool:
    han = han_count(text)
    latin = len(re.findall(r"[A-Za-z]", text))
    return (
        han >= MIN_OPTION_HAN and han >= 0.4 * (han + latin) and len(text) <= MAX_OPTION_CHARS
        and not text.endswith((":", "："))  # "列出每个压缩文件的如下项目：" introduces a list
    )


def build_options(out: Path, pages: list[str], zh: dict[str, Doc], en: dict[str, Doc], spaced: set[str], debs: dict[str, Deb], tmp: Path) -> None:
    def zh_text(page: Page, p: str) -> str:
        text = page_text(page.sections)
        return join_cjk(text) if p in spaced else text

    full_text = {p: truncate(zh_text(zh[p].full, p), MAX_CHARS) for p in pages}
    entries: dict[str, list[tuple[OptionEntry, str]]] = {}
    for p in pages:
        if han_count(full_text[p]) < MIN_ZH_BODY_HAN:
            continue
        found = []
        for entry in option_entries(zh[p].full):
            text = clean_line(join_cjk(entry.text) if p in spaced else entry.text)
            found.append((entry, text))
        entries[p] = found

    # Descriptions that occur (near-)identically on two pages are ambiguous: the same option of two
    # related commands (chown/chgrp --dereference, the --help and --version of every coreutils page).
    owners = defaultdict(set)
    for p, found in entries.items():
        for _, text in found:
            owners[normal(text)].add(p)
    grams = [(p, bigrams(text)) for p, found in sorted(entries.items()) for _, text in found]
    all_norm = {p: normal(full_text[p]) for p in pages}

    # The English originals: the same option's English description must be unique too (help2man
    # pages of related commands share their English strings while the translations vary).
    en_items = {p: [(option_tokens(e.tag), normal(e.text)) for e in option_entries(en[p].full)] for p in pages}
    en_words = [(p, words(e.text)) for p in pages for e in option_entries(en[p].full)]
    en_norm = {p: normal(page_text(en[p].full.sections)) for p in pages}
    names = {p: {n.strip().lower() for n in re.split(r"[,，\s]+", zh[p].names + " " + p.rsplit(".", 1)[0]) if n.strip()}
             for p in pages}

    def mentions_name(p: str, text: str) -> bool:
        lower = text.lower()
        return any(re.search(rf"(?<![A-Za-z0-9_]){re.escape(n)}(?![A-Za-z0-9_])", lower) for n in names[p])

    candidates: dict[str, list[tuple[OptionEntry, str, str]]] = {}
    for p, found in sorted(entries.items()):
        for entry, text in found:
            key = normal(text)
            if not option_query_ok(text) or len(owners[key]) > 1 or len(key) < 6:
                continue
            if mentions_name(p, text):
                continue  # "showkey 在标准错误上显示版本号": the command name gives the page away
            if ALIAS_WORDS.search(text) and OPTION_TOKEN.search(text):
                continue  # "与 --entry TEXT 相同": means nothing on its own
            tokens = option_tokens(entry.tag)
            originals = [t for toks, t in en_items[p] if toks & tokens]
            original_words = [words(e.text) for e in option_entries(en[p].full) if option_tokens(e.tag) & tokens]
            if not originals or not all(len(t) >= 6 for t in originals):
                continue  # no English original found for the option
            if any(t in en_norm[o] for t in originals for o in pages if o != p):
                continue  # the English original is on another page as well
            if any(o != p and similarity(w, ow) >= MAX_SIMILARITY for w in original_words for o, ow in en_words):
                continue  # a near-identical English option on another page (head -q / tail -q)
            if any(key in all_norm[o] for o in pages if o != p):
                continue  # verbatim on another page
            mine = bigrams(text)
            if any(o != p and similarity(mine, g) >= MAX_SIMILARITY for o, g in grams):
                continue
            doc = truncate(zh_text(without_entry(zh[p].full, entry), p), MAX_CHARS)
            if key in normal(doc):
                continue  # said twice on its own page
            if shared_run(text, doc) >= MAX_SHARED_RUN:
                continue  # a sibling option worded the same way (head -c / head -n)
            if normal(entry.tag) not in normal(doc):
                continue  # the option is past the truncation point
            candidates.setdefault(p, []).append((entry, text, doc))

    rng = random.Random(SEED)
    picked = {p: rng.choice(candidates[p]) for p in sorted(candidates)}
    chosen = sorted(rng.sample(sorted(picked), min(MAX_QUERIES, len(picked))))
    log(f"options: {sum(len(v) for v in entries.values())} option items on {len(entries)} Chinese pages, "
        f"{sum(len(v) for v in candidates.values())} usable on {len(candidates)} pages, {len(chosen)} chosen")

    folder = out / "manpages-zh-options"
    corpus = {p: (zh[p].title, full_text[p]) for p in pages}
    for p in chosen:
        corpus[p] = (zh[p].title, picked[p][2])
    queries = {f"q-{p}": picked[p][1] for p in chosen}
    qrels = {f"q-{p}": [p] for p in chosen}
    write_dataset(folder, corpus, queries, qrels)
    stats = {
        "documents": len(corpus), "queries": len(queries), "judgements": len(chosen),
        "items": sum(len(v) for v in entries.values()), "usable": sum(len(v) for v in candidates.values()),
        "usable_pages": len(candidates), "bytes": size_of(folder),
        "mean_chars": sum(len(t) for _, t in corpus.values()) // len(corpus),
        "truncated": sum(len(zh_text(zh[p].full, p)) > MAX_CHARS for p in pages),
        "examples": [(p, picked[p][0].tag, picked[p][1]) for p in chosen[:3]],
    }
    used = Counter(zh[p].package for p in pages)
    write_readme_options(folder, stats, package_table(used, debs, tmp))
    log(f"{folder}: { {k: v for k, v in stats.items() if k != 'examples'} }")


if __name__ == "__main__":
    main()
