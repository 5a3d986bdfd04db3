"""Weekly trends: customer equity, activity and revenue by week, and movers between two weeks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from clv.insights.runs import run_as_dict, weekly_runs
from clv.store.tables import customer_weekly_table, customers_table, run_group_stats_table

weekly = customer_weekly_table


def weekly_trend(session: Session, *, weeks: int = 13) -> list[dict[str, Any]]:
    """One entry per stored week (oldest first): the run's aggregates and its group stats."""
    runs = weekly_runs(session, weeks=weeks)
    if not runs:
        return []
    ids = [run.id for run in runs]
    groups: dict[int, list[dict[str, Any]]] = {run_id: [] for run_id in ids if run_id is not None}
    for row in session.execute(
        select(run_group_stats_table).where(run_group_stats_table.c.run_id.in_(ids))
    ):
        groups[row.run_id].append(
            {
                "dimension": row.dimension,
                "name": row.name,
                "customers": row.customers,
                "clv_sum": row.clv_sum,
            }
        )
    return [{**run_as_dict(run), "groups": groups.get(run.id or 0, [])} for run in runs]


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


def movers(session: Session, *, before: date, after: date, limit: int = 5) -> dict[str, Any]:
    """Largest CLV rises and falls, and segment migrations, from week `before` to `after`."""
    old, new = aliased(weekly), aliased(weekly)
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
        .where(old.c.week_end == before)
    )
    change = new.c.predicted_clv - old.c.predicted_clv
    rises = session.execute(joined.where(change > 0).order_by(change.desc()).limit(limit)).all()
    falls = session.execute(joined.where(change < 0).order_by(change.asc()).limit(limit)).all()
    migrations = session.execute(
        select(old.c.segment, new.c.segment, func.count())
        .select_from(old)
        .join(new, and_(new.c.customer_id == old.c.customer_id, new.c.week_end == after))
        .where(old.c.week_end == before, old.c.segment != new.c.segment)
        .group_by(old.c.segment, new.c.segment)
        .order_by(func.count().desc())
        .limit(limit * 2)
    ).all()
    return {
        "before": before.isoformat(),
        "after": after.isoformat(),
        "rises": [Mover(*row) for row in rises],
        "falls": [Mover(*row) for row in falls],
        "migrations": [{"from": a, "to": b, "customers": n} for a, b, n in migrations],
    }
