"""Which purchase model a run predicts with, and its holdout check.

Below the data floor (`clv.segments.predictions.PredictionFloor`) no model is fitted and the
run says what is missing. Otherwise the configured model is fitted with the fallbacks of
`clv.scoring.fitting`, or, with `CLV_MODEL=auto`, every candidate is, each is checked on the
holdout and `clv.scoring.selection` chooses.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from clv.scoring.fitting import CANDIDATES, FitOutcome, fit_purchase_model
from clv.scoring.holdout import holdout_check
from clv.scoring.records import HoldoutCheck, ModelComparison
from clv.scoring.selection import choose, comparison_rows
from clv.scoring.summary import CustomerSummary, SummaryPair, to_day
from clv.segments.predictions import AUTO, PredictionFloor

HOLDOUT_FIT_SAMPLE = 250_000  # buyers the holdout model is fitted on, at most


@dataclass(frozen=True)
class RunModel:
    """The purchase model a run predicts with, how it was chosen, and its holdout check."""

    fit: FitOutcome
    holdout: HoldoutCheck | None
    holdout_note: str | None  # why there is no check, when it could not be made
    comparison: tuple[ModelComparison, ...]
    withheld: str | None  # below the data floor: what is missing


def history_days(summary: CustomerSummary, pair: SummaryPair) -> int:
    first = pair.first_order_day
    return to_day(summary.as_of) - first if first is not None else 0


def floor_gap(floor: PredictionFloor, summary: CustomerSummary, pair: SummaryPair) -> str | None:
    """What the data lack before the run may predict (None: nothing)."""
    buyers = summary.buyers
    return floor.missing(
        customers=int(buyers.sum()),
        history_days=history_days(summary, pair),
        repeat_buyers=int((summary.frequency[buyers] > 0).sum()),
    )


def _rft(summary: CustomerSummary, rows: Any = None) -> tuple[Any, Any, Any]:
    rows = summary.buyers if rows is None else rows
    return summary.frequency[rows].astype(np.float64), summary.recency[rows], summary.T[rows]


def choose_run_model(
    name: str,
    summary: CustomerSummary,
    pair: SummaryPair,
    *,
    future_holdout: bool,
    floor: PredictionFloor,
    level: float,
) -> RunModel:
    """Fit `name` (a model's key, or auto) on `summary`'s buyers and check it on the holdout."""
    gap = floor_gap(floor, summary, pair)
    if gap is not None:
        return RunModel(FitOutcome(name, None, None), None, None, (), gap)
    keys = CANDIDATES if name == AUTO else (name,)
    fits = {key: fit_purchase_model(key, *_rft(summary)) for key in keys}
    checks: dict[str, HoldoutCheck | None] = {}
    notes: dict[str, str | None] = {}
    for key, fit in fits.items():
        checks[key], notes[key] = _checked(pair, fit, future_holdout, level)
    if name != AUTO:
        return RunModel(fits[name], checks[name], notes[name], (), None)
    rows = comparison_rows(fits, checks, int(summary.buyers.sum()))
    chosen = choose(rows) or CANDIDATES[0]
    rows = [replace(row, chosen=row.key == chosen) for row in rows]
    return RunModel(fits[chosen], checks[chosen], notes[chosen], tuple(rows), None)


def _checked(
    pair: SummaryPair, fit: FitOutcome, future_holdout: bool, level: float
) -> tuple[HoldoutCheck | None, str | None]:
    """The holdout check of `fit`, or why there is none (a check that cannot be made is a
    note, not a failure)."""
    try:
        return _holdout(pair, fit, future_holdout, level), None
    except Exception as exc:  # any failure of a check leaves the run intact
        return None, f"holdout check not possible: {exc}"


def _holdout(
    pair: SummaryPair, fit: FitOutcome, future_holdout: bool, level: float
) -> HoldoutCheck | None:
    """The check over the period `holdout_period` chose (None: no check)."""
    calibration, full = pair.at_cutoff, pair.at_end
    if calibration.as_of >= full.as_of or fit.model is None or fit.used is None:
        return None
    if future_holdout:  # the run's own model, fitted on the calibration period
        fitted_on = int(calibration.buyers.sum())
        return holdout_check(fit.model, calibration, full, fitted_on=fitted_on, level=level)
    # a check, not the model: a fixed random sample of buyers fits it as well
    cal = _sample(np.flatnonzero(calibration.buyers), HOLDOUT_FIT_SAMPLE)
    refitted = fit_purchase_model(fit.used, *_rft(calibration, cal))
    if refitted.model is None:
        raise ValueError("; ".join(refitted.steps))
    return holdout_check(refitted.model, calibration, full, fitted_on=int(cal.size), level=level)


def _sample(indices: np.ndarray[Any, Any], size: int) -> np.ndarray[Any, Any]:
    if indices.size <= size:
        return indices
    return np.sort(np.random.default_rng(0).choice(indices, size=size, replace=False))
