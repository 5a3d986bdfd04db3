"""Vectorised scores: R, F and M by quantile with ties kept together, segments and CLV tiers.

The rules in words are in `clv.segments.definitions` (`SCORE_RULES`, `TIES_RULE`).
"""

from __future__ import annotations

from itertools import combinations_with_replacement

import numpy as np
import numpy.typing as npt

from clv.segments.definitions import CLV_TIERS, REPEAT_F_QUANTILES, RFM_QUANTILES, RFM_SEGMENTS

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

SEGMENT_NAMES = tuple(segment.name for segment in RFM_SEGMENTS)
TIER_NAMES = tuple(tier.name for tier in CLV_TIERS)
_FAR = np.int64(1) << 60  # a cost no feasible cut reaches


def share_strictly_better(values: FloatArray) -> FloatArray:
    """For each value, the share of customers with a strictly greater value (0 for the best)."""
    n = values.size
    if n == 0:
        return np.zeros(0)
    # customers with a value > v: those after the end of v's run of ties in sorted order (NaN
    # sorts last and ties with NaN). Found by walking the runs, not by a binary search per
    # customer: at 10M customers 6.9 s in random order (each search missing the CPU caches),
    # 1.9 s this way (1M: 0.34 -> 0.06 s)
    order = np.argsort(values)  # ties in any order: they share the result
    ordered = values[order]
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    new[1:] &= ~(np.isnan(ordered[1:]) & np.isnan(ordered[:-1]))
    ends = np.append(np.flatnonzero(new)[1:], n)  # where each run of ties ends
    share = np.empty(n)
    share[order] = (n - ends[np.cumsum(new) - 1]) / n
    return share


def quantile_scores(
    values: FloatArray, *, quantiles: int = RFM_QUANTILES, higher_is_better: bool = True
) -> IntArray:
    """Scores 1..`quantiles` by quantile, tied values always sharing a score.

    The customers are sorted by value and cut into `quantiles` groups only where the value
    changes, at the `quantiles - 1` places closest in total (sum of rank distances) to the
    ideal cuts n/q, 2n/q, ...; each group holds at least one distinct value, so every score
    occurs whenever there are at least `quantiles` distinct values. With fewer, each distinct
    value is its own group and the spare cuts go where they are closest too (a lone customer,
    or a base of equals, scores the middle). Of equally close placements the higher cuts are
    taken: the tied customers take the lower score.

    The cuts come from a dynamic programme over the tie boundaries (`_cuts`), O(q x distinct
    values) after the sort.
    """
    if quantiles < 2:
        raise ValueError(f"quantiles must be at least 2, got {quantiles}")
    n = values.size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    keyed = values if higher_is_better else -values
    order = np.argsort(keyed)
    ordered = keyed[order]
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    starts = np.flatnonzero(new)  # rank of the first customer of each distinct value
    bounds = np.append(starts, n)  # the tie boundaries, 0 and n included
    cuts = _cuts(bounds, quantiles)  # ranks at which each score after the first begins
    value_scores = 1 + np.searchsorted(cuts, starts, side="right")
    scores = np.empty(n, dtype=np.int64)
    scores[order] = value_scores[np.cumsum(new) - 1]
    return scores


def _cuts(bounds: IntArray, quantiles: int) -> IntArray:
    """The `quantiles - 1` cut ranks, chosen among the tie boundaries `bounds` (0..n)."""
    n, distinct = int(bounds[-1]), bounds.size - 1
    targets = np.arange(1, quantiles, dtype=np.int64) * n  # ideal cut ranks, times `quantiles`
    if distinct < quantiles:
        return _cuts_few_values(bounds, targets, quantiles)
    inner = bounds[1:-1] * quantiles  # interior boundaries, in the units of `targets`
    # least total distance with strictly increasing cuts: dp[j][i] = distance of cut j at
    # inner[i] + the least total of cuts 1..j-1 strictly below i
    dp = [np.abs(inner - targets[0])]
    for target in targets[1:]:
        below = np.minimum.accumulate(dp[-1])
        dp.append(np.abs(inner - target) + np.concatenate(([_FAR], below[:-1])))
    chosen: list[int] = []
    limit = inner.size
    for costs in reversed(dp):  # the last cut first, each the highest of the equally good
        window = costs[:limit]
        limit = int(np.flatnonzero(window == window.min())[-1])
        chosen.append(limit)
    cuts: IntArray = bounds[1:-1][np.array(chosen[::-1])]
    return cuts


def _cuts_few_values(bounds: IntArray, targets: IntArray, quantiles: int) -> IntArray:
    """Fewer distinct values than scores: every interior boundary is a cut, the rest of the
    cuts go where they are closest to their targets (a handful of candidates)."""
    positions = (bounds * quantiles).tolist()
    inner = set(range(1, bounds.size - 1))
    best: tuple[int, tuple[int, ...]] | None = None
    for cut in combinations_with_replacement(range(bounds.size), quantiles - 1):
        if not inner <= set(cut):
            continue
        cost = sum(abs(positions[i] - t) for i, t in zip(cut, targets.tolist(), strict=True))
        if best is None or (-cost, cut) > (-best[0], best[1]):
            best = (cost, cut)
    assert best is not None  # the cut using every boundary once is always a candidate
    cuts: IntArray = bounds[np.array(best[1])]
    return cuts


def frequency_scores(purchase_days: IntArray) -> IntArray:
    """F: 1 for a one-time buyer (one purchase day), 2-5 by quartile of the repeat buyers."""
    scores = np.ones(purchase_days.size, dtype=np.int64)
    repeat = purchase_days > 1
    scores[repeat] = 1 + quantile_scores(
        purchase_days[repeat].astype(np.float64), quantiles=REPEAT_F_QUANTILES
    )
    return scores


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
