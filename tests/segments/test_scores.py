"""R, F and M scores: quantiles with ties kept together, checked against a plain-Python search.

The rule (README, "Segments, tiers, stages"): customers sorted by the measure are cut into
groups only where the value changes, as close in total as possible to the ideal cuts, with
every score used whenever there are at least as many distinct values as scores; F is 1 for a
one-time buyer and 2-5 by quartile of the repeat buyers.
"""

from __future__ import annotations

import numpy as np
import pytest

from clv.segments.scores import frequency_scores, quantile_scores
from tests.segments.reference import reference_f, reference_scores

SEED = 20250630


def _tied_bases(count: int) -> list[np.ndarray]:
    """Small bases with heavy ties: 1-40 customers over 1-13 distinct values (fixed seed)."""
    rng = np.random.default_rng(SEED)
    return [
        rng.integers(0, int(rng.integers(1, 14)), int(rng.integers(1, 41))).astype(np.float64)
        for _ in range(count)
    ]


@pytest.mark.parametrize("quantiles", [2, 4, 5])
def test_quantile_scores_match_a_brute_force_search_on_tied_bases(quantiles: int) -> None:
    for values in _tied_bases(400):
        expected = reference_scores(values.tolist(), quantiles)
        assert quantile_scores(values, quantiles=quantiles).tolist() == expected, values


def test_one_time_buyers_are_f1_and_repeat_buyers_spread_over_f2_to_f5() -> None:
    rng = np.random.default_rng(SEED)
    # six in ten bought on one day only, as on CDNOW; the repeat buyers' days are skewed
    days = np.where(rng.random(5000) < 0.6, 1, 2 + rng.geometric(0.35, 5000) - 1)
    f = frequency_scores(days)
    assert (f[days == 1] == 1).all()
    assert set(f[days > 1].tolist()) == {2, 3, 4, 5}
    assert f.tolist() == reference_f(days.tolist())
    # more purchase days never score lower
    order = np.argsort(days, kind="stable")
    assert (np.diff(f[order]) >= 0).all()


def test_a_large_tie_at_two_purchase_days_leaves_no_f_score_empty() -> None:
    # the demo shop's shape: 42 % of the repeat buyers bought on 2 days, 21 % on 3, 11 % on 4:
    # sharing the score of their lowest rank left F 3 empty; the nearest cuts would put the
    # first two both after the 2-day buyers
    days = np.repeat([2, 3, 4, 5, 6, 7], [420, 210, 110, 80, 100, 80])
    f = frequency_scores(days)
    assert {d: sorted(set(f[days == d].tolist())) for d in range(2, 8)} == {
        2: [2],
        3: [3],
        4: [4],
        5: [5],
        6: [5],
        7: [5],
    }
    assert f.tolist() == reference_f(days.tolist())


def test_every_score_occurs_when_there_are_at_least_as_many_distinct_values() -> None:
    for values in _tied_bases(400):
        distinct = len(set(values.tolist()))
        for quantiles in (4, 5):
            used = set(quantile_scores(values, quantiles=quantiles).tolist())
            if distinct >= quantiles:
                assert used == set(range(1, quantiles + 1)), values
            else:
                assert len(used) == distinct, values  # each distinct value its own score


@pytest.mark.parametrize("quantiles", [4, 5])
def test_tied_values_always_share_a_score_and_higher_values_never_score_lower(
    quantiles: int,
) -> None:
    for values in _tied_bases(200):
        scores = quantile_scores(values, quantiles=quantiles)
        for value in set(values.tolist()):
            assert len(set(scores[values == value].tolist())) == 1
        order = np.argsort(values, kind="stable")
        assert (np.diff(scores[order]) >= 0).all()


def test_quintiles_of_a_large_base_are_equal_fifths() -> None:
    scores = quantile_scores(np.arange(1000, dtype=float))
    assert np.bincount(scores)[1:].tolist() == [200] * 5
    assert scores[0] == 1
    assert scores[-1] == 5


def test_recency_is_reversed() -> None:
    days_since_last = np.array([1.0, 10, 100, 1000, 5])
    r = quantile_scores(days_since_last, higher_is_better=False)
    assert r[0] == 5  # the most recent buyer
    assert r[3] == 1  # the longest gone


def test_equally_close_cuts_give_the_tied_customers_the_lower_score() -> None:
    # 4 customers, quartile cuts ideally after 1, 2 and 3; the value 7 (2 customers) could
    # start at score 2 or 3 equally well: it takes the lower
    assert quantile_scores(np.array([1.0, 7, 7, 9]), quantiles=4).tolist() == [1, 2, 2, 4]
    assert reference_scores([1.0, 7, 7, 9], 4) == [1, 2, 2, 4]


def test_one_customer_scores_the_middle() -> None:
    assert quantile_scores(np.array([5.0])).tolist() == [3]
    assert frequency_scores(np.array([1])).tolist() == [1]
    assert frequency_scores(np.array([4])).tolist() == [3]  # a lone repeat buyer: F 3


def test_all_equal_values_score_the_middle() -> None:
    assert quantile_scores(np.full(50, 7.0)).tolist() == [3] * 50
    assert frequency_scores(np.full(50, 2)).tolist() == [3] * 50


def test_all_one_time_buyers_are_f1() -> None:
    assert frequency_scores(np.ones(50, dtype=np.int64)).tolist() == [1] * 50


def test_fewer_distinct_values_than_scores_each_take_their_own_score() -> None:
    # 60 % at the bottom, then 3 single values: four distinct values, four scores
    values = np.array([1.0, 1, 1, 1, 1, 1, 2, 2, 3, 9])
    assert quantile_scores(values).tolist() == [2, 2, 2, 2, 2, 2, 3, 3, 4, 5]
    assert quantile_scores(values).tolist() == reference_scores(values.tolist(), 5)
    # two repeat-buyer values: F 3 and F 5 (their places in the quartiles)
    days = np.array([2, 2, 2, 2, 2, 2, 2, 3, 3, 3])
    assert frequency_scores(days).tolist() == [3] * 7 + [5] * 3


def test_an_empty_base_has_no_scores() -> None:
    assert quantile_scores(np.zeros(0)).tolist() == []
    assert frequency_scores(np.zeros(0, dtype=np.int64)).tolist() == []


def test_fewer_than_two_quantiles_is_refused() -> None:
    with pytest.raises(ValueError, match="quantiles must be at least 2, got 1"):
        quantile_scores(np.arange(3.0), quantiles=1)
