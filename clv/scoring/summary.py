"""Per-customer purchase summaries built in SQL: the inputs of the models and the segments.

As of a day D (orders on D included), in days, for each customer with a purchase:
- purchase days: days with at least one order of amount >= 0 (refunds are never purchases;
  several orders on one day are one purchase day, as in the models' literature);
- frequency = purchase days - 1, recency = last - first purchase day, T = D - first day;
- monetary = mean value of the repeat purchase days (the first day excluded), 0 if none.
Historical value is net of refunds. The heavy lifting (grouping orders by customer and day) is
one SQL statement, so it scales with the database rather than with Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection, Integer, and_, case, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from clv.store.tables import customers_table as customers
from clv.store.tables import orders_table as orders

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
EPOCH = date(1970, 1, 1)


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


@dataclass(frozen=True)
class CustomerSummary:
    """Column arrays, one entry per customer (buyers and prospects), ordered by customer id."""

    customer_id: IntArray
    orders: IntArray  # purchases (amount >= 0)
    refunds: IntArray
    historical_minor: IntArray  # net of refunds
    first_day: IntArray  # days since 1970-01-01; -1 for prospects
    last_day: IntArray
    frequency: IntArray
    recency: FloatArray
    T: FloatArray
    monetary_minor: FloatArray
    acquisition_cost_minor: FloatArray  # NaN when unknown

    @property
    def buyers(self) -> npt.NDArray[np.bool_]:
        return self.first_day >= 0

    def __len__(self) -> int:
        return int(self.customer_id.size)


def build_summary(connection: Connection, *, as_of: date) -> CustomerSummary:
    """Every customer's summary as of `as_of` (inclusive)."""
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
        .where(orders.c.ordered_on <= as_of)
        .group_by(orders.c.customer_id, orders.c.ordered_on)
        .cte("days")
    )
    firsts = (
        select(days.c.customer_id, func.min(days.c.day).label("first_day"))
        .where(days.c.purchases > 0)
        .group_by(days.c.customer_id)
        .cte("firsts")
    )
    bought_day = days.c.purchases > 0
    per_customer = (
        select(
            days.c.customer_id,
            func.sum(days.c.purchases),
            func.sum(days.c.refunds),
            func.sum(days.c.net),
            func.coalesce(firsts.c.first_day, -1),
            func.coalesce(func.max(case((bought_day, days.c.day))), -1),
            func.sum(case((bought_day, 1), else_=0)),
            func.sum(days.c.bought),
            func.sum(case((days.c.day == firsts.c.first_day, days.c.bought), else_=0)),
        )
        .select_from(days.outerjoin(firsts, firsts.c.customer_id == days.c.customer_id))
        .group_by(days.c.customer_id, firsts.c.first_day)
    )
    rows = connection.execute(per_customer).all()
    stats = np.array(rows, dtype=np.int64).reshape(-1, 9)
    everyone = connection.execute(
        select(customers.c.id, customers.c.acquisition_cost_minor).order_by(customers.c.id)
    ).all()
    return _assemble(stats, everyone, as_of)


def _assemble(stats: IntArray, everyone: Sequence[Any], as_of: date) -> CustomerSummary:
    ids = np.array([row[0] for row in everyone], dtype=np.int64)
    cost = np.array([np.nan if row[1] is None else row[1] for row in everyone], dtype=np.float64)
    n = ids.size
    columns = np.zeros((n, 8), dtype=np.int64)
    columns[:, 3:5] = -1  # first/last purchase day of prospects
    if stats.size:
        at = np.searchsorted(ids, stats[:, 0])
        columns[at] = stats[:, 1:]
    purchases, refunds, net, first, last, purchase_days, bought, first_bought = columns.T
    buyer = first >= 0
    frequency = np.where(buyer, purchase_days - 1, 0)
    today = (as_of - EPOCH).days
    repeat_value = (bought - first_bought).astype(np.float64)
    monetary = np.divide(repeat_value, frequency, out=np.zeros(n), where=frequency > 0)
    return CustomerSummary(
        customer_id=ids,
        orders=purchases,
        refunds=refunds,
        historical_minor=net,
        first_day=first,
        last_day=last,
        frequency=frequency,
        recency=np.where(buyer, last - first, 0).astype(np.float64),
        T=np.where(buyer, today - first, 0).astype(np.float64),
        monetary_minor=monetary,
        acquisition_cost_minor=cost,
    )


def revenue_between(connection: Connection, *, start: date, end: date) -> int:
    """Net revenue (minor units) of orders placed on days start..end inclusive."""
    query = select(func.coalesce(func.sum(orders.c.amount_minor), 0)).where(
        and_(orders.c.ordered_on >= start, orders.c.ordered_on <= end)
    )
    return int(connection.execute(query).scalar_one())
