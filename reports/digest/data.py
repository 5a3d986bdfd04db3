"""The digest's content, read from stored aggregates only (never a scan of customers).

Everything here comes from the runs table (one row per run, with the week-over-week changes
the scoring run kept in its details), the per-run group stats, the ten or so dormant customers
at the top of an index, and the outreach audit. Personal data is masked: the digest is a
channel post.

The digest is of one complete week (`reports.schedule.digest_week`) and reads that week's
run; the model health and the re-engagement list are the current run's, what `/clv` answers
from (and what the buttons act on), so its holdout check is the one `/clv model` shows.
A group's digest (`reports.digest.group`) reads its group's weeks from the weekly history; a
subscription's digest (`subscription_digest`) is of its group and of its period. A monthly
digest compares with the month before's last complete week: its movers come from the weekly
history of those two weeks (a join of two weeks of `customer_weekly`, once a month), since
the run keeps week-over-week movers only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, tzinfo

from sqlalchemy import select
from sqlmodel import Session

from clv.insights import weekly_runs
from clv.insights.model import ModelStatus, model_status
from clv.insights.runs import current_run
from clv.insights.scope import GroupScope
from clv.insights.scope_history import stored_history
from clv.insights.trends import movers
from clv.outreach.experiment import experiment_report
from clv.present.privacy import to_masked_key, to_masked_name
from clv.scoring.details import RunDetails
from clv.scoring.records import Migration, WeekChanges
from clv.scoring.records import Mover as ChangedCustomer
from clv.segments.definitions import all_segments
from clv.settings import Settings
from clv.store.tables import ScoringRun, customers_table, run_group_stats_table
from clv.subscriptions import Subscription
from reports.digest.acquisition import acquisition_digest
from reports.digest.dormant import dormant_rows, experiment_entries
from reports.digest.group import group_digest, to_movers
from reports.digest.model import (
    MIGRATIONS,
    MOVERS,
    TREND_WEEKS,
    Digest,
    DormantRow,
    Drivers,
    ModelHealth,
    Mover,
    NoCompleteWeekError,
    SegmentRow,
    WeekPoint,
    month_before_week,
    week_note,
)
from reports.schedule import digest_week, previous_month_end, week_end_on_or_before

__all__ = [  # the digest's model is reports.digest.model's; these names are kept here too
    "Digest", "DormantRow", "Drivers", "Migration", "ModelHealth", "Mover",
    "NoCompleteWeekError", "SegmentRow", "WeekPoint", "build_digest", "digest_week_end",
    "experiment_entries", "subscription_digest", "subscription_period",
]  # fmt: skip


def build_digest(
    session: Session,
    settings: Settings,
    *,
    week_end: date | None,
    now: datetime,
    scope: GroupScope | None = None,
    period_end: date | None = None,
    zone: tzinfo | None = None,
) -> Digest:
    """The digest of the week ending `week_end` (a Sunday; None: the digest's week at `now`
    in `zone`'s calendar, TIMEZONE's by default, `reports.schedule.digest_week`), from stored
    aggregates; of `scope`'s customers only when given; `period_end`: the month a monthly
    digest is of (its last day)."""
    status = model_status(session)  # the current run (NoScoresError before the first one)
    calendar = zone or settings.tzinfo
    week = week_end or digest_week(now, calendar, newest_scored=status.run.as_of)
    runs = _week_points(session, week, newest=status.run.as_of)
    # a monthly digest compares with the month before's last complete week, not last week
    baseline = month_before_week(period_end) if period_end is not None else None
    if baseline is not None and baseline >= runs[-1].week_end:
        baseline = None  # the month has no scored week after it: nothing to compare
    if scope is not None:
        digest = group_digest(session, settings, scope, status, runs, now=now, week=week,
                              baseline=baseline)  # fmt: skip
    else:
        digest = _shop_digest(session, settings, status, runs, now=now, week=week,
                              baseline=baseline)  # fmt: skip
    if period_end is None:
        return digest
    return replace(digest, cadence="monthly", period_end=period_end)


@dataclass(frozen=True)
class _Changes:
    """What the digest's week is compared with, and what changed since."""

    previous: ScoringRun | None
    four_back: ScoringRun | None
    drivers: Drivers | None
    migrations: list[Migration]
    rises: list[Mover]
    falls: list[Mover]
    movers_note: str | None = None


def _weekly_changes(session: Session, runs: list[ScoringRun]) -> _Changes:
    """Week over week, as the scoring run kept them in its details."""
    run = runs[-1]
    previous = runs[-2] if len(runs) > 1 else None
    changes = RunDetails.from_json(run.details).changes
    names = _customer_names(session, changes)
    return _Changes(
        previous,
        runs[-5] if len(runs) > 4 else None,
        _drivers(changes, previous),
        list(changes.migrations[:MIGRATIONS]) if changes else [],
        _movers(changes.rises if changes else (), names),
        _movers(changes.falls if changes else (), names),
    )


def _monthly_changes(session: Session, runs: list[ScoringRun], baseline: date) -> _Changes:
    """Against the month before's last complete week: the equity and segments from its run,
    the movers and migrations from the weekly history between the two weeks (the run's own
    changes are week over week only). No drivers: the run splits a week's change only."""
    run = runs[-1]
    previous = next((r for r in runs if r.week_end == baseline and _is_complete_week(r)), None)
    if previous is None:
        return _Changes(None, None, None, [], [], [])
    if stored_history(session, [baseline, run.week_end]) != [baseline, run.week_end]:
        note = (f"No movers: the weekly history (HISTORY_WEEKS) no longer holds the week "
                f"ending {baseline} to compare with.")  # fmt: skip
        return _Changes(previous, None, None, [], [], [], note)
    moved = movers(session, before=baseline, after=run.week_end, limit=MOVERS)
    return _Changes(previous, None, None, list(moved.migrations[:MIGRATIONS]),
                    to_movers(moved, rises=True), to_movers(moved, rises=False))  # fmt: skip


def _shop_digest(
    session: Session,
    settings: Settings,
    status: ModelStatus,
    runs: list[ScoringRun],
    *,
    now: datetime,
    week: date,
    baseline: date | None = None,
) -> Digest:
    run = runs[-1]
    moved = _weekly_changes(session, runs) if baseline is None else (
        _monthly_changes(session, runs, baseline))  # fmt: skip
    previous, four_back = moved.previous, moved.four_back
    return Digest(
        week_end=run.week_end,
        as_of=run.as_of,
        currency=settings.currency,
        currency_exponent=settings.currency_exponent,
        trend=[_point(r) for r in runs],
        customer_equity=run.customer_equity,
        change_week=run.customer_equity - previous.customer_equity if previous else None,
        change_4_weeks=run.customer_equity - four_back.customer_equity if four_back else None,
        drivers=moved.drivers,
        segments=_segments(session, run, previous),
        migrations=moved.migrations,
        rises=moved.rises,
        falls=moved.falls,
        model=ModelHealth.of(status),
        outreach=experiment_report(
            session, now=now.astimezone(settings.tzinfo), exponent=settings.currency_exponent
        ),
        dormant=dormant_rows(session, settings, now),
        dormant_total=current_run(session).n_dormant,
        dormant_as_of=status.run.as_of,
        note=week_note(week, run) if run.week_end < week else None,
        acquisition=acquisition_digest(session, run),
        baseline=previous.week_end if baseline is not None and previous else None,
        movers_note=moved.movers_note,
    )


def subscription_digest(
    session: Session, settings: Settings, subscription: Subscription, *, now: datetime
) -> Digest:
    """The digest `subscription` posts at `now`: of its group, and of its period, both
    decided in the subscription's own zone, where its job fires.

    A weekly one is of the last week complete on the subscription's calendar at `now`, capped
    by the newest scored week (`reports.schedule.digest_week` in its zone); the week itself
    is the shop's Monday-Sunday week, as the scores are. A job firing at its local time sees
    its local date move on by exactly seven days from one fire to the next, so every fire
    asks for the week after the one before, whatever the shop's and its own clock changes
    do; in the shop's zone, a fire near midnight could fall on either side of it and ask for
    the same week twice, then skip one. A monthly one is of the calendar month before `now`'s
    date in the subscription's zone, shown by the month's last scored week."""
    if subscription.cadence == "weekly":
        return build_digest(session, settings, week_end=None, now=now, scope=subscription.scope,
                            zone=subscription.zone)  # fmt: skip
    month_end = previous_month_end(now, subscription.zone)
    return build_digest(session, settings, week_end=week_end_on_or_before(month_end), now=now,
                        scope=subscription.scope, period_end=month_end)  # fmt: skip


def subscription_period(
    session: Session, settings: Settings, subscription: Subscription, *, now: datetime
) -> date:
    """The period key `subscription_digest` at `now` claims, without building the digest."""
    if subscription.cadence == "monthly":
        return previous_month_end(now, subscription.zone)
    return digest_week_end(session, settings, now=now, zone=subscription.zone)


def digest_week_end(
    session: Session, settings: Settings, *, now: datetime, zone: tzinfo | None = None
) -> date:
    """The week the digest built at `now` is of (what `build_digest(week_end=None, zone=zone)`
    shows, and the week its exactly-once claim is for)."""
    newest = current_run(session).as_of
    week = digest_week(now, zone or settings.tzinfo, newest_scored=newest)
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
