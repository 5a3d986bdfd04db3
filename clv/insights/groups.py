"""Segments, tiers and stages as the readers see them: size, value, change, rule, top customers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from clv.insights.runs import current_run
from clv.segments.definitions import CLV_TIERS, LIFECYCLE_STAGES, all_segments, normalise
from clv.store.tables import (
    ScoringRun,
    customer_scores_table,
    customers_table,
    run_group_stats_table,
    scoring_runs_table,
)

stats = run_group_stats_table
scores = customer_scores_table

# every group a user can ask for: (dimension, name, rule, advice)
GROUPS: tuple[tuple[str, str, str, str], ...] = (
    *(
        ("segment", s.name, s.rule if s.recency[0] else "no purchase yet", s.action)
        for s in all_segments()
    ),
    *(("tier", t.name, t.rule, "") for t in CLV_TIERS),
    *(("stage", s.name, s.rule, "") for s in LIFECYCLE_STAGES),
)


class UnknownGroupError(LookupError):
    def __init__(self, name: str) -> None:
        known = ", ".join(g[1] for g in GROUPS if g[0] == "segment")
        super().__init__(f"no segment, tier or stage called {name!r} (segments: {known})")
        self.name = name


@dataclass(frozen=True)
class TopCustomer:
    customer_id: str
    name: str | None
    predicted_clv: float
    p_alive: float | None


@dataclass(frozen=True)
class GroupSummary:
    dimension: str
    name: str
    rule: str
    advice: str
    customers: int
    share: float  # of all customers
    clv_sum: float
    clv_median: float
    previous_customers: int | None  # same group in the previous week's run
    previous_clv_sum: float | None
    top: list[TopCustomer] = field(default_factory=list)

    @property
    def customers_change(self) -> int | None:
        return None if self.previous_customers is None else self.customers - self.previous_customers

    @property
    def clv_change(self) -> float | None:
        return None if self.previous_clv_sum is None else self.clv_sum - self.previous_clv_sum

    def as_dict(self) -> dict[str, Any]:
        return {
            "dimension": self.dimension,
            "name": self.name,
            "rule": self.rule,
            "advice": self.advice,
            "customers": self.customers,
            "share": self.share,
            "clv_sum": self.clv_sum,
            "clv_median": self.clv_median,
            "customers_change": self.customers_change,
            "clv_change": self.clv_change,
            "top": [t.__dict__ for t in self.top],
        }


def find_group(name: str) -> tuple[str, str, str, str]:
    wanted = normalise(name)
    for group in GROUPS:
        if normalise(group[1]) == wanted:
            return group
    raise UnknownGroupError(name)


def previous_week_run(session: Session, run: ScoringRun) -> ScoringRun | None:
    runs = scoring_runs_table
    query = (
        select(ScoringRun)
        .where(runs.c.status == "complete", runs.c.week_end < run.week_end)
        .order_by(runs.c.week_end.desc(), runs.c.id.desc())
        .limit(1)
    )
    previous: ScoringRun | None = session.execute(query).scalars().first()
    return previous


def _stats(
    session: Session, run_id: int | None, dimension: str | None = None
) -> dict[tuple[str, str], Any]:
    if run_id is None:
        return {}
    query = select(stats).where(stats.c.run_id == run_id)
    if dimension is not None:
        query = query.where(stats.c.dimension == dimension)
    return {(row.dimension, row.name): row for row in session.execute(query)}


def group_summary(session: Session, name: str, *, top: int = 10) -> GroupSummary:
    """One segment, tier or stage (matched forgivingly) with its top customers by value."""
    dimension, canonical, rule, advice = find_group(name)
    run = current_run(session)
    previous = previous_week_run(session, run)
    summary = _summary(
        run,
        (dimension, canonical, rule, advice),
        _stats(session, run.id),
        _stats(session, previous.id if previous else None),
    )
    column = {"segment": scores.c.segment, "tier": scores.c.tier, "stage": scores.c.stage}[
        dimension
    ]
    rows = session.execute(
        select(
            customers_table.c.external_id,
            customers_table.c.name,
            scores.c.predicted_clv,
            scores.c.p_alive,
        )
        .join(customers_table, customers_table.c.id == scores.c.customer_id)
        .where(scores.c.run_id == run.id, column == canonical)
        .order_by(scores.c.predicted_clv.desc())
        .limit(top)
    ).all()
    return GroupSummary(**{**summary.__dict__, "top": [TopCustomer(*row) for row in rows]})


def all_groups(session: Session, dimension: str = "segment") -> list[GroupSummary]:
    """Every group of a dimension, largest value first (empty groups included)."""
    run = current_run(session)
    previous = previous_week_run(session, run)
    now, before = _stats(session, run.id), _stats(session, previous.id if previous else None)
    found = [_summary(run, group, now, before) for group in GROUPS if group[0] == dimension]
    return sorted(found, key=lambda g: (-g.clv_sum, -g.customers, g.name))


def _summary(
    run: ScoringRun,
    group: tuple[str, str, str, str],
    now: dict[tuple[str, str], Any],
    before: dict[tuple[str, str], Any],
) -> GroupSummary:
    dimension, name, rule, advice = group
    row, old = now.get((dimension, name)), before.get((dimension, name))
    return GroupSummary(
        dimension=dimension,
        name=name,
        rule=rule,
        advice=advice,
        customers=row.customers if row else 0,
        share=(row.customers / run.n_customers) if row and run.n_customers else 0.0,
        clv_sum=row.clv_sum if row else 0.0,
        clv_median=row.clv_median if row else 0.0,
        previous_customers=(old.customers if old else 0) if before else None,
        previous_clv_sum=(old.clv_sum if old else 0.0) if before else None,
    )
