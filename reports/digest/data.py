"""The weekly digest's content, read from stored aggregates only (never a scan of customers).

Everything here comes from the runs table (one row per run, with the week-over-week changes
the scoring run kept in its details), the per-run group stats, the ten or so dormant customers
at the top of an index, and the outreach audit. Personal data is masked: the digest is a
channel post.

The digest is of one complete week (`reports.schedule.digest_week`) and reads that week's
run; the model health and the re-engagement list are the current run's, what `/clv` answers
from (and what the buttons act on), so its holdout check is the one `/clv model` shows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import ColumnElement, select
from sqlmodel import Session

from clv.insights import dormant_customers, weekly_runs
from clv.insights.lists import list_entries
from clv.insights.model import ModelStatus, model_status
from clv.insights.runs import NoScoresError, current_run
from clv.insights.scope import GroupScope, dormant_count, scores_filter
from clv.insights.scope_history import ScopeWeek, scope_movers, scope_segments, scope_weeks
from clv.insights.trends import MoverReport
from clv.outreach.experiment import ExperimentReport, experiment_report
from clv.outreach.holdout import ListEntry
from clv.outreach.policy import OutreachRules
from clv.present.privacy import to_masked_key, to_masked_name
from clv.scoring.details import RunDetails
from clv.scoring.records import HoldoutCheck, Migration, WeekChanges
from clv.scoring.records import Mover as ChangedCustomer
from clv.segments.definitions import all_segments
from clv.settings import Settings
from clv.store.tables import ScoringRun, customers_table, run_group_stats_table
from clv.subscriptions.spec import Cadence
from clv.subscriptions.store import Subscription
from reports.digest.acquisition import AcquisitionDigest, acquisition_digest
from reports.schedule import digest_week, previous_month_end, week_end_on_or_before

TREND_WEEKS = 13
MOVERS = 5
MIGRATIONS = 5


class NoCompleteWeekError(NoScoresError):
    """There are scores, but none of a complete week the digest could be about."""

    def __init__(self, message: str) -> None:
        LookupError.__init__(self, message)


@dataclass(frozen=True)
class WeekPoint:
    week_end: date
    customer_equity: float
    mean_clv: float
    active: int
    dormant: int
    revenue_minor: int | None  # None: not kept per group (a filtered digest's weeks)


@dataclass(frozen=True)
class SegmentRow:
    name: str
    customers: int
    clv_sum: float
    customers_change: int | None  # None: the segment has no previous week to compare with
    clv_change: float | None


@dataclass(frozen=True)
class Mover:
    key: str  # masked customer id
    name: str | None  # masked
    before: float
    after: float


@dataclass(frozen=True)
class Drivers:
    new_customers: int
    new_customers_clv: float
    went_dormant: int
    went_dormant_change: float
    others_change: float


@dataclass(frozen=True)
class ModelHealth:
    """The current run's model, as `/clv model` shows it."""

    name: str
    as_of: date
    fitted_at: datetime | None
    holdout: HoldoutCheck | None
    warnings: tuple[str, ...]

    @classmethod
    def of(cls, status: ModelStatus) -> ModelHealth:
        return cls(
            status.transactions_model.name, status.run.as_of, status.fitted_at, status.holdout,
            status.warnings,
        )  # fmt: skip


@dataclass(frozen=True)
class DormantRow:
    customer_id: int  # store id: the outreach button's value
    key: str  # masked
    name: str | None  # masked
    segment: str
    predicted_clv: float
    value_at_stake: float
    reason: str | None
    opted_out: bool
    eligible: bool
    why_not: str | None  # why no button, in plain words: opted out, no email, cooldown
    contacted_by: str | None = None  # the Slack user holding the cooldown, when that is why
    contacted_on: date | None = None
    next_possible: date | None = None
    held_out: bool = False  # in the control group: shown as such, no button
    entry: ListEntry | None = None  # the experiment's row, recorded when the digest is posted


@dataclass(frozen=True)
class Digest:
    week_end: date  # a Sunday: the digest's week, whose run `as_of` that day
    as_of: date
    currency: str
    currency_exponent: int
    trend: list[WeekPoint]
    customer_equity: float
    change_week: float | None
    change_4_weeks: float | None
    drivers: Drivers | None
    segments: list[SegmentRow]
    migrations: list[Migration]
    rises: list[Mover]
    falls: list[Mover]
    model: ModelHealth
    # contacted against held out, of the lists 2-8 weeks ago; None in a group's digest (the
    # experiment is of the whole shop's lists)
    outreach: ExperimentReport | None
    dormant: list[DormantRow]
    dormant_total: int
    dormant_as_of: date  # the current run's day: the list and its buttons are of now
    note: str | None = None  # why this is not the week asked for
    acquisition: AcquisitionDigest | None = None  # None: the run has no acquisition reports
    scope: GroupScope | None = None  # the group every number is of (None: the whole shop)
    cadence: Cadence = "weekly"
    period_end: date | None = None  # a monthly digest's month (its last day)

    @property
    def period_key(self) -> date:
        """What the exactly-once claim is for: the week, or the month of a monthly digest."""
        return self.period_end or self.week_end


def build_digest(
    session: Session,
    settings: Settings,
    *,
    week_end: date | None,
    now: datetime,
    scope: GroupScope | None = None,
    period_end: date | None = None,
) -> Digest:
    """The digest of the week ending `week_end` (a Sunday; None: the digest's week at `now`,
    `reports.schedule.digest_week`), from stored aggregates; of `scope`'s customers only
    when given; `period_end`: the month a monthly digest is of (its last day)."""
    status = model_status(session)  # the current run (NoScoresError before the first one)
    week = week_end or digest_week(now, settings.tzinfo, newest_scored=status.run.as_of)
    runs = _week_points(session, week, newest=status.run.as_of)
    if scope is not None:
        digest = _group_digest(session, settings, scope, status, runs, now=now, week=week)
    else:
        digest = _shop_digest(session, settings, status, runs, now=now, week=week)
    if period_end is None:
        return digest
    return replace(digest, cadence="monthly", period_end=period_end)


def _shop_digest(
    session: Session,
    settings: Settings,
    status: ModelStatus,
    runs: list[ScoringRun],
    *,
    now: datetime,
    week: date,
) -> Digest:
    run = runs[-1]
    previous = runs[-2] if len(runs) > 1 else None
    four_back = runs[-5] if len(runs) > 4 else None
    changes = RunDetails.from_json(run.details).changes
    names = _customer_names(session, changes)
    return Digest(
        week_end=run.week_end,
        as_of=run.as_of,
        currency=settings.currency,
        currency_exponent=settings.currency_exponent,
        trend=[_point(r) for r in runs],
        customer_equity=run.customer_equity,
        change_week=run.customer_equity - previous.customer_equity if previous else None,
        change_4_weeks=run.customer_equity - four_back.customer_equity if four_back else None,
        drivers=_drivers(changes, previous),
        segments=_segments(session, run, previous),
        migrations=list(changes.migrations[:MIGRATIONS]) if changes else [],
        rises=_movers(changes.rises if changes else (), names),
        falls=_movers(changes.falls if changes else (), names),
        model=ModelHealth.of(status),
        outreach=experiment_report(
            session, now=now.astimezone(settings.tzinfo), exponent=settings.currency_exponent
        ),
        dormant=_dormant(session, settings, now),
        dormant_total=current_run(session).n_dormant,
        dormant_as_of=status.run.as_of,
        note=_note(week, run) if run.week_end < week else None,
        acquisition=acquisition_digest(session, run),
    )


def _group_digest(
    session: Session,
    settings: Settings,
    scope: GroupScope,
    status: ModelStatus,
    runs: list[ScoringRun],
    *,
    now: datetime,
    week: date,
) -> Digest:
    """The digest of `scope`'s customers: their weeks from the weekly history, their segments
    and movers, their dormant customers; no drivers (the run's split is of the whole shop),
    no outreach experiment and no acquisition section (both are of the whole shop)."""
    run = runs[-1]
    points = scope_weeks(session, scope, [r.week_end for r in runs])
    if not points or points[-1].week_end != run.week_end:
        raise NoCompleteWeekError(
            f"the weekly history no longer holds the week ending {run.week_end} "
            "(HISTORY_WEEKS): no digest of a group can be made for it"
        )
    this = points[-1]
    previous = points[-2] if len(points) > 1 else None
    four_back = points[-5] if len(points) > 4 else None
    moved = (
        scope_movers(session, scope, before=previous.week_end, after=this.week_end, limit=MOVERS)
        if previous
        else None
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
        segments=_group_segments(session, scope, this, previous),
        migrations=list(moved.migrations[:MIGRATIONS]) if moved else [],
        rises=_report_movers(moved, rises=True),
        falls=_report_movers(moved, rises=False),
        model=ModelHealth.of(status),
        outreach=None,
        dormant=_dormant(session, settings, now, within=scores_filter(scope)),
        dormant_total=dormant_count(session, scope, status.run),
        dormant_as_of=status.run.as_of,
        note=_note(week, run) if run.week_end < week else None,
        scope=scope,
    )


def _group_point(week: ScopeWeek) -> WeekPoint:
    return WeekPoint(
        week.week_end, week.customer_equity, week.mean_clv, week.active, week.dormant, None
    )


def _change(now: ScopeWeek, before: ScopeWeek | None) -> float | None:
    return now.customer_equity - before.customer_equity if before else None


def _group_segments(
    session: Session, scope: GroupScope, this: ScopeWeek, previous: ScopeWeek | None
) -> list[SegmentRow]:
    now = {s.name: s for s in scope_segments(session, scope, this.week_end)}
    before = (
        {s.name: s for s in scope_segments(session, scope, previous.week_end)} if previous else None
    )
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


def _report_movers(report: MoverReport | None, *, rises: bool) -> list[Mover]:
    if report is None:
        return []
    moved = report.rises if rises else report.falls
    return [
        Mover(to_masked_key(m.customer_id), to_masked_name(m.name), m.before, m.after)
        for m in moved[:MOVERS]
    ]


def subscription_digest(
    session: Session, settings: Settings, subscription: Subscription, *, now: datetime
) -> Digest:
    """The digest `subscription` posts at `now`: of its group, and of its period. A weekly
    one is of the digest's week (`reports.schedule.digest_week`, in the shop's TIMEZONE, whose
    weeks the scores are of); a monthly one of the calendar month before `now`'s date in the
    subscription's zone, shown by the month's last scored week."""
    if subscription.cadence == "weekly":
        return build_digest(session, settings, week_end=None, now=now, scope=subscription.scope)
    month_end = previous_month_end(now, subscription.zone)
    return build_digest(session, settings, week_end=week_end_on_or_before(month_end), now=now,
                        scope=subscription.scope, period_end=month_end)  # fmt: skip


def subscription_period(
    session: Session, settings: Settings, subscription: Subscription, *, now: datetime
) -> date:
    """The period key `subscription_digest` at `now` claims, without building the digest."""
    if subscription.cadence == "monthly":
        return previous_month_end(now, subscription.zone)
    return digest_week_end(session, settings, now=now)


def digest_week_end(session: Session, settings: Settings, *, now: datetime) -> date:
    """The week the digest built at `now` is of (what `build_digest(week_end=None)` shows, and
    the week its exactly-once claim is for)."""
    newest = current_run(session).as_of
    week = digest_week(now, settings.tzinfo, newest_scored=newest)
    return _week_points(session, week, newest=newest)[-1].week_end


def _week_points(session: Session, week: date, *, newest: date) -> list[ScoringRun]:
    """The weekly points up to the newest complete week on or before `week` (a complete week's
    point is the run as of its Sunday), at most TREND_WEEKS of them."""
    runs = weekly_runs(session, until=week, weeks=TREND_WEEKS)
    complete = [i for i, run in enumerate(runs) if _is_complete_week(run)]
    if not complete:
        raise NoCompleteWeekError(
            f"no complete week is scored on or before {week}: the newest scores are as of "
            f"{newest:%a %Y-%m-%d}; `clvbot score --backfill 1` scores the last week end too"
        )
    return runs[: complete[-1] + 1]


def _is_complete_week(run: ScoringRun) -> bool:
    return run.as_of.weekday() == 6 and run.week_end == run.as_of


def _note(week: date, run: ScoringRun) -> str:
    return (
        f"This is the week ending {run.week_end}, not {week}: no scores as of {week} "
        "(see `clvbot model`)."
    )


def _point(run: ScoringRun) -> WeekPoint:
    return WeekPoint(
        run.week_end,
        run.customer_equity,
        run.mean_clv,
        run.n_active,
        run.n_dormant,
        run.revenue_week_minor,
    )


def _drivers(changes: WeekChanges | None, previous: ScoringRun | None) -> Drivers | None:
    if changes is None or previous is None:
        return None
    if changes.previous_week_end != previous.week_end:
        return None  # the run compared itself with another week than the digest does
    return Drivers(
        changes.new_customers,
        changes.new_customers_clv,
        changes.went_dormant,
        changes.went_dormant_change,
        changes.others_change,
    )


def _segments(session: Session, run: ScoringRun, previous: ScoringRun | None) -> list[SegmentRow]:
    ids = [r.id for r in (run, previous) if r is not None]
    stats: dict[tuple[int, str], tuple[int, float]] = {}
    for row in session.execute(
        select(run_group_stats_table).where(
            run_group_stats_table.c.run_id.in_(ids), run_group_stats_table.c.dimension == "segment"
        )
    ):
        stats[(row.run_id, row.name)] = (row.customers, row.clv_sum)
    rows = []
    for name in (segment.name for segment in all_segments()):
        now = stats.get((run.id or 0, name))
        if now is None:
            continue
        before = stats.get((previous.id or 0, name), (0, 0.0)) if previous else None
        rows.append(
            SegmentRow(
                name,
                now[0],
                now[1],
                now[0] - before[0] if before is not None else None,
                now[1] - before[1] if before is not None else None,
            )
        )
    return rows


def _customer_names(
    session: Session, changes: WeekChanges | None
) -> dict[int, tuple[str, str | None]]:
    if changes is None:
        return {}
    ids = {m.customer_id for m in (*changes.rises[:MOVERS], *changes.falls[:MOVERS])}
    if not ids:
        return {}
    c = customers_table
    rows = session.execute(select(c.c.id, c.c.external_id, c.c.name).where(c.c.id.in_(ids)))
    return {row.id: (row.external_id, row.name) for row in rows}


def _movers(
    movers: tuple[ChangedCustomer, ...], names: dict[int, tuple[str, str | None]]
) -> list[Mover]:
    shown = []
    for m in movers[:MOVERS]:
        external, name = names.get(m.customer_id, (str(m.customer_id), None))
        shown.append(Mover(to_masked_key(external), to_masked_name(name), m.before, m.after))
    return shown


def _dormant(
    session: Session,
    settings: Settings,
    now: datetime,
    *,
    within: ColumnElement[bool] | None = None,
) -> list[DormantRow]:
    ranked = dormant_customers(
        session,
        limit=settings.digest_dormant_limit,
        rules=OutreachRules.of(settings),
        now=now,
        within=within,
    )
    rows = []
    entries = {e.assignment.customer_id: e for e in list_entries(ranked.rows)}
    for r in ranked.rows:
        verdict = r.outreach
        assert verdict is not None  # the dormant list carries the policy's verdict
        # the policy's reason says why there is no button; a cooldown is also said with who
        cooldown = verdict.in_cooldown
        rows.append(
            DormantRow(
                customer_id=r.store_id,
                key=to_masked_key(r.customer_id),
                name=to_masked_name(r.name),
                segment=r.segment,
                predicted_clv=r.predicted_clv,
                value_at_stake=r.value_at_stake,
                reason=r.dormant_reason,
                opted_out=r.opted_out,
                eligible=verdict.eligible,
                why_not=verdict.reason,
                contacted_by=verdict.last_by if cooldown else None,
                contacted_on=verdict.last_at.date() if cooldown and verdict.last_at else None,
                next_possible=verdict.next_possible if cooldown else None,
                held_out=verdict.held_out,
                entry=entries.get(r.store_id),
            )
        )
    return rows


def experiment_entries(digest: Digest) -> list[ListEntry]:
    """The re-engagement list's customers, as the experiment records them."""
    return [row.entry for row in digest.dormant if row.entry is not None]
