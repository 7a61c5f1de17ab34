"""The dense weight follows how far the query's best dense match stands above the KB at large."""

import pytest

from ragkb.retrieve.confidence import NEAREST, confident_weight

BACKGROUND = {100 + i: score for i, score in enumerate([0.1, 0.3] * 20)}  # mean 0.2, standard deviation 0.1


def test_full_weight_from_z_full_standard_deviations_up():
    assert confident_weight(0.7, {1: 0.6}, BACKGROUND, z_full=4) == pytest.approx(0.7)  # z = 4
    assert confident_weight(0.7, {1: 0.9}, BACKGROUND, z_full=4) == pytest.approx(0.7)  # capped


def test_less_weight_below_and_none_at_the_background():
    assert confident_weight(0.7, {1: 0.4}, BACKGROUND, z_full=4) == pytest.approx(0.35)  # z = 2
    assert confident_weight(0.7, {1: 0.15}, BACKGROUND, z_full=4) == 0.0


def test_the_querys_nearest_matches_are_not_background():
    matches = {1: 0.4} | {101 + 2 * i: 0.3 for i in range(NEAREST)}  # its runners-up are in the sample at 0.3
    alone = confident_weight(0.7, {1: 0.4}, BACKGROUND, z_full=4)
    assert confident_weight(0.7, matches, BACKGROUND, z_full=4) > alone == pytest.approx(0.35)


def test_off_or_too_little_background_keeps_the_weight():
    assert confident_weight(0.7, {1: 0.3}, BACKGROUND, z_full=None) == 0.7
    assert confident_weight(0.7, {1: 0.3}, {100: 0.1}, z_full=4) == 0.7
    assert confident_weight(0.7, {}, BACKGROUND, z_full=4) == 0.7
