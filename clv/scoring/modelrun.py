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

from clv.predictive import TransactionModel
from clv.scoring.fitting import CANDIDATES, FitOutcome, fit_purchase_model
from clv.scoring.holdout import fixed_sample, holdout_check
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
    if name != AUTO:
        check, note = _checked(pair, fits[name], future_holdout, level)
        return RunModel(fits[name], check, note, (), None)
    # the candidates are compared on their holdout errors: only the chosen one's check has
    # the coverage of its ranges (a table of purchase distributions per customer: seconds)
    checkers = {key: _Checker(pair, fit, future_holdout) for key, fit in fits.items()}
    checks = {key: checker.check(None)[0] for key, checker in checkers.items()}
    rows = comparison_rows(fits, checks, int(summary.buyers.sum()))
    chosen = choose(rows) or CANDIDATES[0]
    rows = [replace(row, chosen=row.key == chosen) for row in rows]
    check, note = checkers[chosen].check(level)
    return RunModel(fits[chosen], check, note, tuple(rows), None)


def _checked(
    pair: SummaryPair, fit: FitOutcome, future_holdout: bool, level: float
) -> tuple[HoldoutCheck | None, str | None]:
    return _Checker(pair, fit, future_holdout).check(level)


class _Checker:
    """The holdout check of one fit, over the period `holdout_period` chose; the model it
    checks (the run's own, or refitted on the calibration period) is fitted once."""

    def __init__(self, pair: SummaryPair, fit: FitOutcome, future_holdout: bool) -> None:
        self.pair, self.fit, self.future_holdout = pair, fit, future_holdout
        self._model: tuple[TransactionModel, int] | None = None

    def check(self, level: float | None) -> tuple[HoldoutCheck | None, str | None]:
        """The check (with the coverage of its `level` ranges; None: none), or why there is
        none (a check that cannot be made is a note, not a failure)."""
        calibration, full = self.pair.at_cutoff, self.pair.at_end
        if calibration.as_of >= full.as_of or self.fit.model is None or self.fit.used is None:
            return None, None
        try:
            model, fitted_on = self._checked_model()
            check = holdout_check(model, calibration, full, fitted_on=fitted_on, level=level)
        except Exception as exc:  # any failure of a check leaves the run intact
            return None, f"holdout check not possible: {exc}"
        return check, None

    def _checked_model(self) -> tuple[TransactionModel, int]:
        if self._model is None:
            self._model = self._fitted()
        return self._model

    def _fitted(self) -> tuple[TransactionModel, int]:
        calibration, fit = self.pair.at_cutoff, self.fit
        assert fit.model is not None
        assert fit.used is not None
        if self.future_holdout:  # the run's own model, fitted on the calibration period
            return fit.model, int(calibration.buyers.sum())
        # a check, not the model: a fixed random sample of buyers fits it as well
        cal = fixed_sample(np.flatnonzero(calibration.buyers), HOLDOUT_FIT_SAMPLE)
        refitted = fit_purchase_model(fit.used, *_rft(calibration, cal))
        if refitted.model is None:
            raise ValueError("; ".join(refitted.steps))
        return refitted.model, int(cal.size)
