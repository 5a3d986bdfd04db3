"""What a scoring run keeps of its checks and changes, as typed records: pure data with
`to_json`/`from_json`, importable without the numerical code that computes them (the read side
and the digest read them; clv.scoring.holdout and clv.scoring.changes compute them)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True)
class FrequencyBucket:
    frequency: str  # repeat purchases in calibration: "0" .. "6", "7+"
    customers: int
    predicted: float
    actual: float


@dataclass(frozen=True)
class HoldoutCheck:
    """Predicted vs actual repeat purchases of the buyers of the calibration period."""

    calibration_end: date
    holdout_end: date
    holdout_days: int
    customers: int
    predicted_repeat_purchases: float
    actual_repeat_purchases: float
    relative_error: float | None  # (predicted - actual) / actual; None when actual is 0
    mean_absolute_error: float | None
    by_frequency: tuple[FrequencyBucket, ...]
    fitted_on: int  # buyers the checked model was fitted on
    interval_level: float | None = None  # CLV_INTERVAL of the purchase ranges checked
    interval_coverage: float | None = None  # share of customers whose holdout purchases fell
    # inside their range (None: runs stored before ranges, or no range could be computed)
    interval_expected: float | None = None  # the share the ranges' own probabilities expect

    def to_json(self) -> dict[str, Any]:
        return {
            "interval_level": self.interval_level,
            "interval_coverage": self.interval_coverage,
            "interval_expected": self.interval_expected,
            "calibration_end": self.calibration_end.isoformat(),
            "holdout_end": self.holdout_end.isoformat(),
            "holdout_days": self.holdout_days,
            "customers": self.customers,
            "predicted_repeat_purchases": self.predicted_repeat_purchases,
            "actual_repeat_purchases": self.actual_repeat_purchases,
            "relative_error": self.relative_error,
            "mean_absolute_error": self.mean_absolute_error,
            "by_frequency": [vars(bucket) for bucket in self.by_frequency],
            "fitted_on": self.fitted_on,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> HoldoutCheck:
        return cls(
            calibration_end=date.fromisoformat(data["calibration_end"]),
            holdout_end=date.fromisoformat(data["holdout_end"]),
            holdout_days=int(data["holdout_days"]),
            customers=int(data["customers"]),
            predicted_repeat_purchases=float(data["predicted_repeat_purchases"]),
            actual_repeat_purchases=float(data["actual_repeat_purchases"]),
            relative_error=_float_or_none(data["relative_error"]),
            mean_absolute_error=_float_or_none(data["mean_absolute_error"]),
            by_frequency=tuple(_bucket(b) for b in data["by_frequency"]),
            fitted_on=int(data["fitted_on"]),
            interval_level=_float_or_none(data.get("interval_level")),
            interval_coverage=_float_or_none(data.get("interval_coverage")),
            interval_expected=_float_or_none(data.get("interval_expected")),
        )


def _bucket(data: Mapping[str, Any]) -> FrequencyBucket:
    return FrequencyBucket(
        str(data["frequency"]), int(data["customers"]), float(data["predicted"]),
        float(data["actual"]),
    )  # fmt: skip


def _float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)


@dataclass(frozen=True)
class ModelComparison:
    """One candidate of `CLV_MODEL=auto` (clv.scoring.selection): its fit and holdout."""

    key: str  # the candidate asked for (bgnbd, mbgnbd, pnbd)
    used: str | None  # the model its fit gave (a limit or simpler model; None: none)
    log_likelihood: float | None
    bic: float | None
    holdout_mae: float | None
    aggregate_error: float | None  # (predicted - actual) / actual over the holdout
    predicted_holdout: float | None  # repeat purchases predicted for the holdout
    actual_holdout: float | None
    chosen: bool

    def to_json(self) -> dict[str, Any]:
        return dict(vars(self))

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ModelComparison:
        used = data.get("used")
        return cls(
            key=str(data["key"]), used=None if used is None else str(used),
            log_likelihood=_float_or_none(data.get("log_likelihood")),
            bic=_float_or_none(data.get("bic")),
            holdout_mae=_float_or_none(data.get("holdout_mae")),
            aggregate_error=_float_or_none(data.get("aggregate_error")),
            predicted_holdout=_float_or_none(data.get("predicted_holdout")),
            actual_holdout=_float_or_none(data.get("actual_holdout")),
            chosen=bool(data.get("chosen")),
        )  # fmt: skip


@dataclass(frozen=True)
class EquityRange:
    """Customer equity's CLV_INTERVAL range, and how much of its variance is the model's own
    (parameter) uncertainty rather than the customers' individual chance."""

    level: float
    low: float
    high: float
    parameter_share: float  # of the variance, 0..1

    def to_json(self) -> dict[str, Any]:
        return dict(vars(self))

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> EquityRange:
        return cls(
            float(data["level"]), float(data["low"]), float(data["high"]),
            float(data["parameter_share"]),
        )  # fmt: skip


@dataclass(frozen=True)
class Mover:
    customer_id: int  # the store's id
    before: float
    after: float


@dataclass(frozen=True)
class Migration:
    source: str
    target: str
    customers: int


@dataclass(frozen=True)
class WeekChanges:
    """What changed from the previous week's point to this run: the drivers of the equity
    change (new customers, customers who went dormant, everyone else), the largest rises and
    falls of predicted CLV, and the moves between RFM segments (largest first)."""

    previous_week_end: date  # the history point compared with
    new_customers: int
    new_customers_clv: float
    went_dormant: int
    went_dormant_change: float
    others_change: float
    rises: tuple[Mover, ...]
    falls: tuple[Mover, ...]
    migrations: tuple[Migration, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "previous_week_end": self.previous_week_end.isoformat(),
            "new_customers": self.new_customers,
            "new_customers_clv": self.new_customers_clv,
            "went_dormant": self.went_dormant,
            "went_dormant_change": self.went_dormant_change,
            "others_change": self.others_change,
            "rises": [vars(m) for m in self.rises],
            "falls": [vars(m) for m in self.falls],
            "migrations": [
                {"from": m.source, "to": m.target, "customers": m.customers}
                for m in self.migrations
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WeekChanges:
        def movers(key: str) -> tuple[Mover, ...]:
            return tuple(
                Mover(int(m["customer_id"]), float(m["before"]), float(m["after"]))
                for m in data[key]
            )

        return cls(
            previous_week_end=date.fromisoformat(data["previous_week_end"]),
            new_customers=int(data["new_customers"]),
            new_customers_clv=float(data["new_customers_clv"]),
            went_dormant=int(data["went_dormant"]),
            went_dormant_change=float(data["went_dormant_change"]),
            others_change=float(data["others_change"]),
            rises=movers("rises"),
            falls=movers("falls"),
            migrations=tuple(
                Migration(str(m["from"]), str(m["to"]), int(m["customers"]))
                for m in data["migrations"]
            ),
        )


def holdout_sentence(check: HoldoutCheck | None) -> str:
    """The check in words, the one way every surface says it; the sign convention is in the
    words: "under-predicted" when the model predicted fewer purchases than customers made.

    '1998-03-31 → 1998-06-30: predicted 608 repeat purchases, actual 495: the model
    over-predicted by 22.8%' (the CDNOW walkthrough)
    """
    if check is None:
        return "no holdout check in this run"
    predicted, actual = check.predicted_repeat_purchases, check.actual_repeat_purchases
    head = (
        f"{check.calibration_end} → {check.holdout_end}: predicted {predicted:,.0f} repeat "
        f"purchases, actual {actual:,.0f}"
    )
    error = check.relative_error
    if error is None:
        return f"{head}: no repeat purchases to compare with"
    if round(abs(error), 3) == 0:
        said = f"{head}: the model predicted them to within 0.1%"
    else:
        verb = "under-predicted" if error < 0 else "over-predicted"
        said = f"{head}: the model {verb} by {abs(error):.1%}"
    return said + coverage_clause(check)


def coverage_clause(check: HoldoutCheck) -> str:
    """'; 85.1% of customers' holdout purchases fell inside their 80 % range (the ranges' own
    probabilities expected 84.6%)' (or nothing). A range of whole purchases holds more than
    80 % for a customer who most likely buys nothing: the second figure is the honest target."""
    if check.interval_coverage is None or check.interval_level is None:
        return ""
    said = (
        f"; {check.interval_coverage:.1%} of customers' holdout purchases fell inside their "
        f"{check.interval_level * 100:.0f} % range"
    )
    if check.interval_expected is not None:
        said += f" (the ranges' own probabilities expected {check.interval_expected:.1%})"
    return said
