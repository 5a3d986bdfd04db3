"""The cohorts and funnel reports: acquisition cohorts by month or quarter, and the
lifecycle funnel (acquired, converted, retained, loyal, dormant) per channel and cohort.

A customer's cohort is the period of their acquisition: `acquired_at` when the import gave
it, else the first purchase. Period k of a cohort is its k-th calendar month (or quarter)
counted from the acquisition period (k = 0); an order dated before `acquired_at` counts in
period 0. The cohort's newest period, the one the run's day falls in, is still under way.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from clv.scoring.order_stats import month_of
from clv.scoring.reports.channels import channel_codes
from clv.scoring.reports.inputs import Base, group_sum, month_passes
from clv.segments.acquisition import Period, group_clv_cac
from clv.segments.scores import FloatArray, IntArray

STEP = {"month": 1, "quarter": 3}


def period_label(index: int, period: Period) -> str:
    """ "2025-06" for a month, "2025-Q2" for a quarter (indexes count from January 1970)."""
    if period == "month":
        return f"{1970 + index // 12}-{index % 12 + 1:02d}"
    return f"{1970 + index // 4}-Q{index % 4 + 1}"


def cohort_codes(base: Base, period: Period) -> tuple[IntArray, IntArray]:
    """Each customer's cohort (index into the sorted cohort periods; -1: no acquisition
    date and no purchase) and the cohorts' period indexes."""
    month = base.acquisition_month
    known = month >= 0
    periods = month // STEP[period]
    starts, inverse = np.unique(periods[known], return_inverse=True)
    codes = np.full(len(base), -1, dtype=np.int64)
    codes[known] = inverse
    return codes, starts.astype(np.int64)


def cohorts_report(
    base: Base,
    cohorts: tuple[IntArray, IntArray],
    *,
    period: Period,
    as_of_day: int,
    exponent: int,
) -> dict[str, Any]:
    """The report of the cohorts `cohort_codes(base, period)` found."""
    codes, starts = cohorts
    groups = starts.size
    step = STEP[period]
    now = int(month_of(np.array([as_of_day]))[0]) // step
    ages = now - starts  # the newest period's index, per cohort
    width = int(ages.max()) + 1 if groups else 1
    revenue, buyers = _by_period(base, codes, starts, step=step, width=width, exponent=exponent)
    size = group_sum(codes, groups)
    with_cac = np.where(base.has_cac, codes, -1)
    sums = {
        "customers_with_cac": group_sum(with_cac, groups),
        "cac_total": base.total_of(with_cac, groups, base.cac_minor),
        "historical_total": base.total_of(codes, groups, base.historical_minor),
        "predicted_total": group_sum(codes, groups, base.predicted),
        "total_clv_with_cac": group_sum(with_cac, groups, base.total),
    }
    rows = []
    for g in range(groups):
        n, age = int(size[g]), int(ages[g])
        row: dict[str, Any] = {"cohort": period_label(int(starts[g]), period), "size": n}
        row |= {key: float(value[g]) for key, value in sums.items()}
        row["customers_with_cac"] = int(row["customers_with_cac"])
        row |= {
            "periods": age + 1,
            "complete_periods": age,
            "retention": (buyers[g, : age + 1] / n).tolist(),
            "revenue_per_customer": (np.cumsum(revenue[g, : age + 1]) / n).tolist(),
            "predicted_per_customer": row["predicted_total"] / n,
            "clv_cac": group_clv_cac(row["total_clv_with_cac"], row["cac_total"]),
        }
        rows.append(row)
    unplaced = int((codes < 0).sum())
    return {"period": period, "cohorts": rows, "unplaced": unplaced}


def _by_period(
    base: Base, codes: IntArray, starts: IntArray, *, step: int, width: int, exponent: int
) -> tuple[FloatArray, FloatArray]:
    """Per cohort and period since acquisition: net revenue, and the customers who bought
    (summed over the month log in passes)."""
    size = starts.size * width
    revenue, buyers = np.zeros(size), np.zeros(size, dtype=np.int64)
    last_pair = -1
    for months in month_passes(base.months):
        cohort = codes[months.row]
        placed = cohort >= 0
        row, cohort = months.row[placed], cohort[placed]
        k = np.maximum(months.month[placed] // step - starts[cohort], 0)
        cells = cohort * width + k
        revenue += np.bincount(cells, weights=months.net_minor[placed] / 10.0**exponent,
                               minlength=size)  # fmt: skip
        bought = months.purchased[placed]
        # a customer buying in two months of one quarter is one buyer of it: (customer, k)
        # pairs are sorted (the log is by customer, then month), across passes too
        pair = row[bought] * width + k[bought]
        first = np.ones(pair.size, dtype=bool)
        first[1:] = pair[1:] != pair[:-1]
        if pair.size:
            first[0] = pair[0] != last_pair
            last_pair = int(pair[-1])
        buyers += np.bincount(cells[bought][first], minlength=size)
    return revenue.reshape(-1, width), buyers.reshape(-1, width).astype(np.float64)


def funnel_rows(base: Base, codes: IntArray, names: list[str]) -> list[dict[str, Any]]:
    """The funnel of each group (codes index `names`; -1: in none), the empty ones left out."""
    groups = len(names)
    acquired = group_sum(codes, groups)
    counts = {
        "converted": group_sum(np.where(base.buyer, codes, -1), groups),
        "retained": group_sum(np.where(base.retained, codes, -1), groups),
        "loyal": group_sum(np.where(base.loyal, codes, -1), groups),
        "dormant": group_sum(np.where(base.dormant, codes, -1), groups),
    }
    timed = (base.days_to_first_order >= 0) & (codes >= 0)
    timed_codes, days = codes[timed], base.days_to_first_order[timed]
    order = np.lexsort((days, timed_codes))  # by group, then days
    timed_codes, days = timed_codes[order], days[order]
    rows = []
    for g in np.flatnonzero(acquired > 0).tolist():
        n = int(acquired[g])
        row: dict[str, Any] = {"group": names[g], "acquired": n}
        row["prospects"] = n - int(counts["converted"][g])
        for key, value in counts.items():
            row[key] = int(value[g])
            row[f"{key}_share"] = int(value[g]) / n
        low, high = np.searchsorted(timed_codes, [g, g + 1])
        own = days[low:high]
        row["timed"] = int(own.size)  # converted customers with an acquisition date
        row["median_days_to_first_order"] = float(np.median(own)) if own.size else None
        rows.append(row)
    return rows


def funnel_report(base: Base, cohorts: dict[Period, tuple[IntArray, IntArray]]) -> dict[str, Any]:
    """The funnel of all customers, each channel, and the cohorts `cohort_codes` found."""
    channels, channel_names = channel_codes(base)
    everyone = np.zeros(len(base), dtype=np.int64)
    report: dict[str, Any] = {
        "all": funnel_rows(base, everyone, ["all customers"]),
        "channels": funnel_rows(base, channels, channel_names),
    }
    for period, (codes, starts) in cohorts.items():
        labels = [period_label(int(s), period) for s in starts]
        report[f"cohorts_{period}"] = funnel_rows(base, codes, labels)
    return report
