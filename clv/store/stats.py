"""Store statistics: `clvbot stats`."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

from sqlalchemy import case, func, select
from sqlmodel import Session

from clv.store.tables import Customer
from clv.store.tables import orders_table as orders


@dataclass(frozen=True)
class StoreStats:
    customers: int
    orders: int
    refunds: int
    first_order: date | None
    last_order: date | None
    revenue_minor: int  # net of refunds

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        for key in ("first_order", "last_order"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


# SQLite's sum() of integers stops with "integer overflow" past 2^63 - 1. Summed apart, the
# quotients and remainders of amount / 2^32 each stay inside 64 bits for fewer than 2^31
# orders; amount == (amount / 2^32) * 2^32 + amount % 2^32 in SQL's truncating integer
# arithmetic, so the total is exact in Python's integers.
_SPLIT = 2**32


def store_stats(*, session: Session) -> StoreStats:
    customers = session.execute(select(func.count()).select_from(Customer)).scalar_one()
    amount = orders.c.amount_minor
    row = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((amount < 0, 1), else_=0)), 0),
            func.min(orders.c.ordered_on),
            func.max(orders.c.ordered_on),
            func.coalesce(func.sum(amount // _SPLIT), 0),
            func.coalesce(func.sum(amount % _SPLIT), 0),
        ).select_from(orders)
    ).one()
    count, refunds, first, last, high, low = row
    revenue = int(high) * _SPLIT + int(low)
    return StoreStats(customers, count, int(refunds), first, last, revenue)
