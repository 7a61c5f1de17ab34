"""Plugins: one registry per kind, fed by entry points, ragkb's own declared like a third party's.

The end-to-end test installs the loader plugin docs/plugins.md shows the way pip leaves a
distribution (its module and a ``*.dist-info`` with ``entry_points.txt``) in a folder on the
``PYTHONPATH`` of the real ``ragkb`` executable.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from ragkb.errors import ConfigError
from ragkb.index.embedders import create_embedder
from ragkb.plugins import Registry, UnknownPlugin

DOCS = Path(__file__).parent.parent / "docs" / "plugins.md"


def install(site: Path, name: str, modules: dict[str, str], entry_points_txt: str) -> None:
    """Lay out a distribution in ``site`` as pip does: its modules and ``<name>-0.1.0.dist-info``."""
    for module, source in modules.items():
        (site / f"{module}.py").write_text(source, encoding="utf-8")
    info = site / f"{name}-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text(entry_points_txt)


def docs_loader_example() -> tuple[str, str]:
    """The loader docs/plugins.md shows: its module's source, and its pyproject entry points as entry_points.txt."""
    section = DOCS.read_text(encoding="utf-8").split("\n## A loader\n", 1)[1].split("\n## ", 1)[0]
    source = re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)
    toml = re.search(r"```toml\n(.*?)```", section, re.DOTALL).group(1)
    declared = toml.split('[project.entry-points."ragkb.loaders"]\n', 1)[1]
    lines = [f"{name} = {value}\n" for name, value in re.findall(r'^"(.+?)" = "(.+?)"$', declared, re.MULTILINE)]
    assert lines, "docs/plugins.md: the loader example declares no entry point"
    return source, "[ragkb.loaders]\n" + "".join(lines)


def ragkb(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ragkb", *args], env=env, capture_output=True, text=True, timeout=300)


def test_third_party_loader_from_the_docs_indexes_and_finds_note_files(cli_env, tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    note = notes / "harbour.note"
    note.write_text("Sailing club\n\nThe dinghy key hangs behind the harbour office door.\n\nBoats are back by sunset.\n")
    assert ragkb(cli_env, "kb", "create", "notes", "--embedder", "none").returncode == 0
    without = ragkb(cli_env, "add", str(note), "--kb", "notes")
    assert "unsupported file type '.note'" in without.stderr

    site = tmp_path / "site"
    site.mkdir()
    source, declared = docs_loader_example()
    install(site, "ragkb_note", {"ragkb_note": source}, declared)
    env = {**cli_env, "PYTHONPATH": str(site)}

    added = ragkb(env, "add", str(notes), "--kb", "notes", "--json")
    assert added.returncode == 0, added.stderr
    report = json.loads(added.stdout)
    assert report["added"] + report["updated"] == [str(note)] and not report["failed"] and report["chunks"] > 0, report

    found = ragkb(env, "search", "where is the dinghy key", "--kb", "notes", "--json")
    assert found.returncode == 0, found.stderr
    top = json.loads(found.stdout)["hits"][0]
    assert top["file"] == str(note) and "dinghy key" in top["text"] and top["section"] == ["Sailing club"]


@pytest.fixture
def widget_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A distribution declaring one entry point, ``round``, in the group ``ragkb.widgets``."""
    site = tmp_path / "site"
    site.mkdir()
    module = "def round_widget():\n    return 'round'\n"
    install(site, "widget_plugin", {"widget_plugin": module}, "[ragkb.widgets]\nround = widget_plugin:round_widget\n")
    monkeypatch.syspath_prepend(str(site))
    yield site
    sys.modules.pop("widget_plugin", None)


def test_entry_points_are_listed_without_import_and_imported_on_first_use(widget_site):
    widgets: Registry = Registry("widgets", noun="widget", usage="use one of")
    assert widgets.names() == ["round"] and "round" in widgets
    assert "widget_plugin" not in sys.modules

    assert widgets.get("round")() == "round"
    assert "widget_plugin" in sys.modules


def test_entry_points_are_read_once_per_registry(widget_site):
    widgets: Registry = Registry("widgets", noun="widget", usage="use one of")
    assert widgets.names() == ["round"]
    (widget_site / "widget_plugin-0.1.0.dist-info" / "entry_points.txt").write_text(
        "[ragkb.widgets]\nround = widget_plugin:round_widget\nsquare = widget_plugin:round_widget\n"
    )
    assert widgets.names() == ["round"]


def test_registered_factories_join_and_override_entry_points(widget_site):
    widgets: Registry = Registry("widgets", noun="widget", usage="use one of")

    @widgets.register("flat")
    def flat_widget() -> str:
        return "flat"

    widgets.register("round", lambda: "overridden")
    assert widgets.names() == ["flat", "round"]
    assert widgets.get("flat") is flat_widget and widgets.get("round")() == "overridden"
    assert "widget_plugin" not in sys.modules


def test_unknown_name_is_one_line_listing_the_known_names(widget_site, settings):
    widgets: Registry = Registry("widgets", noun="widget", usage="use one of")
    widgets.register("flat", lambda: "flat")
    with pytest.raises(UnknownPlugin) as raised:
        widgets.get("square")
    assert str(raised.value) == "unknown widget 'square'; use one of flat, round"
    assert isinstance(raised.value, ConfigError)  # the CLI prints it as one line

    with pytest.raises(ConfigError, match=r"^unknown embedder 'magic:model'; .*\bollama, onnx, openai, sentence-transformers$"):
        create_embedder("magic:model", settings)


BUILTINS = {
    "loaders": {".txt", ".md", ".markdown", ".html", ".htm", ".docx", ".pdf", ".csv", ".xlsx", ".json", ".jsonl"},
    "embedders": {"sentence-transformers", "ollama", "openai", "onnx"},
    "stores": {"sqlite", "postgresql", "qdrant"},
    "generators": {"llamacpp", "ollama", "openai"},
}
HEAVY = ["pymupdf", "docx", "openpyxl", "bs4", "markdown_it"]  # parsers
HEAVY += ["torch", "sentence_transformers", "onnxruntime", "llama_cpp", "fastapi", "psycopg", "qdrant_client"]  # extras


def test_builtins_are_entry_points_and_listing_them_imports_no_heavy_library():
    for kind, names in BUILTINS.items():
        assert names <= {point.name for point in entry_points(group=f"ragkb.{kind}")}, kind

    listed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, sys, ragkb\n"
            "from ragkb.index.embedders import EMBEDDERS\n"
            "from ragkb.index.stores import STORES\n"
            "from ragkb.ingest.loaders import LOADERS\n"
            "from ragkb.llms import GENERATORS\n"
            "names = {r.kind: r.names() for r in (LOADERS, EMBEDDERS, STORES, GENERATORS)}\n"
            f"print(json.dumps({{'names': names, 'imported': [m for m in {HEAVY!r} if m in sys.modules]}}))",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert listed.returncode == 0, listed.stderr
    result = json.loads(listed.stdout)
    assert result["imported"] == []
    for kind, names in BUILTINS.items():
        assert names <= set(result["names"][kind]), kind
