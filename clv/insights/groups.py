"""Segments, tiers and stages as the readers see them: size, value, change, rule, top customers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from clv.errors import UserFacingError
from clv.insights.runs import RunRef, current_ref
from clv.insights.suggest import closest
from clv.segments.definitions import (
    CLV_TIERS,
    DORMANT_STAGE,
    LIFECYCLE_STAGES,
    PROSPECTS,
    all_segments,
    dormant_rule,
    normalise,
)
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


def group_names() -> list[str]:
    """Every segment, tier and stage name a reader may ask for."""
    return [group[1] for group in GROUPS]


class UnknownGroupError(UserFacingError, LookupError):
    """No segment, tier or stage of that name; `suggestions` are the closest names."""

    def __init__(self, name: str) -> None:
        self.suggestions = tuple(closest(name, group_names(), limit=3, cutoff=0.5))
        if self.suggestions:
            hint = f"did you mean {' or '.join(self.suggestions)}?"
        else:
            hint = "segments: " + ", ".join(g[1] for g in GROUPS if g[0] == "segment")
        super().__init__(f"no segment, tier or stage called {name!r}; {hint}")
        self.name = name


@dataclass(frozen=True)
class TopCustomer:
    customer_id: str
    name: str | None
    predicted_clv: float
    p_alive: float | None


@dataclass(frozen=True)
class GroupSummary:
    run: RunRef
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
    top: tuple[TopCustomer, ...] = ()

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
            "top": [asdict(t) for t in self.top],
            "run": self.run.as_dict(),
        }


@dataclass(frozen=True)
class GroupList:
    """Every group of one dimension, in the order a reader expects: tiers and stages in rank
    order, segments by value; `unplaced` counts the customers in none of them (prospects
    have no CLV tier)."""

    run: RunRef
    dimension: str
    groups: tuple[GroupSummary, ...]
    unplaced: int


def find_group(name: str) -> tuple[str, str, str, str]:
    wanted = normalise(name)
    for group in GROUPS:
        if normalise(group[1]) == wanted:
            return group
    raise UnknownGroupError(name)


def previous_week_run(session: Session, run: RunRef) -> ScoringRun | None:
    """The newest complete run of an earlier week than `run`'s (what "w/w" compares with)."""
    runs = scoring_runs_table
    week_end = select(runs.c.week_end).where(runs.c.id == run.run_id).scalar_subquery()
    query = (
        select(ScoringRun)
        .where(runs.c.status == "complete", runs.c.week_end < week_end)
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


def group_summary(
    session: Session, name: str, *, top: int = 10, run: RunRef | None = None
) -> GroupSummary:
    """One segment, tier or stage (matched forgivingly) with its top customers by value."""
    dimension, canonical, rule, advice = find_group(name)
    ref = run or current_ref(session)
    previous = previous_week_run(session, ref)
    summary = _summary(
        ref,
        (dimension, canonical, rule, advice),
        _stats(session, ref.run_id),
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
        .where(scores.c.run_id == ref.run_id, column == canonical)
        .order_by(scores.c.predicted_clv.desc())
        .limit(top)
    ).all()
    return replace(summary, top=tuple(TopCustomer(*row) for row in rows))


def all_groups(
    session: Session, dimension: str = "segment", *, run: RunRef | None = None
) -> GroupList:
    """Every group of a dimension (empty groups included), in the order of `GroupList`."""
    ref = run or current_ref(session)
    previous = previous_week_run(session, ref)
    now, before = _stats(session, ref.run_id), _stats(session, previous.id if previous else None)
    found = [_summary(ref, group, now, before) for group in GROUPS if group[0] == dimension]
    if dimension == "segment":
        found.sort(key=lambda g: (g.name == PROSPECTS.name, -g.clv_sum, -g.customers, g.name))
    unplaced = ref.customers - sum(g.customers for g in found)
    return GroupList(ref, dimension, tuple(found), unplaced)


def _summary(
    run: RunRef,
    group: tuple[str, str, str, str],
    now: dict[tuple[str, str], Any],
    before: dict[tuple[str, str], Any],
) -> GroupSummary:
    dimension, name, rule, advice = group
    if (dimension, name) == ("stage", DORMANT_STAGE.name):  # with the run's own thresholds
        rule = dormant_rule(
            dormant_p_alive=run.dormant_p_alive, dormant_max_days=run.dormant_max_days
        )
    row, old = now.get((dimension, name)), before.get((dimension, name))
    return GroupSummary(
        run=run,
        dimension=dimension,
        name=name,
        rule=rule,
        advice=advice,
        customers=row.customers if row else 0,
        share=(row.customers / run.customers) if row and run.customers else 0.0,
        clv_sum=row.clv_sum if row else 0.0,
        clv_median=row.clv_median if row else 0.0,
        previous_customers=(old.customers if old else 0) if before else None,
        previous_clv_sum=(old.clv_sum if old else 0.0) if before else None,
    )
