"""The full view of one customer: identity, every score of the current run, and history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from clv.insights.runs import current_run
from clv.store.tables import (
    Customer,
    CustomerScore,
    customer_scores_table,
    customer_weekly_table,
    customers_table,
)


class UnknownCustomerError(LookupError):
    def __init__(self, key: str) -> None:
        super().__init__(f"no customer with id or email {key!r}")
        self.key = key


@dataclass(frozen=True)
class CustomerView:
    customer: Customer
    scores: CustomerScore
    as_of: date
    horizon_months: int
    currency: str
    history: list[tuple[date, float]]  # (week end, predicted CLV), oldest first

    def as_dict(self) -> dict[str, Any]:
        scores = self.scores.model_dump(exclude={"run_id", "customer_id"})
        for key in ("first_order", "last_order"):
            scores[key] = scores[key].isoformat() if scores[key] else None
        customer = self.customer
        return {
            "customer_id": customer.external_id,
            "store_id": customer.id,  # what the outreach button carries
            "name": customer.name,
            "email": customer.email,
            "channel": customer.channel,
            "acquired_at": customer.acquired_at.isoformat() if customer.acquired_at else None,
            "acquisition_cost_minor": customer.acquisition_cost_minor,
            "opted_out": customer.opted_out,
            "nps": customer.nps,
            **scores,
            "as_of": self.as_of.isoformat(),
            "horizon_months": self.horizon_months,
            "currency": self.currency,
            "history": [{"week_end": d.isoformat(), "predicted_clv": v} for d, v in self.history],
        }


def find_customer(session: Session, key: str) -> Customer:
    """A customer by external id, or by email (any case)."""
    key = key.strip()
    by_id = select(Customer).where(customers_table.c.external_id == key)
    customer: Customer | None = session.execute(by_id).scalars().first()
    if customer is None and "@" in key:
        by_email = select(Customer).where(customers_table.c.email == key.lower())
        customer = session.execute(by_email.order_by(customers_table.c.id)).scalars().first()
    if customer is None:
        raise UnknownCustomerError(key)
    return customer


def customer_view(session: Session, key: str, *, history_weeks: int = 13) -> CustomerView:
    """Everything known about one customer as of the current run."""
    run = current_run(session)
    customer = find_customer(session, key)
    query = select(CustomerScore).where(
        customer_scores_table.c.run_id == run.id, customer_scores_table.c.customer_id == customer.id
    )
    scores: CustomerScore | None = session.execute(query).scalars().first()
    if scores is None:  # added after the run: known, not yet scored
        raise UnknownCustomerError(f"{key} (not scored yet: run `clvbot score`)")
    weekly = customer_weekly_table
    rows = session.execute(
        select(weekly.c.week_end, weekly.c.predicted_clv)
        .where(weekly.c.customer_id == customer.id)
        .order_by(weekly.c.week_end.desc())
        .limit(history_weeks)
    ).all()
    history = [(row[0], float(row[1])) for row in reversed(rows)]
    settings = run.details.get("settings", {})
    return CustomerView(
        customer,
        scores,
        run.as_of,
        int(settings.get("horizon_months", 12)),
        str(settings.get("currency", "USD")),
        history,
    )
