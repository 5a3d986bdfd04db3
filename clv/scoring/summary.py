"""Per-customer purchase summaries from one ordered scan of the orders: model and segment inputs.

As of a day D (orders on D included), in days, for each customer with a purchase:
- purchase days: days with at least one order of amount >= 0 (refunds are never purchases;
  several orders on one day are one purchase day, as in the models' literature), except a day
  whose refunds cancel all its purchases (a fully refunded order, refunded the day it was
  placed: the platform exports date a refund at its order);
- frequency = purchase days - 1, recency = last - first purchase day, T = D - first day;
- monetary = mean value of the repeat purchase days (the first day excluded), 0 if none.
Historical value is net of refunds.

One scan of the orders, in the order of the covering index (customer, day, amount), feeds a
numpy aggregation that computes every column twice: as of a `cutoff` day and as of the `end`
day. That single pass yields the summary the models are fitted on, a holdout period to check
them against, the revenue of the last week and the year-over-year retention cohort. (On SQLite
this is twice as fast as the same aggregates in SQL: every aggregate over ten million rows
costs it about a second, COUNT(DISTINCT) and a first-day subquery more.)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from itertools import chain
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import (
    BigInteger,
    Connection,
    Engine,
    Integer,
    Select,
    cast,
    func,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from clv.scoring.facts import CustomerFacts, channel_codes, packed_facts, unpack
from clv.scoring.stages import StageClock
from clv.segments.scores import BoolArray, FloatArray, IntArray
from clv.store.tables import customers_table as customers
from clv.store.tables import orders_table as orders

EPOCH = date(1970, 1, 1)
FIRST_DAY = (date.min - EPOCH).days  # 0001-01-01: days from it to 9999-12-31 fit in DAY_BITS
DAY_BITS = 22


@contextmanager
def _connected(source: Engine | Connection) -> Iterator[Connection]:
    if isinstance(source, Connection):
        yield source
        return
    with source.connect() as connection:
        yield connection


def int_matrix(connection: Connection, query: Select[Any], width: int) -> IntArray:
    """Run `query` (integer columns only) straight into a numpy matrix, skipping row objects."""
    cursor: Any = connection.execute(query).cursor
    flat = np.fromiter(chain.from_iterable(cursor), dtype=np.int64)
    return flat.reshape(-1, width)


class day_number(FunctionElement[int]):  # noqa: N801  (an SQL function, named like one)
    """Days since 1970-01-01 of a DATE column, in each dialect's own arithmetic."""

    type = Integer()
    inherit_cache = True


@compiles(day_number, "sqlite")
def _day_number_sqlite(element: day_number, compiler: Any, **kw: Any) -> str:
    return f"CAST(julianday({compiler.process(element.clauses, **kw)}) - 2440587.5 AS INTEGER)"


@compiles(day_number)
def _day_number_default(element: day_number, compiler: Any, **kw: Any) -> str:
    return f"({compiler.process(element.clauses, **kw)} - DATE '1970-01-01')"


def to_day(value: date) -> int:
    return (value - EPOCH).days


@dataclass(frozen=True)
class CustomerSummary:
    """Column arrays, one entry per customer (buyers and prospects), ordered by customer id."""

    as_of: date
    customer_id: IntArray
    orders: IntArray  # purchases (amount >= 0)
    refunds: IntArray
    bought_minor: IntArray  # value of the purchases
    historical_minor: IntArray  # net of refunds
    first_day: IntArray  # days since 1970-01-01; -1 for prospects
    last_day: IntArray
    frequency: IntArray
    recency: FloatArray
    T: FloatArray
    monetary_minor: FloatArray
    acquisition_cost_minor: FloatArray  # NaN when unknown

    @property
    def buyers(self) -> BoolArray:
        return self.first_day >= 0

    @property
    def days_since_last(self) -> IntArray:
        return np.where(self.buyers, to_day(self.as_of) - self.last_day, -1)

    def __len__(self) -> int:
        return int(self.customer_id.size)


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


@dataclass(frozen=True)
class SummaryPair:
    """Summaries as of `cutoff` and as of `end`, plus facts of the whole span."""

    at_cutoff: CustomerSummary
    at_end: CustomerSummary
    revenue_last_week_minor: int  # net revenue of the 7 days ending at `end`
    active_year_before: int  # customers who bought in the year before the last one
    retained_last_year: int  # ... and bought again in the last year
    first_order_day: int | None  # earliest purchase day in the store, or None
    months: CustomerMonths  # the order log by customer and month, as of the full day
    facts: CustomerFacts  # channel, NPS answer and acquisition time of every customer


def build_summary(connection: Connection, *, as_of: date) -> CustomerSummary:
    """Every customer's summary as of `as_of` (inclusive)."""
    return build_summaries(connection, end=as_of, cutoff=as_of, full_at=as_of).at_end


def build_summaries(
    source: Engine | Connection,
    *,
    end: date,
    cutoff: date,
    full_at: date,
    clock: StageClock | None = None,
) -> SummaryPair:
    """Summaries as of `cutoff` and `end` (cutoff <= end) from one pass over the orders.

    The summary as of `full_at` (one of the two) has every column; the other one only what a
    holdout check needs (purchase days, first and last purchase day).
    """
    if cutoff > end:
        raise ValueError(f"cutoff {cutoff} is after end {end}")
    if full_at not in (cutoff, end):
        raise ValueError("full_at must be the cutoff or the end")
    light_at = cutoff if full_at == end else end
    # the order log in index order (a scan of ix_orders_customer_day_amount, no sort), the
    # customer and the day packed into one key: a column less to fetch is a million Python
    # integers less per million orders
    key = cast(orders.c.customer_id, BigInteger) * (1 << DAY_BITS) + (
        day_number(orders.c.ordered_on) - FIRST_DAY
    )
    log_query = (
        select(key, orders.c.amount_minor)
        .where(orders.c.ordered_on <= end)
        .order_by(orders.c.customer_id, orders.c.ordered_on)
    )
    clock = clock or StageClock()
    with clock.stage("summary_read"), _connected(source) as connection:
        names, codes = channel_codes(connection)
        everyone_query = select(
            customers.c.id, func.coalesce(customers.c.acquisition_cost_minor, -1),
            packed_facts(codes),
        ).order_by(customers.c.id)  # fmt: skip
        log = int_matrix(connection, log_query, 2)
        everyone = int_matrix(connection, everyone_query, 3)
        ids = everyone[:, 0].copy()
        facts = unpack(connection, everyone[:, 2], ids, names, codes)
    with clock.stage("summary"):
        cost = np.where(everyone[:, 1] >= 0, everyone[:, 1], np.nan).astype(np.float64)
        stats = _OrderStats.of(log, ids, full_day=to_day(full_at), light_day=to_day(light_at))
        del log
        full_summary = _assemble(
            full_at, ids, cost, stats.first, stats.first_bought, stats.full_columns()
        )
        light_summary = _assemble(
            light_at, ids, cost, stats.first, stats.first_bought, stats.light_columns()
        )
    first_days = stats.first[stats.first >= 0]
    return SummaryPair(
        at_cutoff=full_summary if full_at == cutoff else light_summary,
        at_end=full_summary if full_at == end else light_summary,
        revenue_last_week_minor=stats.revenue_last_week,
        active_year_before=int(stats.year_before.sum()),
        retained_last_year=int((stats.year_before & stats.last_year).sum()),
        first_order_day=int(first_days.min()) if first_days.size else None,
        months=stats.months,
        facts=facts,
    )


@dataclass
class _OrderStats:
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
    def of(cls, log: IntArray, ids: IntArray, *, full_day: int, light_day: int) -> _OrderStats:
        """Aggregate `log`, rows of (customer-day key, amount) sorted by the key.

        Customers and (customer, day) pairs are runs of equal keys: sums per run are
        `np.add.reduceat` over the run starts, with no per-row index.
        """
        n = ids.size
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


def _assemble(
    as_of: date,
    ids: IntArray,
    cost: FloatArray,
    first: IntArray,
    first_bought: IntArray,
    columns: IntArray,
) -> CustomerSummary:
    purchases, refunds, bought, net, last, purchase_days = columns.T
    today = to_day(as_of)
    buyer = (first >= 0) & (first <= today)
    first = np.where(buyer, first, -1)
    frequency = np.where(buyer, purchase_days - 1, 0)
    repeat_value = np.where(buyer, bought - first_bought, 0).astype(np.float64)
    monetary = np.divide(repeat_value, frequency, out=np.zeros(ids.size), where=frequency > 0)
    return CustomerSummary(
        as_of=as_of,
        customer_id=ids,
        orders=purchases,
        refunds=refunds,
        bought_minor=bought,
        historical_minor=net,
        first_day=first,
        last_day=np.where(buyer, last, -1),
        frequency=frequency,
        recency=np.where(buyer, last - first, 0).astype(np.float64),
        T=np.where(buyer, today - first, 0).astype(np.float64),
        monetary_minor=monetary,
        acquisition_cost_minor=cost,
    )
