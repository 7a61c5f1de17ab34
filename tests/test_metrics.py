import math

import pytest

from ragkb.eval.metrics import average_precision, hit, ndcg, recall, reciprocal_rank


def test_ndcg_against_hand_computed_value():
    ranking = ["a", "x", "b"]
    relevant = {"a": 1, "b": 2}
    dcg = 1 / math.log2(2) + 3 / math.log2(4)
    idcg = 3 / math.log2(2) + 1 / math.log2(3)
    assert ndcg(ranking, relevant, 10) == pytest.approx(dcg / idcg)


def test_hit_recall_mrr_map():
    ranking = ["x", "a", "y", "b"]
    relevant = {"a": 1, "b": 1, "c": 1}
    assert hit(ranking, relevant, 1) == 0 and hit(ranking, relevant, 2) == 1
    assert recall(ranking, relevant, 10) == pytest.approx(2 / 3)
    assert reciprocal_rank(ranking, relevant, 10) == 0.5
    assert average_precision(ranking, relevant) == pytest.approx((1 / 2 + 2 / 4) / 3)


def test_nothing_relevant_found_scores_zero():
    assert ndcg(["x"], {"a": 1}, 10) == 0 and reciprocal_rank(["x"], {"a": 1}, 10) == 0
