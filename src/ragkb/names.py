"""Names of knowledge bases and chat sessions: one rule, checked wherever a name is created.

A name is shown in tables and error messages, typed back by users and sent as one segment of an
HTTP path, so it must read the same everywhere: 1-100 characters, no ``/`` or ``\\``, no leading
``.`` (``.`` and ``..`` are path steps), no space at either end, and no invisible characters
(control, format such as the right-to-left override U+202E, surrogate, private-use, line and
paragraph separators). Only new names are checked: a knowledge base or session named before the
rule existed still opens and can be deleted.
"""

from __future__ import annotations

import sys
import unicodedata
from functools import cache

from ragkb.errors import InvalidName

MAX_CHARS = 100
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})
"""Unicode categories a name may not contain."""


def _invisible(char: str) -> bool:
    return unicodedata.category(char) in _INVISIBLE


def name_problem(name: str) -> str | None:
    """What is wrong with ``name`` as a new name (the end of a sentence), or ``None``."""
    if not name:
        return "is empty"
    if len(name) > MAX_CHARS:
        return f"is {len(name)} characters long, over the limit of {MAX_CHARS}"
    if name.startswith("."):
        return "may not start with '.'"
    if "/" in name or "\\" in name:
        return "may not contain '/' or '\\'"
    if name != name.strip():
        return "may not start or end with a space"
    hidden = next((char for char in name if _invisible(char)), None)
    if hidden is not None:
        return f"may not contain the control or invisible character U+{ord(hidden):04X}"
    return None


def check_name(kind: str, name: str) -> str:
    """``name`` if it is a valid new name for a ``kind`` ("knowledge base", "session"), else
    :class:`InvalidName` with a one-line reason."""
    problem = name_problem(name)
    if problem is not None:
        raise InvalidName(kind, name, problem)
    return name


def storable(name: str) -> bool:
    """Whether ``name`` can be looked up at all: one with a lone surrogate (a byte of a command-line
    argument that is not UTF-8) cannot be encoded for the catalog, so nothing stored has it."""
    return not any(0xD800 <= ord(char) <= 0xDFFF for char in name)


@cache
def name_pattern() -> str:
    """The rule as a regular expression, for the OpenAPI schema (Python ``re`` and Rust ``regex``
    syntax). It leaves out lone surrogates, which UTF-8 JSON cannot carry."""
    ranges: list[list[int]] = []
    for code in range(sys.maxunicode + 1):
        if not 0xD800 <= code <= 0xDFFF and _invisible(chr(code)):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    hidden = "".join(_escape(first) + (f"-{_escape(last)}" if last > first else "") for first, last in ranges)
    inner = f"/\\\\{hidden}"
    return f"^[^\\s.{inner}](?:[^{inner}]{{0,{MAX_CHARS - 2}}}[^\\s{inner}])?$"


def _escape(code: int) -> str:
    return f"\\u{code:04X}" if code <= 0xFFFF else f"\\U{code:08X}"
