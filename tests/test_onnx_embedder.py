"""The onnx: embedder: the installed all-MiniLM-L6-v2 exported once to ONNX (fp32 and int8) and run by
ONNX Runtime, against the same model through sentence-transformers."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from ragkb import KBSettings, KnowledgeBase, Settings
from ragkb.errors import ConfigError
from ragkb.index.embedders import create_embedder
from ragkb.models import Block, ParsedDocument

pytestmark = pytest.mark.slow  # exports the model with torch (once per module) and loads it

TEXTS = [
    "reset the router",
    "factory reset of the router",
    "travel expenses",
    "",
    "a text far longer than the model reads " * 200,  # cut at 256 tokens, as sentence-transformers does
]


@pytest.fixture(scope="module")
def model_cache(tmp_path_factory: pytest.TempPathFactory):
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture
def onnx_settings(settings: Settings, model_cache) -> Settings:
    return settings.model_copy(update={"model_cache": model_cache})


@pytest.fixture(scope="module")
def reference() -> np.ndarray:
    return create_embedder("sentence-transformers:all-MiniLM-L6-v2", Settings()).embed(TEXTS)


def test_fp32_gives_the_models_own_vectors(onnx_settings, reference, model_cache):
    embedder = create_embedder("onnx:all-MiniLM-L6-v2", onnx_settings)
    vectors = embedder.embed(TEXTS)
    assert embedder.name == "onnx:all-MiniLM-L6-v2" and embedder.languages == {"en"}
    assert vectors.shape == (len(TEXTS), 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    assert np.min(np.sum(vectors * reference, axis=1)) > 0.9999
    assert [folder.name.endswith("-fp32") for folder in (model_cache / "onnx").iterdir()] == [True]


def test_int8_stays_close_and_keeps_the_ranking(onnx_settings, reference):
    vectors = create_embedder("onnx:all-MiniLM-L6-v2@int8", onnx_settings).embed(TEXTS)
    assert np.min(np.sum(vectors * reference, axis=1)) > 0.95
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


def test_an_exported_model_runs_without_torch(onnx_settings, model_cache):
    create_embedder("onnx:all-MiniLM-L6-v2", onnx_settings).embed(["export it first"])
    code = (
        "import json, sys; from ragkb import Settings; from ragkb.index.embedders import create_embedder; "
        "v = create_embedder('onnx:all-MiniLM-L6-v2', Settings()).embed(['reset the router']); "
        "print(json.dumps({'shape': list(v.shape), 'torch': 'torch' in sys.modules}))"
    )
    env = {**os.environ, "RAGKB_MODEL_CACHE": str(model_cache)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, timeout=300)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"shape": [1, 384], "torch": False}


def test_a_knowledge_base_on_it_finds_by_meaning(onnx_settings):
    kb = KnowledgeBase.create("onnx", settings=onnx_settings, kb_settings=KBSettings(embedder="onnx:all-MiniLM-L6-v2@int8"))
    documents = {
        "router": "Hold the button on the back for ten seconds to restore the device's factory settings.",
        "travel": "Trips abroad are paid back within thirty days once the receipts are handed in.",
    }
    kb.add_documents(
        (name, name, ParsedDocument([Block(text, "paragraph")], loader="python")) for name, text in documents.items()
    )
    hits = kb.search("how do I wipe my modem back to its defaults", k=1, mode="dense")
    assert [hit.file for hit in hits] == ["router"]


def test_an_unknown_precision_is_one_line(onnx_settings):
    with pytest.raises(ConfigError, match="unknown precision 'int4'"):
        create_embedder("onnx:all-MiniLM-L6-v2@int4", onnx_settings)
