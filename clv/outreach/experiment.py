"""What outreach caused: contacted customers against the held-out customers of the same lists.

The definitions, in one place (the arms and list weeks are `clv.outreach.holdout`'s):
- A list week is **reported** from two weeks after its week end until its eight-week window
  has passed (`RESULTS_FROM_DAYS` to `WINDOW_DAYS` days old).
- A customer's **outcome window** runs from their assignment to the earlier of today and eight
  weeks after the list week. A **repurchase** is an order (amount >= 0) placed in it; their
  **revenue** is what those orders came to.
- **Contacted**: contact-arm customers with an outreach sent in their window. **Held out**: the
  control group, never contacted. Their difference in repurchase rate and in revenue per
  customer, with a 90 % interval (`clv.outreach.lift`), is what outreach added;
  × the contacted customers, the incremental repurchases and revenue.
- The team chooses whom to contact among the contact arm, which may favour the likelier
  buyers; the **whole contact arm** against the held out (intention to treat) is unbiased by
  that choice, and is reported beside it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select
from sqlmodel import Session

from clv.outreach.holdout import RESULTS_FROM_DAYS, WINDOW_DAYS
from clv.outreach.lift import ArmOutcome, LiftEstimate, estimate_lift
from clv.store.engine import in_chunks
from clv.store.tables import orders_table as orders
from clv.store.tables import outreach_assignments_table as assignments
from clv.store.tables import outreach_table as outreach

NO_TIER = "(no tier)"


@dataclass(frozen=True)
class Subject:
    """One assigned customer of a reported list week, and what they did in their window."""

    week_end: date
    tier: str
    arm: str
    contacted: bool
    repurchased: bool
    revenue: float  # major units


@dataclass(frozen=True)
class Comparison:
    """One group's comparison: contacted and the whole contact arm, each against held out."""

    group: str  # "all", a list week (ISO date) or a tier
    contacted: LiftEstimate
    contact_arm: LiftEstimate

    def as_dict(self) -> dict[str, Any]:
        return {"group": self.group, "contacted_vs_held_out": self.contacted.as_dict(),
                "contact_arm_vs_held_out": self.contact_arm.as_dict()}  # fmt: skip


@dataclass(frozen=True)
class ExperimentReport:
    today: date
    first_week: date  # the oldest and newest list weeks reported
    last_week: date
    overall: Comparison
    weeks: tuple[Comparison, ...]
    tiers: tuple[Comparison, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"today": self.today.isoformat(), "first_week": self.first_week.isoformat(),
                "last_week": self.last_week.isoformat(), "overall": self.overall.as_dict(),
                "weeks": [w.as_dict() for w in self.weeks],
                "tiers": [t.as_dict() for t in self.tiers]}  # fmt: skip


def reported_weeks(today: date) -> tuple[date, date]:
    """The oldest and newest list weeks reported on `today`."""
    return today - timedelta(days=WINDOW_DAYS), today - timedelta(days=RESULTS_FROM_DAYS)


def experiment_report(
    reader: Session | Connection, *, now: datetime, exponent: int, level: float = 0.90
) -> ExperimentReport:
    """The comparison of the list weeks reported at `now` (dates in `now`'s time zone)."""
    today = now.date()
    first, last = reported_weeks(today)
    subjects = read_subjects(reader, first=first, last=last, now=now, exponent=exponent)

    def compare(group: str, members: list[Subject]) -> Comparison:
        held = _arm([s for s in members if s.arm == "holdout"])
        contacted = _arm([s for s in members if s.arm == "contact" and s.contacted])
        arm = _arm([s for s in members if s.arm == "contact"])
        return Comparison(group, estimate_lift(contacted, held, level=level),
                          estimate_lift(arm, held, level=level))  # fmt: skip

    by_week: dict[date, list[Subject]] = defaultdict(list)
    by_tier: dict[str, list[Subject]] = defaultdict(list)
    for s in subjects:
        by_week[s.week_end].append(s)
        by_tier[s.tier].append(s)
    return ExperimentReport(
        today, first, last, compare("all", subjects),
        tuple(compare(w.isoformat(), by_week[w]) for w in sorted(by_week)),
        tuple(compare(t, by_tier[t]) for t in sorted(by_tier)),
    )  # fmt: skip


def _arm(members: list[Subject]) -> ArmOutcome:
    return ArmOutcome(
        customers=len(members),
        repurchasers=sum(s.repurchased for s in members),
        revenue=sum(s.revenue for s in members),
        revenue_squares=sum(s.revenue**2 for s in members),
    )


def read_subjects(
    reader: Session | Connection, *, first: date, last: date, now: datetime, exponent: int
) -> list[Subject]:
    """The assigned customers of the list weeks `first`..`last` with their outcomes at `now`."""
    today, zone = now.date(), now.tzinfo
    rows = reader.execute(
        select(assignments).where(assignments.c.week_end >= first, assignments.c.week_end <= last)
    ).all()
    if not rows:
        return []
    ids = [r.customer_id for r in rows]
    since = min(r.assigned_at for r in rows)  # a list is shown up to six days before its week end
    bought = _orders(reader, ids, since.astimezone(zone).date())
    sent = _sent(reader, ids, since)
    subjects = []
    for r in rows:
        end = min(today, r.week_end + timedelta(days=WINDOW_DAYS))
        mine = [(day, amount) for at, day, amount in bought.get(r.customer_id, ())
                if at > r.assigned_at and day <= end]  # fmt: skip
        contacted = any(r.assigned_at <= at and at.astimezone(zone).date() <= end
                        for at in sent.get(r.customer_id, ()))  # fmt: skip
        subjects.append(Subject(r.week_end, r.tier or NO_TIER, r.arm, contacted, bool(mine),
                                sum(a for _, a in mine) / 10**exponent))  # fmt: skip
    return subjects


def _orders(
    reader: Session | Connection, ids: list[int], since: date
) -> dict[int, list[tuple[datetime, date, int]]]:
    found: dict[int, list[tuple[datetime, date, int]]] = defaultdict(list)
    for chunk in in_chunks(sorted(set(ids))):
        query = select(orders.c.customer_id, orders.c.ordered_at, orders.c.ordered_on,
                       orders.c.amount_minor).where(
            orders.c.customer_id.in_(chunk), orders.c.ordered_on >= since,
            orders.c.amount_minor >= 0,
        )  # fmt: skip
        for row in reader.execute(query):
            found[row.customer_id].append((row.ordered_at, row.ordered_on, row.amount_minor))
    return found


def _sent(
    reader: Session | Connection, ids: list[int], since: datetime
) -> dict[int, list[datetime]]:
    found: dict[int, list[datetime]] = defaultdict(list)
    for chunk in in_chunks(sorted(set(ids))):
        query = select(outreach.c.customer_id, outreach.c.finished_at).where(
            outreach.c.customer_id.in_(chunk), outreach.c.status == "sent",
            outreach.c.finished_at >= since,
        )  # fmt: skip
        for row in reader.execute(query):
            found[row.customer_id].append(row.finished_at)
    return found
