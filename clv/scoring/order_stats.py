"""Per-customer order aggregates from a log of (customer-day key, amount) rows sorted by key.

The numpy half of `clv.scoring.summary`: the definitions of purchase days, refunds and
cohort months live here, once, whatever store the log was read from and however it was cut
into pieces (a piece is a run of whole customers; pieces' aggregates are concatenated).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from clv.segments.scores import BoolArray, IntArray

EPOCH = date(1970, 1, 1)
FIRST_DAY = (date.min - EPOCH).days  # 0001-01-01: days from it to 9999-12-31 fit in DAY_BITS
DAY_BITS = 22


@dataclass(frozen=True)
class CustomerMonths:
    """The order log as of the full day, per customer and calendar month (sorted by both):
    what the acquisition reports' cohorts and payback periods are summed from."""

    row: IntArray  # the customer's position in the summary
    month: IntArray  # calendar months since 1970-01 of the orders' local day
    net_minor: IntArray  # net revenue of the month (refunds included)
    purchased: BoolArray  # a purchase (not a refund) in the month


def month_of(days: IntArray) -> IntArray:
    """Calendar months since January 1970 of days since 1970-01-01."""
    months: IntArray = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return months


@dataclass
class OrderStats:
    """Per-customer order aggregates, one entry per customer (prospects included)."""

    first: IntArray  # first purchase day, -1 if none
    first_bought: IntArray  # value of the purchases on the first purchase day
    purchases: IntArray  # the rest as of the full day
    refunds: IntArray
    bought: IntArray
    net: IntArray
    last: IntArray  # last purchase day, -1 if none
    purchase_days: IntArray
    light_last: IntArray  # as of the light day
    light_purchase_days: IntArray
    year_before: BoolArray  # a purchase in the year before the last one (of the full day)
    last_year: BoolArray  # a purchase in the last year
    revenue_last_week: int  # net revenue of the 7 days ending on the full day
    months: CustomerMonths

    @classmethod
    def of(cls, log: IntArray, ids: IntArray, *, full_day: int, light_day: int) -> OrderStats:
        """Aggregate `log`, rows of (customer-day key, amount) sorted by the key.

        Customers and (customer, day) pairs are runs of equal keys: sums per run are
        `np.add.reduceat` over the run starts, with no per-row index.
        """
        n = ids.size
        log = _of_known_customers(log, ids)
        key, amount = log[:, 0], log[:, 1]
        customer = key >> DAY_BITS
        day = (key & ((1 << DAY_BITS) - 1)) + FIRST_DAY
        starts = np.flatnonzero(_changes(customer))  # each customer's first order
        rows = np.searchsorted(ids, customer[starts])  # the customers' positions in `ids`

        def per_customer(values: npt.NDArray[Any]) -> IntArray:
            out = np.zeros(n, dtype=np.int64)
            if starts.size:
                out[rows] = np.add.reduceat(_summable(values), starts, dtype=np.int64)
            return out

        purchase, refund = _purchases_and_refunds(key, amount)
        full = day <= full_day
        full_purchase = purchase & full
        purchases = per_customer(full_purchase)
        refunds = per_customer(full & refund)
        bought = per_customer(np.where(full_purchase, amount, 0))
        net = per_customer(np.where(full, amount, 0))
        revenue_last_week = int(amount[full & (day > full_day - 7)].sum())
        if full.all():  # no holdout orders after the full day: no copies
            months = _by_month(ids, customer, day, amount, full_purchase)
        else:
            months = _by_month(ids, customer[full], day[full], amount[full], full_purchase[full])
        del full, full_purchase

        if not purchase.all():  # purchase days: the (customer, day) runs among the purchases
            key, customer, day, amount = (c[purchase] for c in (key, customer, day, amount))
        return cls(
            purchases=purchases,
            refunds=refunds,
            bought=bought,
            net=net,
            revenue_last_week=revenue_last_week,
            months=months,
            **_purchase_days(
                ids, key, customer, day, amount, full_day=full_day, light_day=light_day
            ),
        )

    @classmethod
    def concat(cls, parts: list[OrderStats], sizes: list[int]) -> OrderStats:
        """The aggregates of consecutive pieces of the customers (of `sizes` customers each)
        as those of all of them."""
        if len(parts) == 1:
            return parts[0]
        offsets = np.cumsum([0, *sizes[:-1]])
        months = CustomerMonths(
            row=np.concatenate([p.months.row + o for p, o in zip(parts, offsets, strict=True)]),
            month=np.concatenate([p.months.month for p in parts]),
            net_minor=np.concatenate([p.months.net_minor for p in parts]),
            purchased=np.concatenate([p.months.purchased for p in parts]),
        )
        arrays = {name: np.concatenate([getattr(p, name) for p in parts]) for name in ARRAY_FIELDS}
        revenue = sum(p.revenue_last_week for p in parts)
        return cls(**arrays, revenue_last_week=revenue, months=months)

    def full_columns(self) -> IntArray:
        return np.column_stack(
            (
                self.purchases,
                self.refunds,
                self.bought,
                self.net,
                self.last,
                self.purchase_days,
            )
        )

    def light_columns(self) -> IntArray:
        zeros = np.zeros_like(self.first)
        return np.column_stack(
            (zeros, zeros, zeros, zeros, self.light_last, self.light_purchase_days)
        )


ARRAY_FIELDS = (
    "first", "first_bought", "purchases", "refunds", "bought", "net", "last", "purchase_days",
    "light_last", "light_purchase_days", "year_before", "last_year",
)  # fmt: skip


def _purchase_days(
    ids: IntArray,
    key: IntArray,
    customer: IntArray,
    day: IntArray,
    amount: IntArray,
    *,
    full_day: int,
    light_day: int,
) -> dict[str, Any]:
    """Each buyer's first purchase day and its value, purchase days and last purchase day as
    of both days, and the year-over-year retention flags, from the purchases' log."""
    n = ids.size
    day_starts = np.flatnonzero(_changes(key))
    d_customer, d_day = customer[day_starts], day[day_starts]
    d_bought = np.add.reduceat(amount, day_starts) if day_starts.size else d_day
    firsts = np.flatnonzero(_changes(d_customer))  # each buyer's first purchase day
    buyers = np.searchsorted(ids, d_customer[firsts])

    def per_buyer(days: BoolArray) -> IntArray:
        """How many of each buyer's purchase days are in `days`."""
        out = np.zeros(n, dtype=np.int64)
        if firsts.size:
            out[buyers] = np.add.reduceat(_summable(days), firsts, dtype=np.int64)
        return out

    def days_upto(limit: int) -> tuple[IntArray, IntArray]:
        """Purchase days on or before `limit` and the last of them (-1 if none)."""
        count = per_buyer(d_day <= limit)
        last = np.full(n, -1, dtype=np.int64)
        # days are sorted within a buyer: the last one counted is the count-th
        counted = count[buyers] > 0
        last[buyers[counted]] = d_day[firsts[counted] + count[buyers[counted]] - 1]
        return count, last

    first = np.full(n, -1, dtype=np.int64)
    first[buyers] = d_day[firsts]
    first_bought = np.zeros(n, dtype=np.int64)
    first_bought[buyers] = d_bought[firsts]
    purchase_days, last = days_upto(full_day)
    light_purchase_days, light_last = days_upto(light_day)
    year, two_years = full_day - 365, full_day - 730
    return {
        "first": first, "first_bought": first_bought, "last": last,
        "purchase_days": purchase_days, "light_last": light_last,
        "light_purchase_days": light_purchase_days,
        "year_before": per_buyer((d_day > two_years) & (d_day <= year)) > 0,
        "last_year": per_buyer((d_day > year) & (d_day <= full_day)) > 0,
    }  # fmt: skip


def _by_month(
    ids: IntArray, customer: IntArray, day: IntArray, amount: IntArray, purchase: BoolArray
) -> CustomerMonths:
    """Net revenue and whether anything was bought, per (customer, month) run of the log."""
    if not day.size:
        month = day
    else:  # a month per distinct day, looked up: converting ten million dates costs more
        first = int(day.min())
        month = month_of(np.arange(first, int(day.max()) + 1, dtype=np.int64))[day - first]
    starts = np.flatnonzero(_changes(customer) | _changes(month))
    if not starts.size:
        empty = np.zeros(0, dtype=np.int64)
        return CustomerMonths(empty, empty, empty, np.zeros(0, dtype=bool))
    bought = np.add.reduceat(_summable(purchase), starts, dtype=np.int64) > 0
    return CustomerMonths(
        row=np.searchsorted(ids, customer[starts]),
        month=month[starts],
        net_minor=np.add.reduceat(amount, starts, dtype=np.int64),
        purchased=bought,
    )


def _of_known_customers(log: IntArray, ids: IntArray) -> IntArray:
    """The rows of `log` whose customer is among `ids`: orders of a customer imported after
    the customers were read (another snapshot) are not this run's."""
    customer = log[:, 0] >> DAY_BITS
    at = np.searchsorted(ids, customer)
    known = (at < ids.size) & (ids[np.minimum(at, max(ids.size - 1, 0))] == customer)
    return log if bool(known.all()) else log[known]


def _summable(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Booleans as int8 (numpy adds a bool array into int64 several times slower)."""
    return values.view(np.int8) if values.dtype == np.bool_ else values


def _purchases_and_refunds(key: IntArray, amount: IntArray) -> tuple[BoolArray, BoolArray]:
    """Which orders are purchases (amount >= 0, but not on a day refunded in full) and which
    are refunds (amount < 0)."""
    refund = amount < 0
    purchase = ~refund
    if refund.any():
        purchase &= ~_refunded_in_full(key, amount, refund)
    return purchase, refund


def _refunded_in_full(key: IntArray, amount: IntArray, refund: BoolArray) -> BoolArray:
    """The rows of the (customer, day)s whose refunds cancel all of that day's purchases
    (a fully refunded order, refunded on its own day): such a day is not a purchase day."""
    starts = np.flatnonzero(_changes(key))
    net = np.add.reduceat(amount, starts)
    refunded = np.add.reduceat(_summable(refund), starts, dtype=np.int64) > 0
    cancelled = refunded & (net <= 0)
    if not cancelled.any():
        return np.zeros(key.size, dtype=bool)
    lengths = np.diff(np.append(starts, key.size))
    return np.repeat(cancelled, lengths)


def _changes(key: IntArray) -> BoolArray:
    """True where a row starts a new run of equal `key` values (the first row always does)."""
    new = np.empty(key.size, dtype=bool)
    new[:1] = True
    np.not_equal(key[1:], key[:-1], out=new[1:])
    return new


def in_key_order(log: IntArray) -> IntArray:
    """`log` sorted by key: as read (an index scan), or sorted here when the database chose a
    plan that hands the rows over in another order."""
    key = log[:, 0]
    if key.size < 2 or bool((key[1:] >= key[:-1]).all()):
        return log
    return log[np.argsort(key, kind="stable")]
