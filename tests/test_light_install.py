"""``pip install ragkb`` without extras: BM25 search, the SQLite store and the CLI work, and each
missing extra is named in one line.

The real ``ragkb`` executable runs with the extras' modules made unimportable (``sys.modules[name] =
None`` in a sitecustomize), which is what Python sees on a machine where they were never installed.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from ragkb.extras import EXTRAS

SAMPLES = Path(__file__).parent.parent / "samples"
BLOCKED = sorted(set(EXTRAS) | {"transformers", "huggingface_hub", "onnxruntime"})


@pytest.fixture
def light_env(cli_env, tmp_path):
    site = tmp_path / "light-site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(f"import sys\nfor name in {BLOCKED!r}:\n    sys.modules[name] = None\n")
    return {**cli_env, "PYTHONPATH": str(site)}


def ragkb(env, *args):
    return subprocess.run(["ragkb", *args], env=env, capture_output=True, text=True, timeout=600)


def test_base_install_creates_adds_searches_and_answers_with_bm25(light_env):
    created = ragkb(light_env, "kb", "create", "light", "--json")
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["settings"]["embedder"] == "none"

    added = ragkb(light_env, "add", str(SAMPLES), "--kb", "light", "--json")
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["chunks"] > 0

    found = ragkb(light_env, "search", "VPN server address", "--kb", "light", "--json")
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)["hits"]

    answered = ragkb(light_env, "ask", "差旅报销的时限是多久？", "--kb", "light")
    assert answered.returncode == 0, answered.stderr
    assert "[1]" in answered.stdout


@pytest.mark.parametrize(
    ("args", "extra"),
    [
        (("serve", "--port", "1"), "server"),
        (("mcp",), "mcp"),
        (("keys", "list"), "server"),
        (("kb", "create", "dense", "--embedder", "sentence-transformers:all-MiniLM-L6-v2"), "embed"),
        (("kb", "create", "dense", "--embedder", "onnx:all-MiniLM-L6-v2@int8"), "embed"),
        (("ask", "what is the VPN address?", "--kb", "light", "-g", "llamacpp:smollm2"), "llm"),
    ],
)
def test_missing_extra_is_one_line_naming_it(light_env, args, extra):
    assert ragkb(light_env, "kb", "create", "light").returncode == 0
    result = ragkb(light_env, *args)
    assert result.returncode == 1
    assert f"pip install 'ragkb[{extra}]'" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
