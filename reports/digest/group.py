"""A group's digest (`/clv subscribe tier Gold`): every number of its customers only, read
through `clv.insights.scope` (the group) and `clv.insights.scope_history` (its weeks)."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session

from clv.insights.model import ModelStatus
from clv.insights.scope import GroupScope, dormant_count, scores_filter
from clv.insights.scope_history import (
    ScopeWeek,
    WeeklyMembers,
    scope_movers,
    scope_segments,
    scope_weeks,
    weekly_members,
)
from clv.insights.trends import MoverReport
from clv.present.privacy import to_masked_key, to_masked_name
from clv.segments.definitions import all_segments
from clv.settings import Settings
from clv.store.tables import ScoringRun
from reports.digest.dormant import dormant_rows
from reports.digest.model import (
    MIGRATIONS,
    MOVERS,
    Digest,
    ModelHealth,
    Mover,
    NoCompleteWeekError,
    SegmentRow,
    WeekPoint,
    week_note,
)


def group_digest(
    session: Session,
    settings: Settings,
    scope: GroupScope,
    status: ModelStatus,
    runs: list[ScoringRun],
    *,
    now: datetime,
    week: date,
    baseline: date | None = None,
) -> Digest:
    """The digest of `scope`'s customers: their weeks from the weekly history, their segments
    and movers, their dormant customers; no drivers (the run's split is of the whole shop),
    no outreach experiment and no acquisition section (both are of the whole shop).
    `baseline`: the week a monthly digest compares with (None: the week before)."""
    run = runs[-1]
    members = weekly_members(session, scope, [r.week_end for r in runs])
    points = scope_weeks(session, members)
    if not points or points[-1].week_end != run.week_end:
        raise NoCompleteWeekError(
            f"the weekly history no longer holds the week ending {run.week_end} "
            "(HISTORY_WEEKS): no digest of a group can be made for it"
        )
    this = points[-1]
    previous, four_back = _compared(points, baseline)
    moved = None
    if previous is not None:
        moved = scope_movers(
            session, members, before=previous.week_end, after=this.week_end, limit=MOVERS
        )
    return Digest(
        week_end=run.week_end,
        as_of=run.as_of,
        currency=settings.currency,
        currency_exponent=settings.currency_exponent,
        trend=[_group_point(p) for p in points],
        customer_equity=this.customer_equity,
        change_week=_change(this, previous),
        change_4_weeks=_change(this, four_back),
        drivers=None,
        segments=_group_segments(session, members, this, previous),
        migrations=list(moved.migrations[:MIGRATIONS]) if moved else [],
        rises=to_movers(moved, rises=True),
        falls=to_movers(moved, rises=False),
        model=ModelHealth.of(status),
        outreach=None,
        dormant=dormant_rows(session, settings, now, within=scores_filter(scope)),
        dormant_total=dormant_count(session, scope, status.run),
        dormant_as_of=status.run.as_of,
        note=week_note(week, run) if run.week_end < week else None,
        scope=scope,
        baseline=previous.week_end if baseline is not None and previous else None,
        movers_note=_movers_note(baseline, previous),
    )


def _compared(
    points: list[ScopeWeek], baseline: date | None
) -> tuple[ScopeWeek | None, ScopeWeek | None]:
    """The week compared with, and the one four weeks back (weekly digests only)."""
    if baseline is not None:  # monthly: the month before's last week, if the history has it
        return next((p for p in points if p.week_end == baseline), None), None
    previous = points[-2] if len(points) > 1 else None
    return previous, points[-5] if len(points) > 4 else None


def _movers_note(baseline: date | None, previous: ScopeWeek | None) -> str | None:
    if baseline is None or previous is not None:
        return None
    return (
        f"No movers: the weekly history (HISTORY_WEEKS) holds no week ending {baseline} "
        "to compare with."
    )


def _group_point(week: ScopeWeek) -> WeekPoint:
    return WeekPoint(
        week.week_end, week.customer_equity, week.mean_clv, week.active, week.dormant, None
    )


def _change(now: ScopeWeek, before: ScopeWeek | None) -> float | None:
    return now.customer_equity - before.customer_equity if before is not None else None


def _group_segments(
    session: Session, members: WeeklyMembers, this: ScopeWeek, previous: ScopeWeek | None
) -> list[SegmentRow]:
    now = {s.name: s for s in scope_segments(session, members, this.week_end)}
    before = None
    if previous is not None:
        before = {s.name: s for s in scope_segments(session, members, previous.week_end)}
    rows = []
    for name in (segment.name for segment in all_segments()):
        if name not in now:
            continue
        row = now[name]
        old = before.get(name) if before is not None else None
        rows.append(
            SegmentRow(
                name,
                row.customers,
                row.clv_sum,
                row.customers - (old.customers if old else 0) if before is not None else None,
                row.clv_sum - (old.clv_sum if old else 0.0) if before is not None else None,
            )
        )
    return rows


def to_movers(report: MoverReport | None, *, rises: bool) -> list[Mover]:
    """The digest's masked movers of a report from the weekly history."""
    if report is None:
        return []
    moved = report.rises if rises else report.falls
    return [
        Mover(to_masked_key(m.customer_id), to_masked_name(m.name), m.before, m.after)
        for m in moved[:MOVERS]
    ]
