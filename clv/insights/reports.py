"""Reading a run's acquisition reports (`run_reports`, written by `clv.scoring.reports`)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from clv.errors import UserFacingError
from clv.insights.runs import RunRef
from clv.insights.suggest import closest
from clv.segments.definitions import normalise
from clv.store.tables import run_reports_table, scoring_runs_table

reports, runs = run_reports_table, scoring_runs_table
COMPARE_DAYS = 28  # "the change since four weeks ago"


class NoReportError(UserFacingError, LookupError):
    """The current run was scored before clvbot wrote this report."""

    def __init__(self, what: str, as_of: date) -> None:
        super().__init__(
            f"the current scores (as of {as_of}) have no {what} report: they were computed by "
            "an older clvbot; run `clvbot score` and ask again"
        )


class UnknownChannelError(UserFacingError, LookupError):
    def __init__(self, name: str, channels: list[str]) -> None:
        found = closest(name, channels, limit=3, cutoff=0.5)
        listed = "channels: " + ", ".join(channels)
        hint = f"did you mean {' or '.join(found)}?" if found else listed
        super().__init__(f"no acquisition channel called {name!r}; {hint}")
        self.suggestions = tuple(found)


def load_report(session: Session, run: RunRef, name: str, what: str) -> dict[str, Any]:
    """The report `name` of `run` (NoReportError: the run has none)."""
    payload = session.execute(
        select(reports.c.payload).where(reports.c.run_id == run.run_id, reports.c.name == name)
    ).scalar_one_or_none()
    if payload is None:
        raise NoReportError(what, run.as_of)
    found: dict[str, Any] = payload
    return found


def report_before(
    session: Session, run: RunRef, name: str, *, days: int = COMPARE_DAYS
) -> tuple[date, dict[str, Any]] | None:
    """The report `name` of the newest complete run (full or backfill) at least `days` before
    `run`, with that run's day; None when no run that old has one."""
    row = session.execute(
        select(runs.c.as_of, reports.c.payload)
        .join(reports, reports.c.run_id == runs.c.id)
        .where(
            runs.c.status == "complete",
            runs.c.as_of <= run.as_of - timedelta(days=days),
            reports.c.name == name,
        )
        .order_by(runs.c.as_of.desc(), runs.c.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    as_of = date.fromisoformat(row.as_of) if isinstance(row.as_of, str) else row.as_of
    return as_of, row.payload


def match_name(name: str, names: list[str]) -> str | None:
    """`name` among `names`, matched as segment names are (`normalise`: case, spaces and
    punctuation do not matter)."""
    wanted = normalise(name)
    return next((candidate for candidate in names if normalise(candidate) == wanted), None)
