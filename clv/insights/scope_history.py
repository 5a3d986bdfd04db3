"""A group's weeks (`clv.insights.scope`): its size, customer equity and dormant customers
per stored week, its segments, and who in it moved, from the weekly history of buyers
(`customer_weekly`, kept for HISTORY_WEEKS weeks)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, case, func, select
from sqlmodel import Session

from clv.insights.scope import GroupScope, weekly_filter
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


def stored_history(session: Session, weeks: Sequence[date]) -> list[date]:
    """Which of `weeks` the weekly history still holds (older ones are pruned), in order."""
    query = select(weekly.c.week_end).where(weekly.c.week_end.in_(list(weeks))).distinct()
    return sorted({_day(row[0]) for row in session.execute(query)})


@dataclass(frozen=True)
class WeeklyMembers:
    """The group in the weeks of a report, decided once (a tier's bands are computed then)."""

    scope: GroupScope
    weeks: tuple[date, ...]  # the weeks asked for that the history holds, oldest first
    where: ColumnElement[bool]  # the group's rows of customer_weekly in those weeks


def weekly_members(session: Session, scope: GroupScope, weeks: Sequence[date]) -> WeeklyMembers:
    held = stored_history(session, weeks)
    return WeeklyMembers(scope, tuple(held), weekly_filter(session, scope, held))


def scope_weeks(session: Session, members: WeeklyMembers) -> list[ScopeWeek]:
    """The group in each of its weeks, oldest first (a week the group has no one in is a
    week of zeros)."""
    dormant = func.sum(case((weekly.c.dormant.is_(True), 1), else_=0))
    query = (
        select(weekly.c.week_end, func.count(), func.sum(weekly.c.predicted_clv), dormant)
        .where(members.where)
        .group_by(weekly.c.week_end)
    )
    found = {
        _day(week): ScopeWeek(_day(week), int(n), float(equity or 0.0), int(down or 0))
        for week, n, equity, down in session.execute(query)
    }
    return [found.get(week, ScopeWeek(week, 0, 0.0, 0)) for week in members.weeks]


def scope_segments(session: Session, members: WeeklyMembers, week: date) -> list[ScopeSegment]:
    """The group's buyers of `week` (one of its weeks) by segment."""
    query = (
        select(weekly.c.segment, func.count(), func.sum(weekly.c.predicted_clv))
        .where(members.where, weekly.c.week_end == week)
        .group_by(weekly.c.segment)
    )
    return [ScopeSegment(name, int(n), float(total)) for name, n, total in session.execute(query)]


def scope_movers(
    session: Session, members: WeeklyMembers, *, before: date, after: date, limit: int = 5
) -> MoverReport:
    """The largest CLV rises and falls and the segment migrations from week `before` to
    `after` (two of its weeks) of the customers in the group in either week (who joined or
    left it too)."""
    ids = select(weekly.c.customer_id).where(members.where, weekly.c.week_end.in_([before, after]))
    return movers(session, before=before, after=after, limit=limit, within=ids.distinct())
