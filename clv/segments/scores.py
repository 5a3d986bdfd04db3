"""Vectorised scoring of customers into RFM scores, segments, CLV tiers and lifecycle stages."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from clv.segments.definitions import CLV_TIERS, RFM_SEGMENTS

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

SEGMENT_NAMES = tuple(segment.name for segment in RFM_SEGMENTS)
TIER_NAMES = tuple(tier.name for tier in CLV_TIERS)


def share_strictly_better(values: FloatArray) -> FloatArray:
    """For each value, the share of customers with a strictly greater value (0 for the best)."""
    n = values.size
    if n == 0:
        return np.zeros(0)
    order = np.sort(values)
    # customers with a value > v: n - (index of the first element > v)
    return (n - np.searchsorted(order, values, side="right")) / n


def quintile_scores(values: FloatArray, *, higher_is_better: bool = True) -> IntArray:
    """Scores 1-5 by quintile: 1 + floor(5 x share of customers strictly worse).

    Tied values always share a score (the one of the lowest-ranked of them), so a base where
    everyone bought once scores F = 1 for all, and 7 customers still spread over 1-5.
    """
    n = values.size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    keyed = values if higher_is_better else -values
    worse = np.searchsorted(np.sort(keyed), keyed, side="left")  # strictly smaller values
    return np.minimum(1 + (5 * worse) // n, 5).astype(np.int64)


_RF_TABLE = np.full((6, 6), -1, dtype=np.int64)
for _index, _segment in enumerate(RFM_SEGMENTS):
    _RF_TABLE[
        _segment.recency[0] : _segment.recency[1] + 1,
        _segment.frequency[0] : _segment.frequency[1] + 1,
    ] = _index
assert (_RF_TABLE[1:, 1:] >= 0).all(), "the RFM map must cover every R x F cell"


def rfm_segment_index(r: IntArray, f: IntArray) -> IntArray:
    """Index into `SEGMENT_NAMES` of each customer's recency x frequency segment."""
    return _RF_TABLE[r, f]


def tier_index(predicted_clv: FloatArray) -> IntArray:
    """Index into `TIER_NAMES` by predicted-CLV percentile; ties share a tier."""
    share = share_strictly_better(predicted_clv)
    bounds = np.array([tier.top_share for tier in CLV_TIERS])
    return np.searchsorted(bounds, share, side="right").astype(np.int64)
