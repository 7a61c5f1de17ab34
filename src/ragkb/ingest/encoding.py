"""Turning the bytes of a text file into ``str``, for files in any common encoding.

Order: a byte-order mark wins, then an encoding the file declares (HTML ``<meta charset>``),
then strict UTF-8, then detection with charset-normalizer. Chinese files saved by Windows tools
are usually GBK; they are always decoded as GB18030, its superset, so that characters outside
GBK (rare names, CJK extensions) survive. For very short files detection is ambiguous between
the East Asian double-byte encodings; there GB18030 is preferred, because this tool's Chinese
users mostly write Simplified Chinese.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from charset_normalizer import from_bytes

from ragkb.errors import LoaderError

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16: the UTF-32 LE mark starts with the UTF-16 LE one
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_GB_FAMILY = {"gb2312", "gbk", "gb18030"}
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")  # not tab, newlines, form feed
_MAX_CONTROL_SHARE = 0.01


def read_text(path: Path) -> str:
    return decode(path.read_bytes(), path.name)


def decode(data: bytes, name: str, declared: str | None = None) -> str:
    """Decode ``data`` (the contents of file ``name``); ``declared`` is an encoding the file names itself."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _checked(data, encoding, name)
    if declared and (named := _known_encoding(declared)):
        try:
            return _checked(data, named, name)
        except LoaderError:
            pass  # the declaration lies; fall through to detection
    if b"\x00" in data:
        raise _binary(name)
    try:
        return _checked(data, "utf-8", name)
    except LoaderError:
        pass
    return _checked(data, _detect(data, name), name)


def _detect(data: bytes, name: str) -> str:
    candidates = [match for match in from_bytes(data) if not match.encoding.startswith(("utf_16", "utf_32"))]
    if not candidates:
        raise _binary(name)
    best = candidates[0]
    if any(match.encoding in _GB_FAMILY and match.chaos <= best.chaos for match in candidates):
        return "gb18030"
    return best.encoding


def _checked(data: bytes, encoding: str, name: str) -> str:
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        raise _binary(name) from None
    if len(_CONTROL.findall(text)) > _MAX_CONTROL_SHARE * len(text):
        raise _binary(name)
    return text


def _known_encoding(label: str) -> str | None:
    try:
        encoding = codecs.lookup(label.strip()).name
    except LookupError:
        return None
    return "gb18030" if encoding in _GB_FAMILY else encoding


def _binary(name: str) -> LoaderError:
    return LoaderError(f"{name}: looks like binary data, not text; check the file, or save it as UTF-8 text and add it again")
