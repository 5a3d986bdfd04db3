"""Did outreach work? Of the customers contacted a while ago, who bought again, for how much."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, case, func, select
from sqlmodel import Session

from clv.store.tables import orders_table as orders
from clv.store.tables import outreach_table as outreach


@dataclass(frozen=True)
class OutreachOutcome:
    contacted: int  # customers with a sent outreach in the window
    bought_again: int  # of them, those with a purchase after it
    revenue_minor: int  # what those purchases came to (refunds not counted)


def outreach_outcomes(
    session: Session | Connection, *, now: datetime, min_days: int = 14, max_days: int = 56
) -> OutreachOutcome:
    """Outcome of the outreach sent between `max_days` and `min_days` days before `now`.

    A customer counts once, from their first sent outreach in the window; a purchase is an
    order (amount >= 0) placed after that outreach was sent and not after `now`.
    """
    if not 0 <= min_days <= max_days:
        raise ValueError(f"need 0 <= min_days <= max_days, got {min_days} and {max_days}")
    contacted = (
        select(outreach.c.customer_id, func.min(outreach.c.finished_at).label("sent_at"))
        .where(
            outreach.c.status == "sent",
            outreach.c.finished_at >= now - timedelta(days=max_days),
            outreach.c.finished_at <= now - timedelta(days=min_days),
        )
        .group_by(outreach.c.customer_id)
        .subquery()
    )
    per_customer = (
        select(
            contacted.c.customer_id,
            func.count(orders.c.id).label("purchases"),
            func.coalesce(func.sum(orders.c.amount_minor), 0).label("revenue"),
        )
        .select_from(contacted)
        .outerjoin(
            orders,
            (orders.c.customer_id == contacted.c.customer_id)
            & (orders.c.ordered_at > contacted.c.sent_at)
            & (orders.c.ordered_at <= now)
            & (orders.c.amount_minor >= 0),
        )
        .group_by(contacted.c.customer_id)
        .subquery()
    )
    row = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((per_customer.c.purchases > 0, 1), else_=0)), 0),
            func.coalesce(func.sum(per_customer.c.revenue), 0),
        ).select_from(per_customer)
    ).one()
    return OutreachOutcome(int(row[0]), int(row[1]), int(row[2]))
