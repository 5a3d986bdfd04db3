"""A run's customer scores as columns: written by binary COPY (PostgreSQL) or as Arrow batches
(SQLite, clv.scoring.stage), never as a million rows of Python objects.

The values are stored as SQLAlchemy itself stores them, so the ORM reads the rows back
unchanged: money in major units (dollars) except the exact historical_value_minor, NaN as
NULL, on SQLite days as `YYYY-MM-DD` and booleans as 0/1.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from clv.scoring.copy_binary import Column
from clv.scoring.summary import CustomerSummary, to_day
from clv.segments.classify import STAGE_NAMES, Classes
from clv.segments.definitions import PROSPECTS
from clv.segments.scores import SEGMENT_NAMES, TIER_NAMES


def _nan_null(kind: str, values: npt.NDArray[Any]) -> Column:
    null = np.isnan(values)
    return Column(kind, values, null if null.any() else None)


def _count_null(values: npt.NDArray[np.float64]) -> Column:
    """A count kept as float with NaN for none (purchase ranges), as an integer column."""
    null = np.isnan(values)
    return Column("int4", np.nan_to_num(values).astype(np.int64), null if null.any() else None)


def _days(days: npt.NDArray[np.int64]) -> Column:
    null = days < 0
    return Column("date", days, null if null.any() else None)


def score_columns(
    run_id: int, summary: CustomerSummary, values: dict[str, Any]
) -> dict[str, Column]:
    """The customer_scores columns of run `run_id`, by name, in the table's order."""
    classes: Classes = values["classes"]
    n = len(summary)
    days_since = summary.days_since_last
    return {
        "run_id": Column("int4", np.full(n, run_id, dtype=np.int64)),
        "customer_id": Column("int4", summary.customer_id),
        "orders": Column("int4", summary.orders),
        "refunds": Column("int4", summary.refunds),
        "historical_value_minor": Column("int8", summary.historical_minor),
        "aov": _nan_null("float8", values["aov"]),
        "first_order": _days(summary.first_day),
        "last_order": _days(summary.last_day),
        "days_since_last": Column("int4", days_since, days_since < 0),
        "frequency": Column("int4", summary.frequency),
        "recency": Column("float8", summary.recency),
        "tenure": Column("float8", summary.T),
        "monetary": Column("float8", values["monetary"]),
        "predicted_clv": Column("float8", values["predicted_clv"]),
        "formula_clv": Column("float8", values["formula_clv"]),
        "p_alive": _nan_null("float8", values["p_alive"]),
        "expected_purchases_90d": Column("float8", values["expected_purchases_90d"]),
        "expected_spend": Column("float8", values["expected_spend"]),
        "clv_cac": _nan_null("float8", values["clv_cac"]),
        "r_score": Column("int2", classes.r_score),
        "f_score": Column("int2", classes.f_score),
        "m_score": Column("int2", classes.m_score),
        "segment": Column("text", classes.segment_code, labels=(*SEGMENT_NAMES, PROSPECTS.name)),
        "tier": Column("text", classes.tier_code, labels=TIER_NAMES),
        "stage": Column("text", classes.stage_code, labels=STAGE_NAMES),
        "dormant": Column("bool", classes.dormant),
        "dormant_reason": Column("text", classes.reason_code, labels=classes.reason_labels),
        "value_at_stake": Column("float8", classes.value_at_stake),
        **_range_columns(summary, values),
    }


def _range_columns(summary: CustomerSummary, values: dict[str, Any]) -> dict[str, Column]:
    """The ranges and the cadence (clv.scoring.intervals, clv.scoring.cadence)."""
    wait = values["next_order_in_days"]
    known = np.isfinite(wait) & (wait < 36_525)  # beyond a century: no date to show
    next_day = np.where(known, to_day(summary.as_of) + np.ceil(np.nan_to_num(wait)), -1)
    return {
        "clv_low": _nan_null("float8", values["clv_low"]),
        "clv_high": _nan_null("float8", values["clv_high"]),
        "expected_purchases_horizon": _nan_null("float8", values["expected_purchases_horizon"]),
        "purchases_low": _count_null(values["purchases_low"]),
        "purchases_high": _count_null(values["purchases_high"]),
        "order_gap_days": _nan_null("float8", values["order_gap_days"]),
        "next_order_on": _days(next_day.astype(np.int64)),
        "overdue": Column("bool", values["overdue"]),
    }
