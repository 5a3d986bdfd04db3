"""What changed since the previous week: kept with each run so the digest never rescans customers.

The equity change from the previous week to this one is split three ways, the drivers the
digest names: customers new this week (their whole CLV), customers who went dormant this week
(the change of their CLV), and everyone else (changed purchase and spend behaviour). Plus the
largest single rises and falls, and the counts of customers who moved between RFM segments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection, select

from clv.scoring.records import Migration, Mover, WeekChanges
from clv.store.tables import customer_weekly_table

weekly = customer_weekly_table


@dataclass(frozen=True)
class WeekScores:
    """Buyers' scores at one week end, sorted by customer id."""

    customer_id: NDArray[np.int64]
    predicted_clv: NDArray[np.float64]
    segment: NDArray[np.object_]
    dormant: NDArray[np.bool_]

    @classmethod
    def of(
        cls,
        customer_id: NDArray[Any],
        predicted_clv: NDArray[Any],
        segment: NDArray[Any],
        dormant: NDArray[Any],
    ) -> WeekScores:
        order = np.argsort(customer_id, kind="stable")
        return cls(
            np.asarray(customer_id, dtype=np.int64)[order],
            np.asarray(predicted_clv, dtype=np.float64)[order],
            np.asarray(segment, dtype=object)[order],
            np.asarray(dormant, dtype=bool)[order],
        )


def read_week(connection: Connection, week_end: date) -> WeekScores | None:
    """The stored scores of `week_end`, or None when that week is not in the history."""
    rows = connection.execute(
        select(weekly.c.customer_id, weekly.c.predicted_clv, weekly.c.segment, weekly.c.dormant)
        .where(weekly.c.week_end == week_end)
        .order_by(weekly.c.customer_id)
    ).all()
    if not rows:
        return None
    ids, clv, segment, dormant = zip(*rows, strict=True)
    return WeekScores(
        np.fromiter(ids, dtype=np.int64, count=len(ids)),
        np.fromiter(clv, dtype=np.float64, count=len(clv)),
        np.array(segment, dtype=object),
        np.fromiter(dormant, dtype=bool, count=len(dormant)),
    )


def week_changes(
    before: WeekScores, after: WeekScores, *, previous_week_end: date, limit: int = 5
) -> WeekChanges:
    """The change from `before` (the point of `previous_week_end`) to `after`."""
    if before.customer_id.size == 0:
        before = WeekScores.of(np.zeros(1, np.int64) - 1, np.zeros(1), np.array([""]), np.zeros(1))
    position = np.minimum(
        np.searchsorted(before.customer_id, after.customer_id), before.customer_id.size - 1
    )
    known = before.customer_id[position] == after.customer_id
    old_clv = np.where(known, before.predicted_clv[position], 0.0)
    change = np.where(known, after.predicted_clv - old_clv, after.predicted_clv)
    was_dormant = np.where(known, before.dormant[position], False)
    went_dormant = known & after.dormant & ~was_dormant
    others = known & ~went_dormant
    # customers who left the history (e.g. deleted) take their whole previous CLV with them
    gone = np.ones(before.customer_id.size, dtype=bool)
    gone[position[known]] = False
    return WeekChanges(
        previous_week_end=previous_week_end,
        new_customers=int((~known).sum()),
        new_customers_clv=float(change[~known].sum()),
        went_dormant=int(went_dormant.sum()),
        went_dormant_change=float(change[went_dormant].sum()),
        others_change=float(change[others].sum() - before.predicted_clv[gone].sum()),
        rises=_movers(after, old_clv, change, known, limit, rising=True),
        falls=_movers(after, old_clv, change, known, limit, rising=False),
        migrations=_migrations(before.segment[position[known]], after.segment[known]),
    )


def _movers(
    after: WeekScores,
    old_clv: NDArray[np.float64],
    change: NDArray[np.float64],
    known: NDArray[np.bool_],
    limit: int,
    *,
    rising: bool,
) -> tuple[Mover, ...]:
    candidates = np.flatnonzero(known & ((change > 0) if rising else (change < 0)))
    if candidates.size == 0:
        return ()
    key = -change[candidates] if rising else change[candidates]
    if candidates.size > limit:
        keep = np.argpartition(key, limit - 1)[:limit]
        candidates, key = candidates[keep], key[keep]
    ordered = candidates[np.lexsort((after.customer_id[candidates], key))]
    return tuple(
        Mover(int(after.customer_id[i]), float(old_clv[i]), float(after.predicted_clv[i]))
        for i in ordered
    )


def _migrations(old: NDArray[np.object_], new: NDArray[np.object_]) -> tuple[Migration, ...]:
    moved = old != new
    if not moved.any():
        return ()
    names, codes = np.unique(np.concatenate([old[moved], new[moved]]).astype(str),
                             return_inverse=True)  # fmt: skip
    n = int(moved.sum())
    pairs, counts = np.unique(codes[:n] * names.size + codes[n:], return_counts=True)
    rows = [
        Migration(str(names[p // names.size]), str(names[p % names.size]), int(k))
        for p, k in zip(pairs.tolist(), counts.tolist(), strict=True)
    ]
    return tuple(sorted(rows, key=lambda row: (-row.customers, row.source, row.target)))
