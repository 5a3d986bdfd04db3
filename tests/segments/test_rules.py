"""The segment map and the tier cuts, checked against the rules as the issue states them."""

from __future__ import annotations

import numpy as np
import pytest

from clv.segments.definitions import find_segment, segment_for
from clv.segments.scores import (
    SEGMENT_NAMES,
    TIER_NAMES,
    rfm_segment_index,
    share_strictly_better,
    tier_index,
)

# The recency x frequency map, transcribed from the specification, cell by cell.
SPEC = {
    "Hibernating": [(r, f) for r in (1, 2) for f in (1, 2)],
    "At Risk": [(r, f) for r in (1, 2) for f in (3, 4)],
    "Can't Lose Them": [(1, 5), (2, 5)],
    "About to Sleep": [(3, 1), (3, 2)],
    "Need Attention": [(3, 3)],
    "Loyal Customers": [(r, f) for r in (3, 4) for f in (4, 5)],
    "Promising": [(4, 1)],
    "New Customers": [(5, 1)],
    "Potential Loyalists": [(r, f) for r in (4, 5) for f in (2, 3)],
    "Champions": [(5, 4), (5, 5)],
}


@pytest.mark.parametrize(("name", "cell"), [(n, c) for n, cells in SPEC.items() for c in cells])
def test_every_cell_maps_to_the_specified_segment(name: str, cell: tuple[int, int]) -> None:
    r, f = cell
    assert segment_for(r, f).name == name
    index = rfm_segment_index(np.array([r]), np.array([f]))[0]
    assert SEGMENT_NAMES[index] == name


def test_the_map_covers_all_25_cells_once() -> None:
    cells = [c for cells in SPEC.values() for c in cells]
    assert sorted(cells) == [(r, f) for r in range(1, 6) for f in range(1, 6)]


def test_tiers_by_percentile() -> None:
    clv = np.arange(1000, dtype=float)[::-1]  # customer 0 is the most valuable
    tiers = [TIER_NAMES[i] for i in tier_index(clv)]
    assert tiers[:10] == ["Platinum"] * 10  # top 1 %
    assert tiers[10:50] == ["Gold"] * 40  # 1-5 %
    assert tiers[50:100] == ["Silver"] * 50  # 5-10 %
    assert tiers[100:250] == ["Bronze"] * 150  # 10-25 %
    assert tiers[250:500] == ["Medium"] * 250  # 25-50 %
    assert tiers[500:] == ["Low"] * 500


def test_tied_values_share_a_tier() -> None:
    tiers = tier_index(np.array([5.0, 5, 5, 1]))
    assert len(set(tiers[:3].tolist())) == 1
    assert tier_index(np.array([3.0]))[0] == 0  # a single customer is the top


@pytest.mark.parametrize(
    "text", ["cant lose them", "Can't Lose Them", "CANT-LOSE-THEM", "cantlosethem"]
)
def test_segment_names_match_forgivingly(text: str) -> None:
    found = find_segment(text)
    assert found is not None
    assert found.name == "Can't Lose Them"


def test_share_strictly_better_counts_the_customers_above_each_one() -> None:
    """Against the definition, counted pair by pair: ties (NaN among them) share a share."""
    rng = np.random.default_rng(7)
    values = rng.integers(0, 40, 500).astype(np.float64)  # many ties
    values[rng.choice(500, 25, replace=False)] = np.nan  # sorts last: nobody is above a NaN
    values[:3] = (0.0, -0.0, np.inf)
    ordered = np.where(np.isnan(values), np.inf, values)
    rank_nan = np.isnan(values)
    # x is above v when x > v, or x is NaN and v is not (NaN sorts after everything)
    above = (ordered[None, :] > ordered[:, None]) & ~rank_nan[None, :] & ~rank_nan[:, None]
    above |= rank_nan[None, :] & ~rank_nan[:, None]
    expected = above.sum(axis=1) / values.size
    np.testing.assert_array_equal(share_strictly_better(values), expected)
    assert share_strictly_better(np.array([])).size == 0
