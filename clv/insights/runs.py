"""Finding scoring runs: the current one, and the one standing for each week."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from clv.errors import UserFacingError
from clv.scoring.details import RunDetails
from clv.settings import minor_unit_exponent
from clv.store.current import CURRENT
from clv.store.tables import ScoringRun, scoring_runs_table

runs = scoring_runs_table


@dataclass(frozen=True)
class ValuationTerms:
    """The terms a run valued customers on (what "Why this number?" explains)."""

    annual_discount_rate: float
    gross_margin: float
    lifespan_years: float | None  # of the formula CLV


@dataclass(frozen=True)
class RunRef:
    """The run an answer was read from. Every read model carries one, so a renderer's "as of"
    cannot disagree with its rows."""

    run_id: int
    as_of: date
    model: str
    horizon_months: int
    currency: str
    customers: int  # customers the run scored
    terms: ValuationTerms
    dormant_p_alive: float  # the thresholds the run classified customers with
    dormant_max_days: int
    clv_cac_target: float  # the CLV:CAC the run's bands and affordable CACs aim at
    interval_level: float | None = None  # CLV_INTERVAL of its ranges (None: runs before them)
    withheld: str | None = None  # why the run has no predictions ("predictions start at ...")

    @classmethod
    def of(cls, run: ScoringRun) -> RunRef:
        """The reference of a complete run (its stored details say what it valued with)."""
        details = RunDetails.from_json(run.details)
        settings = details.settings
        terms = ValuationTerms(
            settings.annual_discount_rate, settings.gross_margin, details.lifespan_years
        )
        return cls(
            run_id=int(run.id or 0),
            as_of=run.as_of,
            model=run.model,
            horizon_months=settings.horizon_months,
            currency=settings.currency,
            customers=run.n_customers,
            terms=terms,
            dormant_p_alive=settings.dormant_p_alive,
            dormant_max_days=settings.dormant_max_days,
            clv_cac_target=settings.clv_cac_target,
            interval_level=details.interval_level,
            withheld=details.withheld,
        )

    @property
    def currency_exponent(self) -> int:
        return minor_unit_exponent(self.currency)

    def as_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "as_of": self.as_of.isoformat(), "model": self.model}


class NoScoresError(UserFacingError, LookupError):
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
