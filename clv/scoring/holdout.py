"""The holdout check: predict the repeat purchases of a held-out period and compare.

Following Fader, Hardie & Lee (2005), section 4: fit on a calibration period, predict each
customer's repeat purchases in the period after it, and compare with what they did, in total
and by the number of repeat purchases made in calibration.

One definition, decided here for every run (`holdout_period`) and computed once, when the run
is scored; what it found is kept in the run's details, and every surface (`/clv model`,
`clvbot model`, the digest) says it with `holdout_sentence`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np

from clv.predictive import TransactionModel
from clv.scoring.intervals import PMF_DRAWS, SEED, model_draws, purchase_ranges
from clv.scoring.records import FrequencyBucket, HoldoutCheck
from clv.scoring.summary import CustomerSummary
from clv.segments.scores import FloatArray

BUCKETS = (0, 1, 2, 3, 4, 5, 6, 7)  # the last bucket is "7+"
MAX_DAYS = 91  # the refitted check holds out at most the last 13 weeks...
MIN_DAYS = 28  # ...and needs at least 4 of them; shorter holdouts are no check
# buyers whose purchase ranges the coverage is counted on, at most: a share measured on 200,000
# customers has a standard error under 0.1 percentage point, and the ranges of all of them
# (a purchase distribution per customer) cost 1.0 s of a 1M-customer run (0.2 s this way)
COVERAGE_SAMPLE = 200_000


@dataclass(frozen=True)
class HoldoutPeriod:
    """The period a run's check holds out: (calibration_end, holdout_end]."""

    calibration_end: date
    holdout_end: date
    after_as_of: bool  # the real orders after the run's day (a calibration run, as FHL)


def holdout_period(as_of: date, first_order: date | None, last_order: date | None) -> HoldoutPeriod:
    """The holdout of a run scored as of `as_of` on orders from `first_order` to `last_order`.

    Orders after `as_of` (scoring a calibration period) are the holdout, up to the last one.
    Otherwise the last third of the history, at most `MAX_DAYS`, is held out and the model is
    fitted again on what came before; with less than `MIN_DAYS` to hold out there is no check
    (calibration_end == holdout_end).
    """
    if last_order is not None and last_order > as_of:
        return HoldoutPeriod(as_of, last_order, after_as_of=True)
    span = (as_of - first_order).days if first_order is not None else 0
    days = min(MAX_DAYS, span // 3)
    cutoff = as_of - timedelta(days=days if days >= MIN_DAYS else 0)
    return HoldoutPeriod(cutoff, as_of, after_as_of=False)


def interval_coverage(
    model: TransactionModel,
    x: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
    actual: FloatArray,
    horizon: float,
    level: float,
) -> tuple[float, float] | None:
    """The share of customers whose actual purchases fell inside their `level` range
    (clv.scoring.intervals, with the model's parameter draws), and the share the model
    expected (the mean probability of the ranges: a range of whole purchases holds more
    than `level` for a customer who most likely buys nothing), counted on a fixed sample of
    at most COVERAGE_SAMPLE of them; None without customers."""
    if x.size == 0:
        return None
    kept = fixed_sample(np.arange(x.size), COVERAGE_SAMPLE)
    x, t_x, T, actual = x[kept], t_x[kept], T[kept], actual[kept]
    models = model_draws(model, np.random.default_rng(SEED))[:PMF_DRAWS]
    ranges = purchase_ranges(models, x, t_x, T, horizon=horizon, level=level)
    inside = (ranges.low <= actual) & (actual <= ranges.high)
    return float(inside.mean()), float(ranges.mass.mean())


def fixed_sample(indices: np.ndarray[Any, Any], size: int) -> np.ndarray[Any, Any]:
    """At most `size` of `indices`, drawn without replacement by a fixed seed and kept in
    their order (all of them when there are no more than `size`): the same customers for
    the same store, run after run."""
    if indices.size <= size:
        return indices
    return np.sort(np.random.default_rng(0).choice(indices, size=size, replace=False))


def holdout_check(
    model: TransactionModel,
    calibration: CustomerSummary,
    full: CustomerSummary,
    *,
    fitted_on: int,
    level: float | None = None,
) -> HoldoutCheck:
    """Predicted vs actual repeat purchases in (calibration.as_of, full.as_of], and with a
    `level`, the share of customers inside their purchase range."""
    horizon = float((full.as_of - calibration.as_of).days)
    buyers = calibration.buyers
    x = calibration.frequency[buyers].astype(np.float64)
    predicted = model.expected_purchases(
        horizon, x, calibration.recency[buyers], calibration.T[buyers]
    )
    actual = (full.frequency[buyers] - calibration.frequency[buyers]).astype(np.float64)
    total_predicted, total_actual = float(predicted.sum()), float(actual.sum())
    coverage = None if level is None else interval_coverage(
        model, x, calibration.recency[buyers], calibration.T[buyers], actual, horizon, level
    )  # fmt: skip
    buckets = []
    for low in BUCKETS:
        members = (x == low) if low < BUCKETS[-1] else (x >= low)
        if members.any():
            buckets.append(
                FrequencyBucket(
                    f"{low}+" if low == BUCKETS[-1] else str(low),
                    int(members.sum()),
                    float(predicted[members].sum()),
                    float(actual[members].sum()),
                )
            )
    return HoldoutCheck(
        calibration_end=calibration.as_of,
        holdout_end=full.as_of,
        holdout_days=int(horizon),
        customers=int(buyers.sum()),
        predicted_repeat_purchases=total_predicted,
        actual_repeat_purchases=total_actual,
        relative_error=(total_predicted - total_actual) / total_actual if total_actual else None,
        mean_absolute_error=float(np.abs(predicted - actual).mean()) if x.size else None,
        by_frequency=tuple(buckets),
        fitted_on=fitted_on,
        interval_level=level,
        interval_coverage=None if coverage is None else coverage[0],
        interval_expected=None if coverage is None else coverage[1],
    )
