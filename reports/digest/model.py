"""The digest as the renderers read it: a typed model of one week (or month) of one group or
the whole shop, and what it shows of its customers, masked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from clv.insights.model import ModelStatus
from clv.insights.runs import NoScoresError
from clv.insights.scope import GroupScope
from clv.outreach.experiment import ExperimentReport
from clv.outreach.holdout import ListEntry
from clv.scoring.records import HoldoutCheck, Migration
from clv.store.tables import ScoringRun
from clv.subscriptions import Cadence
from reports.digest.acquisition import AcquisitionDigest

__all__ = [
    "MIGRATIONS", "MOVERS", "TREND_WEEKS", "Digest", "DormantRow", "Drivers", "Migration",
    "ModelHealth", "Mover", "NoCompleteWeekError", "SegmentRow", "WeekPoint",
    "month_before_week", "week_note",
]  # fmt: skip

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
    # a monthly digest's changes, segment changes and movers are against this week, the last
    # complete one of the month before (None: week over week, or no such week is scored)
    baseline: date | None = None
    movers_note: str | None = None  # why there are no movers to show, when it is not obvious

    @property
    def period_key(self) -> date:
        """What the exactly-once claim is for: the week, or the month of a monthly digest."""
        return self.period_end or self.week_end


def month_before_week(period_end: date) -> date:
    """The week a monthly digest of the month ending `period_end` compares with: the last
    Sunday of the month before (the last complete week of that month)."""
    last_day = period_end.replace(day=1) - timedelta(days=1)
    return last_day - timedelta(days=(last_day.weekday() + 1) % 7)


def week_note(week: date, run: ScoringRun) -> str:
    """Why a digest is not of the week asked for: its newest complete week is older."""
    return (
        f"This is the week ending {run.week_end}, not {week}: no scores as of {week} "
        "(see `clvbot model`)."
    )
