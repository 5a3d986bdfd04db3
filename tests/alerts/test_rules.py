"""The alert rules' definitions: the usual band, model drift and the equity drop."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pytest

from clv.alerts.drift import holdout_error, measure_drift
from clv.scoring.records import HoldoutCheck
from clv.segments.alerts import (
    COVERAGE_FLOOR,
    DRIFT_WIDTH,
    MAD_TO_SD,
    enabled_rules,
    equity_fell,
    tier_names,
    usual_band,
)

BASE = HoldoutCheck(
    calibration_end=date(2024, 4, 1), holdout_end=date(2024, 6, 30), holdout_days=90,
    customers=1000, predicted_repeat_purchases=500.0, actual_repeat_purchases=500.0,
    relative_error=0.0, mean_absolute_error=0.3, by_frequency=(), fitted_on=1000,
    interval_level=0.8, interval_coverage=0.8,
)  # fmt: skip


def test_the_band_is_the_median_plus_minus_three_robust_sds() -> None:
    history = [0.61, 0.58, 0.60, 0.64, 0.59, 0.62, 0.90, 0.60]  # one odd week
    band = usual_band(history, floor=0.0, relative=False)
    assert band is not None
    centre = float(np.median(history))
    spread = MAD_TO_SD * float(np.median(np.abs(np.array(history) - centre)))
    assert band.low == pytest.approx(centre - DRIFT_WIDTH * spread)
    assert band.high == pytest.approx(centre + DRIFT_WIDTH * spread)
    assert band.high < 0.90  # the odd week did not widen it
    assert usual_band(history[:2], floor=0.0, relative=False) is None  # too little history
    flat = usual_band([0.8] * 5, floor=COVERAGE_FLOOR, relative=False)
    assert flat is not None
    assert (flat.low, flat.high) == pytest.approx((0.75, 0.85))  # never narrower than the floor


def checks(errors: list[float], coverages: list[float]) -> list[HoldoutCheck]:
    return [replace(BASE, mean_absolute_error=e * 0.5, interval_coverage=c)
            for e, c in zip(errors, coverages, strict=True)]  # fmt: skip


def test_drift_fires_when_a_measure_moves_out_of_its_band_not_while_it_stays_out() -> None:
    steady = [0.60, 0.61, 0.59, 0.60, 0.62, 0.60]
    assert holdout_error(checks([0.6], [0.8])[0]) == pytest.approx(0.6)  # MAE / mean actual
    moved = checks([*steady, 0.95], [0.8] * 7)
    found = measure_drift("holdout_error", moved)
    assert found is not None
    assert found.value == pytest.approx(0.95)
    assert found.previous == pytest.approx(0.60)
    assert measure_drift("interval_coverage", moved) is None  # coverage held
    stayed_out = checks([*steady, 0.95, 0.96], [0.8] * 8)
    assert measure_drift("holdout_error", stayed_out) is None  # out already the run before
    coverage_fell = checks([0.6] * 7, [0.80, 0.79, 0.81, 0.80, 0.80, 0.80, 0.62])
    assert measure_drift("interval_coverage", coverage_fell) is not None


def test_the_equity_rule_and_the_settings_words() -> None:
    assert equity_fell(100.0, 94.0, 0.05)
    assert not equity_fell(100.0, 95.0, 0.05)  # exactly 5 %: not more than
    assert not equity_fell(100.0, 120.0, 0.05)
    assert tier_names("gold, PLATINUM") == ["Gold", "Platinum"]
    with pytest.raises(ValueError, match="unknown tier 'Diamond'"):
        tier_names("Diamond")
    assert enabled_rules("model_drift,vip_dormant") == ("vip_dormant", "model_drift")
