"""The model's health as of the current run: fit, holdout accuracy, data warnings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from clv.insights.runs import RunRef, current_run
from clv.insights.syncs import SyncOutcome, latest_sync
from clv.scoring.details import ModelReport, RunDetails, RunSettings
from clv.scoring.records import EquityRange, HoldoutCheck, ModelComparison, holdout_sentence
from clv.store.tables import ScoringRun, scoring_runs_table


@dataclass(frozen=True)
class FailedRun:
    """A run since the current one that failed, or whose process died."""

    as_of: date
    error: str | None


@dataclass(frozen=True)
class ModelStatus:
    """The current run's models, holdout check and warnings (what `/clv model` and `clvbot
    model` show), carrying the run they were read from."""

    run: RunRef
    fitted_at: datetime | None
    time_unit: str
    transactions_model: ModelReport
    spend_model: ModelReport
    holdout: HoldoutCheck | None
    warnings: tuple[str, ...]
    settings: RunSettings
    lifespan_years: float | None
    customers: int
    buyers: int
    customer_equity: float
    failed_since: FailedRun | None
    last_sync: SyncOutcome | None = None  # the nightly sync's last outcome, if there is a sync
    comparison: tuple[ModelComparison, ...] = ()  # CLV_MODEL=auto's candidates
    selected_by: str = "setting"
    equity_range: EquityRange | None = None
    withheld: str | None = None  # why the run has no predictions
    spend_correlation: float | None = None
    fit_steps: tuple[str, ...] = ()

    @property
    def holdout_summary(self) -> str:
        """The holdout check in words, as every surface says it."""
        return holdout_sentence(self.holdout)

    def as_dict(self) -> dict[str, Any]:
        """For `clvbot model --json`: the keys the README documents (and `run`)."""
        holdout = None if self.holdout is None else self.holdout.to_json()
        if holdout is not None:
            holdout["summary"] = self.holdout_summary
        failed = self.failed_since
        failure = (
            None if failed is None else {"as_of": failed.as_of.isoformat(), "error": failed.error}
        )
        return {
            "run": self.run.as_dict(),
            "run_id": self.run.run_id,
            "as_of": self.run.as_of.isoformat(),
            "fitted_at": self.fitted_at.isoformat() if self.fitted_at else None,
            "time_unit": self.time_unit,
            "transactions_model": self.transactions_model.to_json(),
            "spend_model": self.spend_model.to_json(),
            "holdout": holdout,
            "warnings": list(self.warnings),
            "settings": self.settings.to_json(),
            "lifespan_years": self.lifespan_years,
            "customers": self.customers,
            "buyers": self.buyers,
            "customer_equity": self.customer_equity,
            "failed_since": failure,
            "last_sync": None if self.last_sync is None else _sync_json(self.last_sync),
            "comparison": [row.to_json() for row in self.comparison],
            "selected_by": self.selected_by,
            "equity_range": None if self.equity_range is None else self.equity_range.to_json(),
            "withheld": self.withheld,
            "spend_correlation": self.spend_correlation,
            "fit_steps": list(self.fit_steps),
        }


def _sync_json(sync: SyncOutcome) -> dict[str, Any]:
    return {
        "status": sync.status,
        "started_at": sync.started_at.isoformat(),
        "read": sync.read,
        "imported": sync.imported,
        "updated": sync.updated,
        "unchanged": sync.unchanged,
        "rejected": sync.rejected,
        "error": sync.error,
        "watermark": sync.watermark.isoformat() if sync.watermark else None,
    }


def model_status(session: Session) -> ModelStatus:
    """The current run's model status (NoScoresError before the first run)."""
    run = current_run(session)
    details = RunDetails.from_json(run.details)
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
    return ModelStatus(
        run=RunRef.of(run),
        fitted_at=run.finished_at,
        time_unit=details.time_unit,
        transactions_model=details.transactions_model,
        spend_model=details.spend_model,
        holdout=details.holdout,
        warnings=details.warnings,
        settings=details.settings,
        lifespan_years=details.lifespan_years,
        customers=run.n_customers,
        buyers=run.n_buyers,
        customer_equity=run.customer_equity,
        failed_since=(
            None
            if latest_failure is None
            else FailedRun(latest_failure.as_of, latest_failure.error)
        ),
        last_sync=latest_sync(session.connection()),
        comparison=details.comparison,
        selected_by=details.selected_by,
        equity_range=details.equity_range,
        withheld=details.withheld,
        spend_correlation=details.spend_correlation,
        fit_steps=details.fit_steps,
    )
