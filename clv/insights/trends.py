"""Weekly trends: customer equity, activity and revenue by week, and movers between two weeks."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, func, select, true
from sqlalchemy.orm import aliased
from sqlmodel import Session

from clv.formatting import major_units
from clv.insights.runs import RunRef, weekly_runs
from clv.scoring.records import Migration
from clv.store.tables import (
    ScoringRun,
    customer_weekly_table,
    customers_table,
    run_group_stats_table,
)

weekly = customer_weekly_table


@dataclass(frozen=True)
class GroupCount:
    dimension: str
    name: str
    customers: int
    clv_sum: float


@dataclass(frozen=True)
class WeekTrend:
    """One stored week: the aggregates of the run standing for it, and its group counts."""

    week_end: date
    run: RunRef
    customers: int
    buyers: int
    active: int
    dormant: int
    customer_equity: float
    mean_clv: float
    revenue_week_minor: int
    groups: tuple[GroupCount, ...]

    def customers_in(self, dimension: str, name: str) -> int:
        return sum(g.customers for g in self.groups if (g.dimension, g.name) == (dimension, name))

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["week_end"], data["run"] = self.week_end.isoformat(), self.run.as_dict()
        minor = data.pop("revenue_week_minor")  # --json amounts: major units, exactly
        data["revenue_week"] = major_units(minor, self.run.currency_exponent)
        return data


def weekly_trend(session: Session, *, weeks: int = 13) -> list[WeekTrend]:
    """One entry per stored week (oldest first): the run's aggregates and its group stats."""
    runs = weekly_runs(session, weeks=weeks)
    if not runs:
        return []
    ids = [run.id for run in runs]
    groups: dict[int, list[GroupCount]] = {run_id: [] for run_id in ids if run_id is not None}
    for row in session.execute(
        select(run_group_stats_table).where(run_group_stats_table.c.run_id.in_(ids))
    ):
        groups[row.run_id].append(GroupCount(row.dimension, row.name, row.customers, row.clv_sum))
    return [_week(run, tuple(groups.get(run.id or 0, []))) for run in runs]


def _week(run: ScoringRun, groups: tuple[GroupCount, ...]) -> WeekTrend:
    return WeekTrend(
        run.week_end, RunRef.of(run), run.n_customers, run.n_buyers, run.n_active,
        run.n_dormant, run.customer_equity, run.mean_clv, run.revenue_week_minor, groups,
    )  # fmt: skip


@dataclass(frozen=True)
class Mover:
    customer_id: str
    name: str | None
    before: float
    after: float

    @property
    def change(self) -> float:
        return self.after - self.before


def stored_weeks(session: Session) -> list[date]:
    rows = session.execute(select(weekly.c.week_end).distinct().order_by(weekly.c.week_end))
    return [row[0] for row in rows]


@dataclass(frozen=True)
class MoverReport:
    before: date
    after: date
    rises: tuple[Mover, ...]
    falls: tuple[Mover, ...]
    migrations: tuple[Migration, ...]

    def as_dict(self) -> dict[str, Any]:
        def mover(m: Mover) -> dict[str, Any]:
            return {**asdict(m), "change": m.change}

        return {
            "before": self.before.isoformat(), "after": self.after.isoformat(),
            "rises": [mover(m) for m in self.rises], "falls": [mover(m) for m in self.falls],
            "migrations": [{"from_segment": m.source, "to_segment": m.target,
                            "customers": m.customers} for m in self.migrations],
        }  # fmt: skip


def movers(
    session: Session,
    *,
    before: date,
    after: date,
    limit: int = 5,
    within: Select[tuple[int]] | None = None,
) -> MoverReport:
    """Largest CLV rises and falls, and segment migrations, from week `before` to `after`;
    `within`: only of the customer ids it selects (a group, `clv.insights.scope_history`)."""
    old, new = aliased(weekly), aliased(weekly)
    only = old.c.customer_id.in_(within) if within is not None else true()
    joined = (
        select(
            customers_table.c.external_id,
            customers_table.c.name,
            old.c.predicted_clv,
            new.c.predicted_clv,
        )
        .select_from(old)
        .join(new, and_(new.c.customer_id == old.c.customer_id, new.c.week_end == after))
        .join(customers_table, customers_table.c.id == old.c.customer_id)
        .where(old.c.week_end == before, only)
    )
    change = new.c.predicted_clv - old.c.predicted_clv
    rises = session.execute(joined.where(change > 0).order_by(change.desc()).limit(limit)).all()
    falls = session.execute(joined.where(change < 0).order_by(change.asc()).limit(limit)).all()
    migrations = session.execute(
        select(old.c.segment, new.c.segment, func.count())
        .select_from(old)
        .join(new, and_(new.c.customer_id == old.c.customer_id, new.c.week_end == after))
        .where(old.c.week_end == before, old.c.segment != new.c.segment, only)
        .group_by(old.c.segment, new.c.segment)
        .order_by(func.count().desc())
        .limit(limit * 2)
    ).all()
    return MoverReport(
        before,
        after,
        tuple(Mover(*row) for row in rises),
        tuple(Mover(*row) for row in falls),
        tuple(Migration(a, b, n) for a, b, n in migrations),
    )
