"""The holdout check: predict the repeat purchases of a held-out period and compare.

Following Fader, Hardie & Lee (2005), section 4: fit on a calibration period, predict each
customer's repeat purchases in the period after it, and compare with what they did, in total
and by the number of repeat purchases made in calibration.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from clv.predictive import TransactionModel
from clv.scoring.summary import CustomerSummary

BUCKETS = (0, 1, 2, 3, 4, 5, 6, 7)  # the last bucket is "7+"


def holdout_check(
    model: TransactionModel, calibration: CustomerSummary, full: CustomerSummary
) -> dict[str, Any]:
    """Predicted vs actual repeat purchases in (calibration.as_of, full.as_of]."""
    horizon = float((full.as_of - calibration.as_of).days)
    buyers = calibration.buyers
    x = calibration.frequency[buyers].astype(np.float64)
    predicted = model.expected_purchases(
        horizon, x, calibration.recency[buyers], calibration.T[buyers]
    )
    actual = (full.frequency[buyers] - calibration.frequency[buyers]).astype(np.float64)
    total_predicted, total_actual = float(predicted.sum()), float(actual.sum())
    buckets = []
    for low in BUCKETS:
        members = (x == low) if low < BUCKETS[-1] else (x >= low)
        if not members.any():
            continue
        buckets.append(
            {
                "frequency": f"{low}+" if low == BUCKETS[-1] else str(low),
                "customers": int(members.sum()),
                "predicted": float(predicted[members].sum()),
                "actual": float(actual[members].sum()),
            }
        )
    error = (total_predicted - total_actual) / total_actual if total_actual else None
    return {
        "calibration_end": calibration.as_of.isoformat(),
        "holdout_end": full.as_of.isoformat(),
        "holdout_days": int(horizon),
        "customers": int(buyers.sum()),
        "predicted_repeat_purchases": total_predicted,
        "actual_repeat_purchases": total_actual,
        "relative_error": error,
        "mean_absolute_error": float(np.abs(predicted - actual).mean()) if x.size else None,
        "by_frequency": buckets,
    }
