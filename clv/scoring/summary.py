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
from datetime import date, timedelta
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
    case,
    cast,
    distinct,
    func,
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


def _read_matrices(
    source: Engine | Connection, queries: list[tuple[Select[Any], int]]
) -> list[IntArray]:
    if isinstance(source, Connection):
        return [_int_matrix(source, query, width) for query, width in queries]
    with source.connect() as connection:
        return [_int_matrix(connection, query, width) for query, width in queries]


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
    return build_summaries(connection, end=as_of, cutoff=as_of, full_at=as_of).at_end


def build_summaries(
    source: Engine | Connection, *, end: date, cutoff: date, full_at: date
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
    query = _order_stats_query(end=end, cutoff=cutoff, full_at=full_at)
    everyone_query = select(
        customers.c.id, func.coalesce(customers.c.acquisition_cost_minor, -1)
    ).order_by(customers.c.id)
    stats, everyone = _read_matrices(source, [(query, 14), (everyone_query, 2)])
    ids = everyone[:, 0].copy()
    cost = np.where(everyone[:, 1] >= 0, everyone[:, 1], np.nan).astype(np.float64)
    table = np.zeros((ids.size, 13), dtype=np.int64)
    table[:, [0, 6, 8]] = -1  # first and last purchase days of prospects
    if stats.size:
        table[np.searchsorted(ids, stats[:, 0])] = stats[:, 1:]
    first_bought_values = table[:, 1]
    table = np.delete(table, 1, axis=1)
    first = table[:, 0]
    light_columns = np.zeros((ids.size, 6), dtype=np.int64)
    light_columns[:, 4:6] = table[:, 7:9]
    full_summary = _assemble(full_at, ids, cost, first, first_bought_values, table[:, 1:7])
    light_summary = _assemble(light_at, ids, cost, first, first_bought_values, light_columns)
    year_before_flag, last_year_flag = table[:, 10] > 0, table[:, 11] > 0
    first_days = first[first >= 0]
    return SummaryPair(
        at_cutoff=full_summary if full_at == cutoff else light_summary,
        at_end=full_summary if full_at == end else light_summary,
        revenue_last_week_minor=int(table[:, 9].sum()),
        active_year_before=int(year_before_flag.sum()),
        retained_last_year=int((year_before_flag & last_year_flag).sum()),
        first_order_day=int(first_days.min()) if first_days.size else None,
    )


def _order_stats_query(
    *, end: date, cutoff: date, full_at: date, customer_ids: tuple[int, int] | None = None
) -> Select[Any]:
    """The per-customer aggregation (14 integer columns), for all customers or an id range."""
    light_at = cutoff if full_at == end else end
    on, amount = orders.c.ordered_on, orders.c.amount_minor
    purchase = amount >= 0

    def upto(day: date) -> ColumnElement[bool] | None:
        return None if day == end else on <= day

    def both(a: ColumnElement[bool] | None, b: ColumnElement[bool]) -> ColumnElement[bool]:
        return b if a is None else a & b

    def total(value: Any, when: ColumnElement[bool] | None) -> ColumnElement[Any]:
        return cast(func.sum(value if when is None else case((when, value), else_=0)), BigInteger)

    def day_of(aggregate: Any) -> ColumnElement[Any]:
        return func.coalesce(day_number(aggregate), -1)

    full, light = upto(full_at), upto(light_at)
    full_purchase = both(full, purchase)
    light_purchase = both(light, purchase)
    week_start, year, two_years = (full_at - timedelta(days=d) for d in (7, 365, 730))
    first_on = func.min(case((purchase, on)))
    same_day = orders.alias("same_day")
    # the value of the first purchase day: a subquery on the group's own aggregate, which reads
    # only that customer's first day from the index
    first_bought = (
        select(func.coalesce(func.sum(same_day.c.amount_minor), 0))
        .where(
            same_day.c.customer_id == orders.c.customer_id,
            same_day.c.ordered_on == first_on,
            same_day.c.amount_minor >= 0,
        )
        .scalar_subquery()
    )
    query = (
        select(
            orders.c.customer_id,
            day_of(first_on),
            cast(first_bought, BigInteger),
            total(1, full_purchase),
            total(1, both(full, ~purchase)),
            total(amount, full_purchase),
            total(amount, full),
            day_of(func.max(case((full_purchase, on)))),
            func.count(distinct(case((full_purchase, on)))),
            day_of(func.max(case((light_purchase, on)))),
            func.count(distinct(case((light_purchase, on)))),
            total(amount, both(full, on > week_start)),
            func.max(case((purchase & (on > two_years) & (on <= year), 1), else_=0)),
            func.max(case((full_purchase & (on > year), 1), else_=0)),
        )
        .where(on <= end)
        .group_by(orders.c.customer_id)
    )
    if customer_ids is not None:
        query = query.where(orders.c.customer_id.between(*customer_ids))
    return query


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
