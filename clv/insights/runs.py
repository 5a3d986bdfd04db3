"""Finding scoring runs: the current one, and the one standing for each week."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, ScalarSelect, func, select
from sqlmodel import Session

from clv.store.tables import ScoringRun, scoring_runs_table

runs = scoring_runs_table
# the current run: complete, and full (its customers' scores are stored); the one definition
CURRENT = (runs.c.status == "complete", runs.c.kind == "full")


@dataclass(frozen=True)
class RunRef:
    """The run an answer was read from. Every read model carries one, so a renderer's "as of"
    cannot disagree with its rows."""

    run_id: int
    as_of: date
    model: str
    horizon_months: int
    currency: str

    @classmethod
    def of(cls, run: ScoringRun) -> RunRef:
        settings = run.details.get("settings") or {}
        return cls(
            run_id=int(run.id or 0),
            as_of=run.as_of,
            model=run.model,
            horizon_months=int(settings.get("horizon_months", 12)),
            currency=str(settings.get("currency", "USD")),
        )

    def as_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "as_of": self.as_of.isoformat(), "model": self.model}


class NoScoresError(LookupError):
    """No complete scoring run exists yet."""

    def __init__(self) -> None:
        super().__init__("no scores yet: run `clvbot score` (it takes seconds) and ask again")


def current_run(session: Session) -> ScoringRun:
    """The newest complete full run (what every reader sees: the run whose customers' scores
    are stored), or NoScoresError. Backfill runs and runs still under way never are."""
    query = select(ScoringRun).where(*CURRENT).order_by(runs.c.id.desc())
    run: ScoringRun | None = session.execute(query.limit(1)).scalars().first()
    if run is None:
        raise NoScoresError()
    return run


def current_ref(session: Session) -> RunRef:
    """The current run, as read models carry it (NoScoresError before the first one)."""
    return RunRef.of(current_run(session))


def current_run_id_query() -> ScalarSelect[int]:
    """The current run's id as a subquery, for reads that need it in the same statement."""
    return select(func.max(runs.c.id)).where(*CURRENT).scalar_subquery()


def current_run_id(connection: Connection | Session) -> int | None:
    """The id of the current run (see `current_run`), or None before the first one."""
    found = connection.execute(select(current_run_id_query())).scalar()
    return int(found) if found is not None else None


def weekly_runs(
    session: Session, *, until: date | None = None, weeks: int = 13
) -> list[ScoringRun]:
    """For each week end (oldest first), the newest complete run of that week, full or
    backfill: the weekly history."""
    newest = (
        select(runs.c.week_end, func.max(runs.c.id).label("run_id"))
        .where(runs.c.status == "complete")
        .group_by(runs.c.week_end)
    )
    if until is not None:
        newest = newest.where(runs.c.week_end <= until)
        newest = newest.where(runs.c.week_end > until - timedelta(weeks=weeks))
    ids = [row.run_id for row in session.execute(newest)]
    if not ids:
        return []
    found: list[ScoringRun] = list(
        session.execute(select(ScoringRun).where(runs.c.id.in_(ids))).scalars()
    )
    chosen = sorted(found, key=lambda run: run.week_end)
    return chosen[-weeks:]


def run_as_dict(run: ScoringRun) -> dict[str, Any]:
    return {
        "run_id": run.id,
        "as_of": run.as_of.isoformat(),
        "week_end": run.week_end.isoformat(),
        "model": run.model,
        "customers": run.n_customers,
        "buyers": run.n_buyers,
        "active": run.n_active,
        "dormant": run.n_dormant,
        "customer_equity": run.customer_equity,
        "mean_clv": run.mean_clv,
        "revenue_week_minor": run.revenue_week_minor,
    }
