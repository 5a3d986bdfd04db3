"""What a user's home tab shows, read from the current run in one snapshot.

Customer equity with its weekly trend (the stored runs, never a scan of customers), the top of
the re-engagement and overdue lists with the outreach policy's verdict for each row, the latest
alerts and the model's health. Every part is of the same run (`Home.run`), the one `/clv`
answers from; the lists are the ones `/clv dormant` and `/clv overdue` show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlmodel import Session

from clv.alerts.store import AlertsView, recent_alerts
from clv.insights import RankedList, dormant_customers, overdue_customers, weekly_runs
from clv.insights.model import ModelStatus, model_status
from clv.insights.runs import RunRef
from clv.outreach.policy import OutreachRules
from clv.segments.alerts import enabled_rules
from clv.settings import Settings
from clv.store.tables import ScoringRun, customer_scores_table

scores = customer_scores_table

TREND_WEEKS = 13
LIST_ROWS = 5  # of each list: a glance, with "/clv dormant" for the rest
ALERT_ROWS = 3


@dataclass(frozen=True)
class TrendPoint:
    week_end: date
    customer_equity: float
    mean_clv: float


@dataclass(frozen=True)
class Home:
    """One user's home, of one run; `masked` says whether names and emails are hidden."""

    run: RunRef
    trend: tuple[TrendPoint, ...]  # oldest first, the current run's week last
    customer_equity: float
    dormant: RankedList
    dormant_total: int
    overdue: RankedList
    overdue_total: int
    alerts: AlertsView
    model: ModelStatus
    masked: bool

    @property
    def change_13_weeks(self) -> float | None:
        """Equity now against the oldest week of the trend (None: only one week)."""
        if len(self.trend) < 2:
            return None
        return self.customer_equity - self.trend[0].customer_equity


def build_home(session: Session, settings: Settings, *, now: datetime) -> Home:
    """The home of the current run (NoScoresError before the first one)."""
    status = model_status(session)
    run, rules = status.run, OutreachRules.of(settings)
    current = session.get_one(ScoringRun, run.run_id)
    dormant = dormant_customers(session, limit=LIST_ROWS, rules=rules, now=now, run=run)
    overdue = overdue_customers(session, limit=LIST_ROWS, rules=rules, now=now, run=run)
    return Home(
        run=run,
        trend=_trend(session, current),
        customer_equity=status.customer_equity,
        dormant=dormant,
        dormant_total=current.n_dormant,
        overdue=overdue,
        overdue_total=_overdue_count(session, run),
        alerts=recent_alerts(
            session, now=now, enabled=enabled_rules(settings.alert_rules), limit=ALERT_ROWS
        ),
        model=status,
        masked=not settings.app_home_personal_data,
    )


def _trend(session: Session, current: ScoringRun) -> tuple[TrendPoint, ...]:
    """The weekly history before the current run's week, then the current run for its own
    week (which may not be complete yet): TREND_WEEKS points at most."""
    earlier = weekly_runs(session, until=current.week_end, weeks=TREND_WEEKS)
    points = [
        TrendPoint(r.week_end, r.customer_equity, r.mean_clv)
        for r in earlier
        if r.week_end < current.week_end
    ]
    points.append(TrendPoint(current.week_end, current.customer_equity, current.mean_clv))
    return tuple(points[-TREND_WEEKS:])


def _overdue_count(session: Session, run: RunRef) -> int:
    """How many of the run's customers are overdue (an index range: run, overdue)."""
    query = select(func.count()).where(scores.c.run_id == run.run_id, scores.c.overdue.is_(True))
    return int(session.execute(query).scalar_one())
