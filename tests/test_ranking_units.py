"""Unit tests of the ranking arithmetic: fusion, MMR and reranker blending (no KB, no model)."""

from __future__ import annotations

import pytest

from ragkb.config import KBSettings
from ragkb.retrieve.confidence import bm25_peak, peaked_weight
from ragkb.retrieve.fusion import RRF_K, convex, min_max, reciprocal_rank, scaled, standardized, zscore
from ragkb.retrieve.mmr import mmr
from ragkb.retrieve.rerank import blend, rerank_order


def test_min_max_spans_zero_to_one_and_ties_are_all_one():
    assert min_max({1: 2.0, 2: 4.0, 3: 3.0}) == {1: 0.0, 2: 1.0, 3: 0.5}
    assert min_max({1: 5.0, 2: 5.0}) == {1: 1.0, 2: 1.0}
    assert min_max({}) == {}


def test_scaled_keeps_the_last_candidate_above_zero():
    assert scaled({1: 2.0, 2: 4.0}) == {1: 0.5, 2: 1.0}
    assert scaled({1: -1.0, 2: 1.0}) == {1: 0.0, 2: 1.0}


def test_convex_mixes_normalised_scores_and_a_missing_side_counts_zero():
    fused = convex({1: 10.0, 2: 0.0}, {2: 0.9, 3: 0.1}, dense_weight=0.7)
    assert fused[1] == pytest.approx(0.3)  # best sparse, no dense score
    assert fused[2] == pytest.approx(0.7)  # worst sparse, best dense
    assert fused[3] == pytest.approx(0.0)
    assert convex({1: 1.0, 2: 0.5}, {}, dense_weight=0.0) == {1: 1.0, 2: 0.0}


@pytest.mark.parametrize("weight", [0.0, 1.0])
def test_convex_at_the_ends_is_one_retriever_alone(weight):
    sparse, dense = {1: 3.0, 2: 1.0}, {1: 0.1, 2: 0.9}
    fused = convex(sparse, dense, weight)
    assert max(fused, key=fused.__getitem__) == (2 if weight else 1)


def test_standardized_scores_have_mean_zero_and_unit_spread():
    values = standardized({1: 2.0, 2: 4.0, 3: 9.0})
    assert sum(values.values()) == pytest.approx(0.0)
    assert sum(v * v for v in values.values()) / 3 == pytest.approx(1.0)
    assert standardized({1: 5.0, 2: 5.0}) == {1: 0.0, 2: 0.0}
    assert standardized({}) == {}


def test_zscore_gives_a_candidate_missing_from_a_list_that_lists_lowest_score():
    fused = zscore({1: 3.0, 2: 1.0}, {2: 0.9, 3: 0.1}, dense_weight=0.5)
    assert fused[1] == pytest.approx(0.5 * 1.0 + 0.5 * -1.0)  # dense: missing → its lowest (-1)
    assert fused[3] == pytest.approx(0.5 * -1.0 + 0.5 * -1.0)
    assert max(zscore({1: 3.0, 2: 1.0}, {1: 0.1, 2: 0.9}, 1.0).items(), key=lambda item: item[1])[0] == 2


def test_a_bm25_match_standing_far_above_the_rest_shrinks_the_dense_weight_by_up_to_a_fifth():
    flat = {1: 3.0, 2: 3.0, 3: 1.0, 4: 2.0}  # the best ties with another candidate
    peaked = {1: 30.0, 2: 2.0, 3: 1.0, 4: 1.5}
    assert bm25_peak(flat) < 2 and bm25_peak(peaked) > 4
    assert peaked_weight(0.85, flat, 4.0) == 0.85
    assert peaked_weight(0.85, peaked, 4.0) == pytest.approx(0.85 * 0.8)
    assert peaked_weight(0.85, peaked, None) == 0.85
    between = {1: 3.0, 2: 0.0, 3: 1.0, 4: 2.0}  # the best stands 2 / 0.816 deviations above the others
    peak = 2.0 / (2 / 3) ** 0.5
    assert bm25_peak(between) == pytest.approx(peak)
    assert peaked_weight(0.85, between, 4.0) == pytest.approx(0.85 * (1 - 0.2 * (peak - 2) / 2))
    assert bm25_peak({1: 1.0, 2: 0.5}) == 0.0


def test_new_kbs_fuse_standardised_scores_and_kbs_of_an_older_fusion_keep_working_as_they_did():
    new = KBSettings()
    assert (new.fusion, new.dense_weight, new.bm25_peak_z) == ("zscore", 0.85, 4.0)
    stored = KBSettings.model_validate({"fusion": "convex", "dense_weight": 0.7})  # settings saved before issue 16
    assert stored.bm25_peak_z is None and stored.dense_weight == 0.7


def test_reciprocal_rank_sums_weighted_inverse_ranks():
    fused = reciprocal_rank({1: 5.0, 2: 1.0}, {2: 0.9}, dense_weight=0.5)
    assert fused[1] == pytest.approx(0.5 / (RRF_K + 1))
    assert fused[2] == pytest.approx(0.5 / (RRF_K + 2) + 0.5 / (RRF_K + 1))


def test_mmr_trades_a_near_duplicate_for_a_different_result():
    texts = {1: "reset the router to factory settings", 2: "reset the router to factory settings now", 3: "printer toner"}
    scores = {1: 1.0, 2: 0.95, 3: 0.6}
    assert mmr([1, 2, 3], scores, texts, k=2, lam=0.5) == [1, 3]
    assert mmr([1, 2, 3], scores, texts, k=2, lam=1.0) == [1, 2]  # relevance alone


def test_blend_weighs_the_rerankers_probability_against_the_fused_score():
    assert blend([0.9, 0.1], [1.0, 0.5], weight=1.0) == [0.9, 0.1]
    blended = blend([0.9, None, 0.0], [0.5, 1.0, 1.0], weight=0.2)
    assert blended[0] == pytest.approx(0.2 * 0.9 + 0.8 * 0.5)
    assert blended[1] is None
    assert blended[2] == pytest.approx(0.8)


def test_a_reranker_that_finds_nothing_leaves_the_fused_order():
    fused = [1.0, 0.8, 0.6]
    blended = blend([0.01, 0.02, 0.015], fused, weight=0.2)
    assert [c for c, _ in rerank_order([10, 11, 12], blended)] == [10, 11, 12]


def test_rerank_order_puts_unscored_candidates_last_in_their_order():
    assert rerank_order([1, 2, 3, 4], [0.2, None, 0.9, None]) == [(3, 0.9), (1, 0.2), (2, None), (4, None)]
