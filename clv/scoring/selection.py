"""`CLV_MODEL=auto`: compare the purchase models on the holdout and choose one.

The rule is `clv.segments.predictions.AUTO_RULE`: the lowest per-customer mean absolute
error of the holdout repeat purchases; within 1 % of the best, the smaller aggregate error;
without a holdout check for every candidate, the lowest BIC (Schwarz 1978). The comparison
is kept in the run's details (`clvbot model --json` `comparison`, the table in `/clv model`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from clv.scoring.fitting import FitOutcome
from clv.scoring.records import HoldoutCheck, ModelComparison

MAE_TIE = 0.01  # relative: MAEs this close count as equal


def bic(log_likelihood: float, n_params: int, n: int) -> float:
    """Schwarz's Bayesian information criterion, -2 LL + k ln n (lower is better)."""
    return -2.0 * log_likelihood + n_params * math.log(max(n, 1))


def comparison_rows(
    fits: Mapping[str, FitOutcome], checks: Mapping[str, HoldoutCheck | None], n: int
) -> list[ModelComparison]:
    """One row per candidate, in the candidates' order (`chosen` not yet decided)."""
    rows = []
    for key, fit in fits.items():
        model, check = fit.model, checks.get(key)
        ll = None if model is None else float(model.log_likelihood)
        rows.append(
            ModelComparison(
                key=key, used=fit.used, log_likelihood=ll,
                bic=None if ll is None or model is None else bic(ll, len(model.param_names), n),
                holdout_mae=None if check is None else check.mean_absolute_error,
                aggregate_error=None if check is None else check.relative_error,
                predicted_holdout=None if check is None else check.predicted_repeat_purchases,
                actual_holdout=None if check is None else check.actual_repeat_purchases,
                chosen=False,
            )
        )  # fmt: skip
    return rows


def choose(rows: list[ModelComparison]) -> str | None:
    """The key of the candidate the rule picks (None: none was fitted)."""
    fitted = [row for row in rows if row.used is not None]
    if not fitted:
        return None
    checked = [row for row in fitted if row.holdout_mae is not None]
    if len(checked) == len(fitted):
        best = min(row.holdout_mae or 0.0 for row in checked)
        close = [row for row in checked if (row.holdout_mae or 0.0) <= best * (1 + MAE_TIE)]
        return min(close, key=lambda row: abs(row.aggregate_error or 0.0)).key
    return min(fitted, key=lambda row: row.bic if row.bic is not None else math.inf).key
