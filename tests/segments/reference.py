"""The score rules computed the slow way, in plain Python, to check the numpy scoring against.

`reference_scores` follows the rule as README states it, by search rather than by the dynamic
programme of `clv.segments.scores`: count each value's customers strictly below, list the tie
boundaries, try every admissible set of cuts (or, where there are too many to try, put each
cut at its own nearest boundary and check that this is admissible, which makes it the best)
and score each value by the cuts at or below its first rank.
"""

from __future__ import annotations

from bisect import bisect_left
from itertools import combinations, combinations_with_replacement, pairwise
from math import comb

MAX_TRIALS = 200_000


def reference_scores(values: list[float], quantiles: int) -> list[int]:
    """Scores 1..quantiles of `values` (higher is better), ties kept together."""
    n = len(values)
    if n == 0:
        return []
    ordered = sorted(values)
    distinct = sorted(set(values))
    below = {v: bisect_left(ordered, v) for v in distinct}  # customers strictly below v
    bounds = [below[v] for v in distinct] + [n]  # 0 = bounds[0] < ... < bounds[-1] = n
    # in units of 1/quantiles customer, so that distances are exact integers
    targets = [j * n for j in range(1, quantiles)]
    cuts = _best_cuts(bounds, targets, quantiles)
    return [1 + sum(1 for c in cuts if c <= below[v]) for v in values]


def _best_cuts(bounds: list[int], targets: list[int], quantiles: int) -> tuple[int, ...]:
    inner = bounds[1:-1]
    if len(bounds) - 1 >= quantiles:  # enough distinct values: distinct interior cuts
        if comb(len(inner), quantiles - 1) > MAX_TRIALS:
            return _nearest_cuts(inner, targets, quantiles)
        candidates = list(combinations(inner, quantiles - 1))
    else:  # each value its own group: every interior boundary used
        candidates = [
            c for c in combinations_with_replacement(bounds, quantiles - 1) if set(inner) <= set(c)
        ]

    def total(cuts: tuple[int, ...]) -> int:
        return sum(abs(quantiles * c - t) for c, t in zip(cuts, targets, strict=True))

    least = min(total(c) for c in candidates)
    # of the equally close, the highest cuts: the tied customers take the lower score
    return max(c for c in candidates if total(c) == least)


def _nearest_cuts(inner: list[int], targets: list[int], quantiles: int) -> tuple[int, ...]:
    """Each cut at its nearest boundary (the higher when two are as near); when these are
    distinct every distance is at its least, so no other admissible set can be closer."""
    cuts = tuple(min(inner, key=lambda b: (abs(quantiles * b - t), -b)) for t in targets)
    assert all(a < b for a, b in pairwise(cuts)), "search needed"
    return cuts


def reference_f(purchase_days: list[int]) -> list[int]:
    """F: 1 for one purchase day, else 1 + the repeat buyers' quartile score."""
    repeat = [d for d in purchase_days if d > 1]
    scored = iter(reference_scores([float(d) for d in repeat], 4))
    return [1 if d == 1 else 1 + next(scored) for d in purchase_days]
