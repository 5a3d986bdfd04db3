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


def store_stats(*, session: Session) -> StoreStats:
    customers = session.execute(select(func.count()).select_from(Customer)).scalar_one()
    amount = orders.c.amount_minor
    row = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((amount < 0, 1), else_=0)), 0),
            func.min(orders.c.ordered_on),
            func.max(orders.c.ordered_on),
            func.coalesce(func.sum(amount), 0),
        ).select_from(orders)
    ).one()
    count, refunds, first, last, revenue = row
    return StoreStats(customers, count, int(refunds), first, last, int(revenue))
