"""Ranked customer lists: the re-engagement (dormant) list and the most valuable customers."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlmodel import Session

from clv.insights.runs import current_run
from clv.store.tables import customer_scores_table, customers_table

scores = customer_scores_table
customers = customers_table


@dataclass(frozen=True)
class RankedCustomer:
    customer_id: str
    name: str | None
    email: str | None
    opted_out: bool
    segment: str
    tier: str | None
    stage: str
    predicted_clv: float
    historical_value_minor: int
    p_alive: float | None
    days_since_last: int | None
    dormant_reason: str | None
    value_at_stake: float
    store_id: int  # the store's key, what the outreach button carries

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_COLUMNS = (
    customers.c.external_id,
    customers.c.name,
    customers.c.email,
    customers.c.opted_out,
    scores.c.segment,
    scores.c.tier,
    scores.c.stage,
    scores.c.predicted_clv,
    scores.c.historical_value_minor,
    scores.c.p_alive,
    scores.c.days_since_last,
    scores.c.dormant_reason,
    scores.c.value_at_stake,
    customers.c.id,
)


def _ranked(
    session: Session, where: ColumnElement[bool] | None, order: ColumnElement[Any], limit: int
) -> list[RankedCustomer]:
    run = current_run(session)
    query = (
        select(*_COLUMNS)
        .join(customers, customers.c.id == scores.c.customer_id)
        .where(scores.c.run_id == run.id)
        .order_by(order, customers.c.external_id)
        .limit(limit)
    )
    if where is not None:
        query = query.where(where)
    return [RankedCustomer(*row) for row in session.execute(query)]


def dormant_customers(session: Session, *, limit: int = 10) -> list[RankedCustomer]:
    """Dormant customers ranked by value at stake (opted-out ones included, and marked)."""
    return _ranked(session, scores.c.dormant.is_(True), scores.c.value_at_stake.desc(), limit)


def top_customers(session: Session, *, limit: int = 10) -> list[RankedCustomer]:
    """The customers with the highest predicted CLV."""
    return _ranked(session, None, scores.c.predicted_clv.desc(), limit)
