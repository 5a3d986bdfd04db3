"""The full view of one customer: identity, every score of the current run, history, and
whether they may be contacted, as one frozen read model carrying the run it was read from."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from clv.errors import UserFacingError
from clv.formatting import major_units
from clv.insights.runs import RunRef, current_ref
from clv.insights.suggest import CustomerSuggestion, suggest_customers
from clv.outreach.policy import CustomerFacts, Eligibility, OutreachRules, outreach_eligibility
from clv.scoring.weeks import week_end
from clv.segments.definitions import total_clv
from clv.store.tables import (
    Customer,
    CustomerScore,
    customer_scores_table,
    customer_weekly_table,
    customers_table,
)


class UnknownCustomerError(UserFacingError, LookupError):
    """No customer has this id or email; `suggestions` are the closest that exist."""

    def __init__(self, key: str, suggestions: tuple[CustomerSuggestion, ...] = ()) -> None:
        message = f"no customer with id or email {key!r}"
        if suggestions:
            message += f"; did you mean {' or '.join(s.label for s in suggestions)}?"
        super().__init__(message)
        self.key = key
        self.suggestions = suggestions


class NotScoredYetError(UserFacingError, LookupError):
    """The customer is known, but was added after the current run."""

    def __init__(self, key: str, as_of: date) -> None:
        super().__init__(
            f"customer {key!r} is known but not scored yet (the current scores are as of "
            f"{as_of}): run `clvbot score`"
        )
        self.key = key
        self.as_of = as_of


@dataclass(frozen=True)
class Scores:
    """A customer's scores in one run; money in major units, except `historical_value_minor`."""

    orders: int
    refunds: int
    historical_value_minor: int
    aov: float | None
    first_order: date | None
    last_order: date | None
    days_since_last: int | None
    frequency: int
    recency: float
    tenure: float
    monetary: float
    predicted_clv: float
    formula_clv: float
    p_alive: float | None
    expected_purchases_90d: float
    expected_spend: float
    clv_cac: float | None
    r_score: int
    f_score: int
    m_score: int
    segment: str
    tier: str | None
    stage: str
    dormant: bool
    dormant_reason: str | None
    value_at_stake: float
    # the CLV_INTERVAL ranges over the horizon (None: no prediction) and the cadence
    clv_low: float | None = None
    clv_high: float | None = None
    expected_purchases_horizon: float | None = None
    purchases_low: int | None = None
    purchases_high: int | None = None
    order_gap_days: float | None = None
    next_order_on: date | None = None
    overdue: bool = False

    @classmethod
    def of(cls, row: CustomerScore) -> Scores:
        return cls(**{f.name: getattr(row, f.name) for f in fields(cls)})


@dataclass(frozen=True)
class WeekValue:
    week_end: date
    predicted_clv: float
    dormant: bool


@dataclass(frozen=True)
class CustomerView:
    run: RunRef
    store_id: int  # the store's key: what the outreach button carries
    customer_id: str  # the shop's id
    name: str | None
    email: str | None
    channel: str | None
    acquired_at: datetime | None
    acquisition_cost_minor: int | None
    opted_out: bool
    nps: int | None
    scores: Scores
    history: tuple[WeekValue, ...]  # oldest first
    outreach: Eligibility  # may they be contacted now, and if not why (clv.outreach.policy)

    @property
    def as_of(self) -> date:
        return self.run.as_of

    @property
    def total_clv(self) -> float:
        """Historical net revenue × the run's gross margin + predicted CLV (clv.valuation)."""
        historical = self.scores.historical_value_minor / 10**self.run.currency_exponent
        return float(total_clv(historical, self.scores.predicted_clv, self.run.terms.gross_margin))

    @property
    def dormant_since(self) -> date | None:
        """The first week of the dormant spell the customer is in now (None: not dormant)."""
        if not self.scores.dormant:
            return None
        since = None
        for week in reversed(self.history):
            if not week.dormant:
                break
            since = week.week_end
        return since

    @property
    def dormant_all_along(self) -> bool:
        """Dormant in every stored week read: the spell began on or before `dormant_since`."""
        since = self.dormant_since
        return since is not None and bool(self.history) and since == self.history[0].week_end

    def as_dict(self) -> dict[str, Any]:
        """For `--json`: every amount in major units of `currency`, dates in ISO 8601."""
        scores = asdict(self.scores)
        historical = scores.pop("historical_value_minor")
        data: dict[str, Any] = _jsonable({
            "customer_id": self.customer_id, "store_id": self.store_id, "name": self.name,
            "email": self.email, "channel": self.channel, "acquired_at": self.acquired_at,
            "acquisition_cost": _major(self.acquisition_cost_minor, self.run),
            "opted_out": self.opted_out, "nps": self.nps, **scores,
            "historical_value": _major(historical, self.run), "total_clv": self.total_clv,
            "dormant_since": self.dormant_since,
            "outreach": {"eligible": self.outreach.eligible, "reason": self.outreach.reason},
            "history": [asdict(week) for week in self.history],
            "run": self.run.as_dict(), "as_of": self.run.as_of,
            "horizon_months": self.run.horizon_months, "currency": self.run.currency,
        })  # fmt: skip
        return data


def _major(minor: int | None, run: RunRef) -> Decimal | None:
    """A stored amount in major units, exactly, as every `--json` writes one."""
    return None if minor is None else major_units(minor, run.currency_exponent)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    return value.isoformat() if isinstance(value, date) else value


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


def customer_view(
    session: Session,
    key: str,
    *,
    rules: OutreachRules,
    now: datetime,
    run: RunRef | None = None,
    history_weeks: int = 13,
) -> CustomerView:
    """Everything known about one customer as of `run` (default: the current run)."""
    run = run or current_ref(session)
    try:
        customer = find_customer(session, key)
    except UnknownCustomerError:
        raise UnknownCustomerError(key, tuple(suggest_customers(session, key))) from None
    query = select(CustomerScore).where(
        customer_scores_table.c.run_id == run.run_id,
        customer_scores_table.c.customer_id == customer.id,
    )
    row: CustomerScore | None = session.execute(query).scalars().first()
    if row is None or customer.id is None:
        raise NotScoredYetError(key, run.as_of)
    facts = {customer.id: CustomerFacts(customer.opted_out, customer.email, row.dormant,
                                        row.overdue, customer.external_id)}  # fmt: skip
    verdict = outreach_eligibility(session, customer_ids=[customer.id], rules=rules, now=now,
                                   known=facts, week_end=week_end(run.as_of))  # fmt: skip
    return CustomerView(
        run, customer.id, customer.external_id, customer.name, customer.email,
        customer.channel, customer.acquired_at, customer.acquisition_cost_minor,
        customer.opted_out, customer.nps, Scores.of(row),
        _history(session, customer.id, history_weeks), verdict[customer.id],
    )  # fmt: skip


def _history(session: Session, customer_id: int, weeks: int) -> tuple[WeekValue, ...]:
    weekly = customer_weekly_table
    rows = session.execute(
        select(weekly.c.week_end, weekly.c.predicted_clv, weekly.c.dormant)
        .where(weekly.c.customer_id == customer_id)
        .order_by(weekly.c.week_end.desc())
        .limit(weeks)
    ).all()
    return tuple(WeekValue(row[0], float(row[1]), bool(row[2])) for row in reversed(rows))
