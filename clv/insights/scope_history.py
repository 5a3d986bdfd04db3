"""A group's weeks (`clv.insights.scope`): its size, customer equity and dormant customers
per stored week, its segments, and who in it moved, from the weekly history of buyers
(`customer_weekly`, kept for HISTORY_WEEKS weeks)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Integer, case, cast, func, select
from sqlmodel import Session

from clv.insights.scope import GroupScope, member_ids, weekly_members
from clv.insights.trends import MoverReport, movers
from clv.store.tables import customer_weekly_table

weekly = customer_weekly_table


@dataclass(frozen=True)
class ScopeWeek:
    """The group in one stored week: its buyers, their predicted CLV and how many are dormant."""

    week_end: date
    customers: int
    customer_equity: float
    dormant: int

    @property
    def mean_clv(self) -> float:
        return self.customer_equity / self.customers if self.customers else 0.0

    @property
    def active(self) -> int:
        return self.customers - self.dormant


@dataclass(frozen=True)
class ScopeSegment:
    name: str
    customers: int
    clv_sum: float


def _day(value: date | str) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def stored_history(session: Session, weeks: Sequence[date]) -> set[date]:
    """Which of `weeks` the weekly history still holds (older ones are pruned)."""
    query = select(weekly.c.week_end).where(weekly.c.week_end.in_(list(weeks))).distinct()
    return {_day(row[0]) for row in session.execute(query)}


def scope_weeks(session: Session, scope: GroupScope, weeks: Sequence[date]) -> list[ScopeWeek]:
    """The group in each of `weeks` the history holds, oldest first (a held week the group
    has no one in is a week of zeros)."""
    held = stored_history(session, weeks)
    members = weekly_members(scope, sorted(held))
    query = select(
        members.c.week_end,
        func.count(),
        func.coalesce(func.sum(members.c.predicted_clv), 0.0),
        func.coalesce(func.sum(case((members.c.dormant.is_(True), 1), else_=0)), 0),
    ).group_by(members.c.week_end)
    found = {
        _day(week): ScopeWeek(_day(week), int(n), float(equity), int(cast_dormant))
        for week, n, equity, cast_dormant in session.execute(query)
    }
    return [found.get(week, ScopeWeek(week, 0, 0.0, 0)) for week in sorted(held)]


def scope_segments(session: Session, scope: GroupScope, week: date) -> list[ScopeSegment]:
    """The group's buyers of `week` by segment."""
    members = weekly_members(scope, [week])
    query = select(
        members.c.segment, cast(func.count(), Integer), func.sum(members.c.predicted_clv)
    ).group_by(members.c.segment)
    return [ScopeSegment(name, int(n), float(total)) for name, n, total in session.execute(query)]


def scope_movers(
    session: Session, scope: GroupScope, *, before: date, after: date, limit: int = 5
) -> MoverReport:
    """The largest CLV rises and falls and the segment migrations from week `before` to
    `after` of the customers in the group in either week (who joined or left it too)."""
    return movers(session, before=before, after=after, limit=limit,
                  within=member_ids(scope, [before, after]))  # fmt: skip
