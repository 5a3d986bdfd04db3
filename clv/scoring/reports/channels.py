"""The channels report: per acquisition channel, value against acquisition cost.

Written by the scoring run; `clv.insights.acquisition` reads it. Definitions (the group
CLV:CAC, payback, affordable CAC) are `clv.segments.acquisition`'s.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from clv.scoring.reports.inputs import Base, group_sum, month_passes
from clv.segments.acquisition import NO_CHANNEL, affordable_cac, group_clv_cac, payback_month
from clv.segments.scores import FloatArray, IntArray


def channel_codes(base: Base) -> tuple[IntArray, list[str]]:
    """Every customer's channel group: the named channels, then "(no channel)"."""
    names = [*base.channel_names, NO_CHANNEL]
    return np.where(base.channel >= 0, base.channel, len(base.channel_names)), names


def cumulative_margin(
    base: Base, codes: IntArray, groups: int, *, gross_margin: float, exponent: int
) -> FloatArray:
    """Per group and calendar month since acquisition (column 0: the acquisition month), the
    cumulative margin of the customers with a known CAC (summed over the month log in passes,
    as wide as the latest month any of them reached)."""
    first = base.acquisition_month[base.has_cac & (base.acquisition_month >= 0)]
    latest = base.months.month
    widest = max(int(latest.max()) - int(first.min()) + 1, 1) if first.size and latest.size else 1
    per_month, reached = np.zeros(groups * widest), -1
    for months in month_passes(base.months):
        start = base.acquisition_month[months.row]
        counted = base.has_cac[months.row] & (start >= 0) & (codes[months.row] >= 0)
        k = np.maximum(months.month[counted] - start[counted], 0)
        reached = max(reached, int(k.max()) if k.size else -1)
        margin = months.net_minor[counted] / 10.0**exponent * gross_margin
        cells = codes[months.row[counted]] * widest + k
        per_month += np.bincount(cells, weights=margin, minlength=per_month.size)
    width = reached + 1 if reached >= 0 else 1
    return np.cumsum(per_month.reshape(groups, -1)[:, :width], axis=1)


def channels_report(
    base: Base, *, gross_margin: float, exponent: int, target: float
) -> dict[str, Any]:
    codes, names = channel_codes(base)
    groups = len(names)
    has_cac = base.has_cac
    with_cac = np.where(has_cac, codes, -1)
    customers = group_sum(codes, groups)
    sums = {
        "customers_with_cac": group_sum(with_cac, groups),
        "buyers": group_sum(np.where(base.buyer, codes, -1), groups),
        "cac_total": base.total_of(with_cac, groups, base.cac_minor),
        "historical_total": base.total_of(codes, groups, base.historical_minor),
        "predicted_total": group_sum(codes, groups, base.predicted),
        "total_clv_total": group_sum(codes, groups, base.total),
        "total_clv_with_cac": group_sum(with_cac, groups, base.total),
    }
    payback = cumulative_margin(base, codes, groups, gross_margin=gross_margin, exponent=exponent)
    equity = float(base.predicted.sum())
    rows = []
    for g in np.flatnonzero(customers > 0).tolist():
        row: dict[str, Any] = {"channel": names[g], "customers": int(customers[g])}
        row |= {key: float(value[g]) for key, value in sums.items()}
        for key in ("customers_with_cac", "buyers"):
            row[key] = int(row[key])
        rows.append(_derived(row, payback[g].tolist(), equity=equity, target=target))
    rows.sort(key=_order)
    return {"target": target, "gross_margin": gross_margin, "customer_equity": equity,
            "customers": len(base), "channels": rows}  # fmt: skip


def _derived(
    row: dict[str, Any], cumulative: list[float], *, equity: float, target: float
) -> dict[str, Any]:
    customers, with_cac, cac_total = row["customers"], row["customers_with_cac"], row["cac_total"]
    mean = row["total_clv_total"] / customers
    return row | {
        "cac_mean": cac_total / with_cac if with_cac else None,
        "total_clv_mean": mean,
        "clv_cac": group_clv_cac(row["total_clv_with_cac"], cac_total) if with_cac else None,
        "payback_months": payback_month(cumulative, cac_total) if with_cac else None,
        "affordable_cac": affordable_cac(mean, target),
        "equity_share": row["predicted_total"] / equity if equity else None,
        "cumulative_margin": cumulative if with_cac else [],
    }


def _order(row: dict[str, Any]) -> tuple[int, float, int, str]:
    """By CLV:CAC, highest first; channels without a ratio after them, by size."""
    ratio = row["clv_cac"]
    return (ratio is None, -(ratio or 0.0), -row["customers"], row["channel"])
