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
from typing import Any

import numpy as np
from sqlalchemy import (
    Connection,
    Engine,
    Integer,
    func,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from clv.scoring.facts import CustomerFacts, channel_codes, packed_facts, unpack
from clv.scoring.order_log import PARALLEL_FROM, Days, int_matrix, order_stats
from clv.scoring.order_stats import EPOCH, CustomerMonths
from clv.scoring.stages import StageClock
from clv.segments.scores import BoolArray, FloatArray, IntArray
from clv.store.tables import customers_table as customers


@contextmanager
def _connected(source: Engine | Connection) -> Iterator[Connection]:
    """The caller's connection, or one of `source`'s that reads everything in one snapshot
    (PostgreSQL; the order log's workers import it: clv.scoring.order_log)."""
    if isinstance(source, Connection):
        yield source
        return
    options = {"isolation_level": "REPEATABLE READ"} if source.dialect.name != "sqlite" else {}
    with source.connect().execution_options(**options) as connection:
        yield connection


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
    workers: int = 0,
    parallel_from: int = PARALLEL_FROM,
) -> SummaryPair:
    """Summaries as of `cutoff` and `end` (cutoff <= end) from one pass over the orders.

    The summary as of `full_at` (one of the two) has every column; the other one only what a
    holdout check needs (purchase days, first and last purchase day). From `parallel_from`
    customers the orders are read on `workers` workers (0: one per core; clv.scoring.order_log).
    """
    if cutoff > end:
        raise ValueError(f"cutoff {cutoff} is after end {end}")
    if full_at not in (cutoff, end):
        raise ValueError("full_at must be the cutoff or the end")
    light_at = cutoff if full_at == end else end
    clock = clock or StageClock()
    days = Days(end, full_day=to_day(full_at), light_day=to_day(light_at))
    with _connected(source) as connection:
        with clock.stage("customers_read"):
            names, codes = channel_codes(connection)
            everyone_query = select(
                customers.c.id, func.coalesce(customers.c.acquisition_cost_minor, -1),
                packed_facts(codes),
            ).order_by(customers.c.id)  # fmt: skip
            everyone = int_matrix(connection, everyone_query, 3)
            ids = everyone[:, 0].copy()
            facts = unpack(connection, everyone[:, 2], ids, names, codes)
        # the orders in pieces of whole customers, each aggregated as it comes in
        with clock.stage("summary_read"):
            stats = order_stats(connection, ids, days, day_number, workers=workers,
                                parallel_from=parallel_from)  # fmt: skip
    with clock.stage("summary"):
        cost = np.where(everyone[:, 1] >= 0, everyone[:, 1], np.nan).astype(np.float64)
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
