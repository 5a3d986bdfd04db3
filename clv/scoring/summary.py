"""Per-customer purchase summaries built in SQL: the inputs of the models and the segments.

As of a day D (orders on D included), in days, for each customer with a purchase:
- purchase days: days with at least one order of amount >= 0 (refunds are never purchases;
  several orders on one day are one purchase day, as in the models' literature);
- frequency = purchase days - 1, recency = last - first purchase day, T = D - first day;
- monetary = mean value of the repeat purchase days (the first day excluded), 0 if none.
Historical value is net of refunds.

One SQL statement groups the orders by customer and day and then by customer, computing every
column twice: as of a `cutoff` day and as of the `end` day. That single pass yields the
summary the models are fitted on, a holdout period to check them against, the revenue of the
last week and the year-over-year retention cohort, so it scales with the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import chain
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import (
    BigInteger,
    Connection,
    Integer,
    Select,
    case,
    cast,
    func,
    literal_column,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from clv.store.tables import customers_table as customers
from clv.store.tables import orders_table as orders

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
EPOCH = date(1970, 1, 1)
_SHIFT_BITS = 40  # purchase-day values are below 2^40 minor units
_SHIFT_VALUE = 1 << _SHIFT_BITS
_SHIFT = literal_column(str(_SHIFT_VALUE), BigInteger())


def _int_matrix(connection: Connection, query: Select[Any], width: int) -> IntArray:
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
class SummaryPair:
    """Summaries as of `cutoff` and as of `end`, plus facts of the whole span."""

    at_cutoff: CustomerSummary
    at_end: CustomerSummary
    revenue_last_week_minor: int  # net revenue of the 7 days ending at `end`
    active_year_before: int  # customers who bought in the year before the last one
    retained_last_year: int  # ... and bought again in the last year
    first_order_day: int | None  # earliest purchase day in the store, or None


def build_summary(connection: Connection, *, as_of: date) -> CustomerSummary:
    """Every customer's summary as of `as_of` (inclusive)."""
    return build_summaries(connection, end=as_of, cutoff=as_of).at_end


def build_summaries(connection: Connection, *, end: date, cutoff: date) -> SummaryPair:
    """Summaries as of `cutoff` and `end` (cutoff <= end) from one pass over the orders."""
    if cutoff > end:
        raise ValueError(f"cutoff {cutoff} is after end {end}")
    day = day_number(orders.c.ordered_on)
    amount = orders.c.amount_minor
    is_purchase = amount >= 0
    days = (
        select(
            orders.c.customer_id.label("customer_id"),
            day.label("day"),
            func.sum(case((is_purchase, amount), else_=0)).label("bought"),
            func.sum(case((is_purchase, 1), else_=0)).label("purchases"),
            func.sum(case((is_purchase, 0), else_=1)).label("refunds"),
            func.sum(amount).label("net"),
        )
        .where(orders.c.ordered_on <= end)
        .group_by(orders.c.customer_id, orders.c.ordered_on)
        .subquery("days")
    )
    end_day, cutoff_day = to_day(end), to_day(cutoff)
    bought_day = days.c.purchases > 0

    def total(value: Any, when: ColumnElement[bool] | None = None) -> ColumnElement[Any]:
        return cast(func.sum(value if when is None else case((when, value), else_=0)), BigInteger)

    def variant(when: ColumnElement[bool] | None) -> list[ColumnElement[Any]]:
        bought_when = bought_day if when is None else bought_day & when
        return [
            total(days.c.purchases, when),
            total(days.c.refunds, when),
            total(days.c.bought, when),
            total(days.c.net, when),
            func.coalesce(func.max(case((bought_when, days.c.day))), -1),
            total(1, bought_when),
        ]

    # the first purchase day and its value in one aggregate: the minimum of day x 2^40 + value
    first_key = func.min(case((bought_day, days.c.day * _SHIFT + days.c.bought)))
    in_cutoff = days.c.day <= cutoff_day
    last_week = days.c.day > end_day - 7
    year_before = (days.c.day > end_day - 730) & (days.c.day <= end_day - 365)
    last_year = days.c.day > end_day - 365
    query = select(
        days.c.customer_id,
        func.coalesce(first_key, -1),
        *variant(in_cutoff),
        *variant(None),
        total(days.c.net, last_week),
        func.max(case((bought_day & year_before, 1), else_=0)),
        func.max(case((bought_day & last_year, 1), else_=0)),
    ).group_by(days.c.customer_id)
    stats = _int_matrix(connection, query, 17)
    first_key_values = stats[:, 1].copy()
    stats = np.insert(stats, 2, 0, axis=1)  # room for the first day's value
    buyer_rows = first_key_values >= 0
    stats[:, 1] = np.where(buyer_rows, first_key_values >> _SHIFT_BITS, -1)
    stats[:, 2] = np.where(buyer_rows, first_key_values & (_SHIFT_VALUE - 1), 0)
    everyone = _int_matrix(
        connection,
        select(customers.c.id, func.coalesce(customers.c.acquisition_cost_minor, -1)).order_by(
            customers.c.id
        ),
        2,
    )
    ids = everyone[:, 0].copy()
    cost = np.where(everyone[:, 1] >= 0, everyone[:, 1], np.nan).astype(np.float64)
    table = np.zeros((ids.size, 17), dtype=np.int64)
    table[:, 0] = -1  # first purchase day of prospects
    table[:, [6, 12]] = -1  # last purchase days of prospects
    if stats.size:
        table[np.searchsorted(ids, stats[:, 0])] = stats[:, 1:]
    first, first_bought = table[:, 0], table[:, 1]
    year_before_flag, last_year_flag = table[:, 15] > 0, table[:, 16] > 0
    first_days = first[first >= 0]
    return SummaryPair(
        at_cutoff=_assemble(cutoff, ids, cost, first, first_bought, table[:, 2:8]),
        at_end=_assemble(end, ids, cost, first, first_bought, table[:, 8:14]),
        revenue_last_week_minor=int(table[:, 14].sum()),
        active_year_before=int(year_before_flag.sum()),
        retained_last_year=int((year_before_flag & last_year_flag).sum()),
        first_order_day=int(first_days.min()) if first_days.size else None,
    )


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
