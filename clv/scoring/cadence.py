"""When each repeat buyer usually orders, when they should order next, and who is overdue.

Every purchase model here has the same purchase process while a customer is active: Poisson
with a rate lambda ~ Gamma(r, alpha) across customers, so a customer's posterior given x
repeat purchases in T is Gamma(r + x, alpha + T) (Fader, Hardie & Lee 2005, section 5; the
same for Pareto/NBD, Fader & Hardie 2005 note 009). The time W to the next purchase of an
active customer is then Lomax: P(W > w) = ((alpha+T) / (alpha+T+w))^(r+x), so its
q-quantile is (alpha + T) ((1 - q)^(-1/(r+x)) - 1). The Poisson process has no memory: the
wait from today has the same law as a gap between orders.

- usual gap: 1 / E[lambda] = (alpha + T) / (r + x) ("usually orders every ~5 weeks");
- next order: the run's day + the median wait ("expected around 14 Dec");
- overdue (`clv.segments.predictions.OVERDUE_RULE`): the time since the last order is past
  the `OVERDUE_QUANTILE` quantile of W while the customer is not dormant.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clv.predictive import TransactionModel
from clv.segments.predictions import OVERDUE_QUANTILE
from clv.segments.scores import BoolArray, FloatArray


@dataclass(frozen=True)
class Cadence:
    """Per buyer (NaN / False for one-time buyers and without a model)."""

    gap_days: FloatArray
    next_in_days: FloatArray  # from the run's day
    overdue: BoolArray


def wait_quantile(q: float, shape: FloatArray, scale: FloatArray) -> FloatArray:
    """The q-quantile of the Lomax wait with P(W > w) = (scale / (scale + w))^shape."""
    return np.asarray(scale * np.expm1(-np.log1p(-q) / shape), dtype=np.float64)


def cadence(
    model: TransactionModel | None,
    x: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
    dormant: BoolArray,
) -> Cadence:
    """The cadence of the repeat buyers among `x` (frequency), `t_x` and `T` in days."""
    n = x.size
    if model is None:
        return Cadence(np.full(n, np.nan), np.full(n, np.nan), np.zeros(n, dtype=bool))
    r, alpha = model.params["r"], model.params["alpha"]
    repeat = x > 0
    shape, scale = r + x, alpha + T
    gap = np.where(repeat, scale / shape, np.nan)
    median = np.where(repeat, wait_quantile(0.5, shape, scale), np.nan)
    late = wait_quantile(OVERDUE_QUANTILE, shape, scale)
    overdue = repeat & ~dormant & (T - t_x > late)
    return Cadence(gap, median, overdue)
