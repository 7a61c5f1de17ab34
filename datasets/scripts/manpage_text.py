"""Fetch Debian packages, extract them, and render their man pages to plain text.

Shared by build_manpages.py. Needs Debian tools on PATH: apt-get (only when a pinned .deb is not
already in the cache folder), dpkg-deb and groff (groff-base; the datasets were built with groff
1.22.4, a different groff can change line breaks and so the text).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CJK_GAP = re.compile(f"(?<=[{CJK}])[ \t]+(?=[{CJK}])")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def han_count(text: str) -> int:
    return len(HAN.findall(text))


def join_cjk(text: str) -> str:
    """Remove the blanks between two CJK characters."""
    return _CJK_GAP.sub("", text)


def word_spaced(text: str) -> bool:
    """Whether a Chinese text puts blanks between words, as the older CMPP translations do.

    Such pages have a blank between two CJK characters for every 5–10 Han characters; the other
    pages have one for every 25 or more (in synopses, lists, tables), where the blank matters.
    """
    return len(_CJK_GAP.findall(text)) >= max(2, 0.08 * han_count(text))


# --------------------------------------------------------------------------- packages


@dataclass
class Deb:
    package: str
    version: str
    path: Path

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def _deb_fields(path: Path) -> tuple[str, str]:
    out = subprocess.run(["dpkg-deb", "-f", str(path), "Package", "Version"], check=True, capture_output=True, text=True)
    fields = dict(line.split(": ", 1) for line in out.stdout.splitlines() if ": " in line)
    return fields["Package"], fields["Version"]


def fetch_debs(pins: dict[str, str], cache: Path) -> dict[str, Deb]:
    """The .deb of each pinned package=version, from the cache folder or else `apt-get download`."""
    cache.mkdir(parents=True, exist_ok=True)

    def scan() -> dict[tuple[str, str], Path]:
        found = {}
        for path in sorted(cache.glob("*.deb")):
            found[_deb_fields(path)] = path
        return found

    have = scan()
    missing = [f"{p}={v}" for p, v in sorted(pins.items()) if (p, v) not in have]
    if missing:
        log(f"apt-get download {len(missing)} packages into {cache}")
        result = subprocess.run(["apt-get", "download", *missing], cwd=cache, capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(
                f"apt-get download failed:\n{result.stderr}\nThe pinned versions may have left the mirror; "
                f"fetch them from https://snapshot.debian.org/ into {cache} and run again."
            )
        have = scan()
    return {p: Deb(p, v, have[(p, v)]) for p, v in sorted(pins.items())}


def extract(deb: Deb, dest: Path) -> Path:
    root = dest / deb.package
    if not root.exists():
        root.mkdir(parents=True)
        subprocess.run(["dpkg-deb", "-x", str(deb.path), str(root)], check=True)
    return root


# --------------------------------------------------------------------------- man pages

SO_LINE = re.compile(r"^\.so\s+(\S+)", re.M)


@dataclass
class ManFile:
    """A man page file inside an extracted package tree."""

    package: str
    man_root: Path  # the folder holding man1/, man2/ ...
    path: Path  # the file (maybe a symlink)

    @property
    def page(self) -> str:
        """'ls.1', 'after.3tcl'"""
        name = self.path.name
        return name[:-3] if name.endswith(".gz") else name

    @property
    def section(self) -> str:
        return self.page.rsplit(".", 1)[1]

    @property
    def name(self) -> str:
        return self.page.rsplit(".", 1)[0]


def man_files(package: str, man_root: Path) -> list[ManFile]:
    files = []
    for sub in sorted(man_root.glob("man[1-9]*")):
        if sub.is_dir():
            for path in sorted(sub.iterdir()):
                if re.search(r"\.[1-9][a-z0-9]*(\.gz)?$", path.name):
                    files.append(ManFile(package, man_root, path))
    return files


def read_source(path: Path, fallback: str) -> str:
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = gzip.decompress(data)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode(fallback, errors="replace")


def is_alias(man: ManFile, fallback: str) -> bool:
    """A symlink, or a stub that only `.so`-includes another page."""
    if man.path.is_symlink():
        return True
    source = read_source(man.path, fallback)
    lines = [line for line in source.splitlines() if line.strip() and not line.startswith(('.\\"', "'\\\"", '.\\\\"'))]
    return len(lines) <= 2 and any(SO_LINE.match(line) for line in lines)


def render(man: ManFile, fallback: str) -> str:
    """groff's plain-text rendering: one line per output line, no page breaks, no wrapping."""
    source = read_source(man.path, fallback)
    result = subprocess.run(
        # -t tbl; -s soelim (run in the man root so `.so man7/x.7` resolves); -rLL very wide so that
        # paragraphs are not wrapped (no stray blanks inside Chinese text); -rcR=1 one long page;
        # -rHY=0 no hyphenation; -P-cbou plain text without overstrike or SGR codes.
        ["groff", "-Kutf-8", "-t", "-s", "-mandoc", "-Tutf8", "-rLL=5000n", "-rcR=1", "-rHY=0", "-P-cbou"],
        input=source.encode("utf-8"),
        capture_output=True,
        cwd=man.man_root,
        env={**os.environ, "LC_ALL": "C.UTF-8"},
    )
    return result.stdout.decode("utf-8", errors="replace")


# --------------------------------------------------------------------------- rendered text → structure


@dataclass
class Section:
    heading: str
    lines: list[str] = field(default_factory=list)
    """raw output lines (indentation kept, blank lines as '')"""


@dataclass
class Page:
    header: str
    sections: list[Section]


BOX = re.compile("[\u2500-\u257f]+")
PADDED = re.compile(r"^ ?\S.*\S {3,}\S")  # header/footer: unindented, fields spread over the line
RULE = re.compile(r"^\s*[_\u2500-\u257f]{8,}\s*$")


def parse_rendered(text: str) -> Page:
    lines = [line.rstrip() for line in text.replace("\u00a0", " ").splitlines()]
    lines = [line for line in lines if not RULE.match(line)]  # .BS/.BE box rules of Tcl/Tk pages
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    header = ""
    if lines and PADDED.search(lines[0]):  # running header: "LS(1)      User Commands      LS(1)"
        header = lines.pop(0)
    if lines and PADDED.search(lines[-1]):  # running footer (mdoc pages rendered with -rcR=1 have neither)
        lines.pop()
    body = lines
    sections: list[Section] = []
    for line in body:
        if line and not line[0].isspace():
            sections.append(Section(line.strip()))
        elif sections:
            sections[-1].lines.append(line)
        elif line.strip():
            sections.append(Section("", [line]))
    return Page(header, sections)


def clean_line(line: str) -> str:
    """One line of text: table and box rules (U+2500–U+257F) dropped, runs of blanks made one."""
    return re.sub(r"\s+", " ", BOX.sub(" ", line)).strip()


def section_paragraphs(section: Section) -> list[str]:
    """Blank-line separated paragraphs of a section, each with its lines joined by newlines."""
    paragraphs, current = [], []
    for line in section.lines:
        if line.strip():
            if clean_line(line):
                current.append(clean_line(line))
        elif current:
            paragraphs.append("\n".join(current))
            current = []
    if current:
        paragraphs.append("\n".join(current))
    return paragraphs


def page_text(sections: list[Section]) -> str:
    """Plain text: each heading and each paragraph its own block, blocks separated by a blank line."""
    blocks = []
    for section in sections:
        if section.heading:
            blocks.append(section.heading)
        blocks.extend(section_paragraphs(section))
    return "\n\n".join(blocks)


def truncate(text: str, limit: int) -> str:
    """At most `limit` characters, cut at the last paragraph (else line) break before the limit."""
    if len(text) <= limit:
        return text
    cut = text.rfind("\n\n", 0, limit)
    if cut < limit // 2:
        cut = text.rfind("\n", 0, limit)
    if cut < limit // 2:
        cut = limit
    return text[:cut].rstrip()
