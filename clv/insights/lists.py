"""Ranked customer lists: the re-engagement (dormant) list and the most valuable customers.

A list says what it shows: how many were asked for, how many it holds, and the most a list
may hold (`MAX_LIST`), so a reader can say "showing the top 50, the most a message holds".
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, Engine, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from clv.formatting import major_units
from clv.insights.runs import RunRef, current_ref
from clv.outreach.holdout import ListEntry, record
from clv.outreach.policy import CustomerFacts, Eligibility, OutreachRules, outreach_eligibility
from clv.scoring.weeks import week_end
from clv.store.tables import customer_scores_table, customers_table

log = logging.getLogger(__name__)
MAX_LIST = 50  # customers one list holds (a Slack message's worth)

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
    order_gap_days: float | None = None  # the usual time between their orders
    next_order_on: date | None = None  # when their next order was expected
    dormant: bool = False
    overdue: bool = False
    outreach: Eligibility | None = None  # asked for the re-engagement lists only

    @property
    def facts(self) -> CustomerFacts:
        """What the outreach policy needs of the customer, as this list read it."""
        return CustomerFacts(self.opted_out, self.email, self.dormant, self.overdue,
                             self.customer_id)  # fmt: skip

    @property
    def held_out(self) -> bool:
        return self.outreach is not None and self.outreach.held_out

    def as_dict(self, currency_exponent: int) -> dict[str, Any]:
        data = asdict(self)
        minor = data.pop("historical_value_minor")  # --json amounts: major units, exactly
        data["historical_value"] = major_units(minor, currency_exponent)
        if self.next_order_on is not None:
            data["next_order_on"] = self.next_order_on.isoformat()
        data["outreach"] = None if self.outreach is None else outreach_status(self.outreach)
        return data


def outreach_status(verdict: Eligibility) -> dict[str, Any]:
    """A verdict as --json and the exports show it: eligible, why not, and the arm."""
    arm = verdict.assignment
    return {
        "eligible": verdict.eligible,
        "reason": verdict.reason,
        "arm": arm.arm if arm else None,
        "list_week": arm.week_end.isoformat() if arm else None,
    }


@dataclass(frozen=True)
class RankedList:
    run: RunRef
    kind: Literal["dormant", "top", "overdue"]
    rows: tuple[RankedCustomer, ...]
    asked: int  # how many the reader asked for
    cap: int = MAX_LIST

    @property
    def capped(self) -> bool:
        """More were asked for than a list holds."""
        return self.asked > self.cap

    def as_dict(self) -> dict[str, Any]:
        return {"run": self.run.as_dict(), "kind": self.kind, "asked": self.asked,
                "rows": [row.as_dict(self.run.currency_exponent) for row in self.rows]}  # fmt: skip


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
    scores.c.order_gap_days,
    scores.c.next_order_on,
    scores.c.dormant,
    scores.c.overdue,
)


def ranked_where(
    session: Session,
    run: RunRef,
    where: ColumnElement[bool] | None,
    order: ColumnElement[Any],
    limit: int | None = None,
) -> list[RankedCustomer]:
    """The customers of `run` that `where` selects, in `order` (ties by customer id), at most
    `limit` of them (None: all)."""
    query = (
        select(*_COLUMNS)
        .join(customers, customers.c.id == scores.c.customer_id)
        .where(scores.c.run_id == run.run_id)
        .order_by(order, customers.c.external_id)
    )
    if limit is not None:
        query = query.limit(limit)
    if where is not None:
        query = query.where(where)
    return [RankedCustomer(*row) for row in session.execute(query)]


_ranked = ranked_where


def dormant_customers(
    session: Session,
    *,
    limit: int = 10,
    rules: OutreachRules,
    now: datetime,
    run: RunRef | None = None,
    cap: int = MAX_LIST,
    within: ColumnElement[bool] | None = None,
) -> RankedList:
    """Dormant customers ranked by value at stake, each with the outreach policy's verdict
    (opted-out ones are listed, and say so); `within`: of a group only
    (`clv.insights.scope.scores_filter`)."""
    ref = run or current_ref(session)
    dormant: ColumnElement[bool] = scores.c.dormant.is_(True)
    if within is not None:
        dormant = dormant & within
    rows = _ranked(session, ref, dormant, scores.c.value_at_stake.desc(), min(limit, cap))
    return RankedList(ref, "dormant", with_verdicts(session, ref, rows, rules, now), limit, cap)


def with_verdicts(
    session: Session,
    run: RunRef,
    rows: list[RankedCustomer],
    rules: OutreachRules,
    now: datetime,
) -> tuple[RankedCustomer, ...]:
    """`rows` with the outreach policy's verdict on each, and their arm in the run's list week
    (`clv.outreach.holdout`)."""
    facts = {r.store_id: r.facts for r in rows}
    verdicts = outreach_eligibility(session, customer_ids=list(facts), rules=rules, now=now,
                                    known=facts, week_end=week_end(run.as_of))  # fmt: skip
    return tuple(replace(r, outreach=verdicts[r.store_id]) for r in rows)


def top_customers(
    session: Session, *, limit: int = 10, run: RunRef | None = None, cap: int = MAX_LIST
) -> RankedList:
    """The customers with the highest predicted CLV."""
    ref = run or current_ref(session)
    rows = _ranked(session, ref, None, scores.c.predicted_clv.desc(), min(limit, cap))
    return RankedList(ref, "top", tuple(rows), limit, cap)


def overdue_customers(
    session: Session,
    *,
    limit: int = 10,
    run: RunRef | None = None,
    cap: int = MAX_LIST,
    rules: OutreachRules | None = None,
    now: datetime | None = None,
) -> RankedList:
    """Overdue customers (`clv.segments.predictions.OVERDUE_RULE`) ranked by value at stake:
    the ones to contact before they go dormant; with `rules` and `now`, each with the outreach
    policy's verdict."""
    ref = run or current_ref(session)
    overdue = scores.c.overdue.is_(True)
    rows = _ranked(session, ref, overdue, scores.c.value_at_stake.desc(), min(limit, cap))
    if rules is None or now is None:
        return RankedList(ref, "overdue", tuple(rows), limit, cap)
    return RankedList(ref, "overdue", with_verdicts(session, ref, rows, rules, now), limit, cap)


def overdue_count(session: Session, run: RunRef) -> int:
    """How many customers of `run` are overdue."""
    query = select(func.count()).where(scores.c.run_id == run.run_id, scores.c.overdue.is_(True))
    return int(session.execute(query).scalar_one())


def list_entries(rows: Iterable[RankedCustomer]) -> list[ListEntry]:
    """The experiment entries of a re-engagement list's rows (`clv.outreach.holdout.record`):
    every row the policy drew an arm for (at risk and consenting)."""
    return [
        ListEntry(
            row.outreach.assignment,
            "dormant" if row.dormant else "overdue",
            row.tier,
            row.segment,
            row.predicted_clv,
        )
        for row in rows
        if row.outreach is not None and row.outreach.assignment is not None
    ]


def record_list(engine: Engine, listing: RankedList, *, now: datetime) -> None:
    """Record the experiment arms a re-engagement list shows (`clv.outreach.holdout`). A store
    that cannot be written now loses nothing: the click records the arm it checks."""
    entries = [e for e in list_entries(listing.rows) if not e.assignment.recorded]
    if not entries:  # the usual case after the first answer of the week: no write at all
        return
    try:
        with engine.begin() as connection:
            record(connection, entries, source=listing.kind, now=now)
    except SQLAlchemyError:
        log.warning("could not record the arms of a %s list", listing.kind, exc_info=True)
