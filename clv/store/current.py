"""Which scoring run is the current one: the newest complete full run, whose customers'
scores are stored. The one definition; clv.insights and clv.outreach both ask it."""

from __future__ import annotations

from sqlalchemy import Connection, ScalarSelect, func, select
from sqlmodel import Session

from clv.store.tables import scoring_runs_table as runs

CURRENT = (runs.c.status == "complete", runs.c.kind == "full")


def current_run_id_query() -> ScalarSelect[int]:
    """The current run's id as a subquery, for reads that need it in the same statement."""
    return select(func.max(runs.c.id)).where(*CURRENT).scalar_subquery()


def current_run_id(connection: Connection | Session) -> int | None:
    """The id of the current run, or None before the first one."""
    found = connection.execute(select(current_run_id_query())).scalar()
    return int(found) if found is not None else None
