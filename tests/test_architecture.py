"""The layers of docs/architecture.md hold, and no module reaches into another's private names.

The layers are import-linter contracts in pyproject.toml (``[tool.importlinter]``), checked by the
real ``lint-imports``; private names are checked here on the syntax tree of every module of ragkb.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "ragkb"

LIBRARY_PRIVATES = {
    # python-docx has no public way from a Paragraph to its XML element (w:p), which holds the
    # paragraph's numbering and style ids that its API does not expose.
    ("ingest/loaders/docx.py", "_p"),
    # lxml's element class is only named _Element (the public ``etree.Element`` is a factory).
    ("ingest/loaders/docx.py", "_Element"),
}
"""(module below src/ragkb, name): private names of a library that the library leaves no other way to."""


def private_reaches(source: str, module: str) -> list[str]:
    """In the ``source`` of ``module`` (its path below src/ragkb): ``obj._name`` where ``obj`` is not
    ``self`` or ``cls``, and ``from x import _name`` or an import of a ``_module``, as
    ``file:line: what``; dunder names are not private."""

    def private(name: str) -> bool:
        return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))

    found = []
    for node in ast.walk(ast.parse(source, module)):
        names: list[str] = []
        if isinstance(node, ast.Attribute) and private(node.attr):
            if not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                names = [node.attr]
        elif isinstance(node, ast.ImportFrom):
            names = [alias.name for alias in node.names if private(alias.name)]
            names += [part for part in (node.module or "").split(".") if private(part)]
        elif isinstance(node, ast.Import):
            names = [part for alias in node.names for part in alias.name.split(".") if private(part)]
        found += [
            f"src/ragkb/{module}:{node.lineno}: {ast.unparse(node)}" for name in names if (module, name) not in LIBRARY_PRIVATES
        ]
    return sorted(found, key=lambda line: int(line.split(":")[1]))


def test_layers_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_module_reaches_a_private_name_of_another():
    reaches = [
        line
        for path in sorted(PACKAGE.rglob("*.py"))
        for line in private_reaches(path.read_text(encoding="utf-8"), path.relative_to(PACKAGE).as_posix())
    ]
    assert not reaches, "private names reached from outside their module:\n" + "\n".join(reaches)


def test_the_private_name_check_sees_attribute_and_import_reaches():
    """The check itself: it finds ``kb._fuse`` and ``from m import _x``, and leaves ``self._x`` and dunders."""
    source = "from ragkb.kb import _hidden\nimport os._private\ndef f(kb, self):\n    kb._fuse(); self._ok(); kb.__class__\n"
    reaches = private_reaches(source, "probe.py")
    assert [line.split(": ", 1)[1] for line in reaches] == ["from ragkb.kb import _hidden", "import os._private", "kb._fuse"]
