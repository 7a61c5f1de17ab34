"""Settings travel down explicitly: what a caller passes is what the store and the KB use."""

from __future__ import annotations

from ragkb.config import Settings
from ragkb.index.stores import open_store


def test_toml_is_read_from_the_home_passed_not_the_environments(tmp_path, home):
    other = tmp_path / "other-home"
    other.mkdir()
    (other / "ragkb.toml").write_text('generator = "ollama:qwen2"\nann_threshold = 7\n')
    assert Settings(home=other).generator == "ollama:qwen2"
    assert Settings(home=home).generator == "extractive"


def test_a_callers_ann_threshold_reaches_the_embedded_store(home):
    low = open_store(Settings(home=home, ann_threshold=3))
    default = open_store(Settings(home=home))
    assert low is not default
    assert low.dense.ann_threshold == 3 and default.dense.ann_threshold == Settings().ann_threshold
    assert open_store(Settings(home=home, ann_threshold=3)) is low
