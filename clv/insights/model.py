"""The model's health as of the current run: fit, holdout accuracy, data warnings."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from clv.insights.runs import current_run
from clv.store.tables import ScoringRun, scoring_runs_table


def model_status(session: Session) -> dict[str, Any]:
    """What `clvbot model --json` prints; keys as documented in the README."""
    run = current_run(session)
    details = run.details
    runs = scoring_runs_table
    # a run since the current one that failed, or whose process died, backfill runs included
    latest_failure: ScoringRun | None = (
        session.execute(
            select(ScoringRun)
            .where(runs.c.status.in_(("failed", "interrupted")), runs.c.id > (run.id or 0))
            .order_by(runs.c.id.desc())
            .limit(1)
        )
        .scalars()
        .first()
    )
    return {
        "run_id": run.id,
        "as_of": run.as_of.isoformat(),
        "fitted_at": run.finished_at.isoformat() if run.finished_at else None,
        "time_unit": details.get("time_unit", "days"),
        "transactions_model": details.get("transactions_model", {}),
        "spend_model": details.get("spend_model", {}),
        "holdout": details.get("holdout"),
        "warnings": details.get("warnings", []),
        "settings": details.get("settings", {}),
        "lifespan_years": details.get("lifespan_years"),
        "customers": run.n_customers,
        "buyers": run.n_buyers,
        "customer_equity": run.customer_equity,
        "failed_since": (
            {"as_of": latest_failure.as_of.isoformat(), "error": latest_failure.error}
            if latest_failure
            else None
        ),
    }
