"""`model_drift`: the holdout error or the interval coverage left its usual band.

The two measures of a run come from its holdout check (`clv.scoring.holdout`):
- the holdout error: the mean absolute error per customer of predicted against actual repeat
  purchases, relative to the mean actual repeat purchases (so shops of any size compare);
- the interval coverage: the share of customers whose holdout purchases fell in their range.
The band and the "moved outside" rule are `clv.segments.alerts` (`usual_band`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session

from clv.alerts.firings import Firing
from clv.insights.runs import RunRef
from clv.scoring.details import RunDetails
from clv.scoring.records import HoldoutCheck
from clv.segments.alerts import COVERAGE_FLOOR, DRIFT_FLOOR, Band, usual_band
from clv.store.tables import ScoringRun
from clv.store.tables import scoring_runs_table as runs

MEASURES = {"holdout_error": ("holdout error", DRIFT_FLOOR, True),
            "interval_coverage": ("interval coverage", COVERAGE_FLOOR, False)}  # fmt: skip


def holdout_error(check: HoldoutCheck) -> float | None:
    """MAE per customer ÷ mean actual repeat purchases (None without both)."""
    if check.mean_absolute_error is None or check.customers <= 0:
        return None
    mean_actual = check.actual_repeat_purchases / check.customers
    return check.mean_absolute_error / mean_actual if mean_actual > 0 else None


def measures(check: HoldoutCheck) -> dict[str, float | None]:
    return {"holdout_error": holdout_error(check), "interval_coverage": check.interval_coverage}


@dataclass(frozen=True)
class Drift:
    measure: str
    value: float
    band: Band
    previous: float | None


def drift_firing(session: Session, run: RunRef, history_runs: int) -> Firing | None:
    """The measures of `run` outside their band that were inside it in the previous run."""
    checks = _checks(session, run, history_runs + 1)
    if not checks or checks[-1][0] != run.run_id:
        return None  # the run has no holdout check
    drifts = [
        d for name in MEASURES if (d := measure_drift(name, [c for _, c in checks])) is not None
    ]
    if not drifts:
        return None
    words = "; ".join(
        f"{MEASURES[d.measure][0]} {d.value:.3g} outside its usual "
        f"{d.band.low:.3g}–{d.band.high:.3g}"
        for d in drifts
    )
    payload = {"measures": [{"measure": d.measure, "label": MEASURES[d.measure][0],
                             "value": d.value, "low": d.band.low, "high": d.band.high,
                             "previous": d.previous} for d in drifts],
               "model": run.model}  # fmt: skip
    return Firing("model_drift", run.as_of.isoformat(), f"Model drift: {words}", payload)


def measure_drift(name: str, checks: Sequence[HoldoutCheck]) -> Drift | None:
    _, floor, relative = MEASURES[name]
    values = [measures(c)[name] for c in checks]
    current, previous = values[-1], values[-2] if len(values) > 1 else None
    if current is None:
        return None
    band = usual_band([v for v in values[:-1] if v is not None], floor=floor, relative=relative)
    if band is None or band.holds(current):
        return None
    before = usual_band([v for v in values[:-2] if v is not None], floor=floor, relative=relative)
    if previous is not None and before is not None and not before.holds(previous):
        return None  # outside already: it did not move out now
    return Drift(name, current, band, previous)


def _checks(session: Session, run: RunRef, count: int) -> list[tuple[int, HoldoutCheck]]:
    """The holdout checks of the newest `count` complete full runs up to `run`, oldest first."""
    found = session.execute(
        select(ScoringRun)
        .where(runs.c.status == "complete", runs.c.kind == "full", runs.c.id <= run.run_id)
        .order_by(runs.c.id.desc())
        .limit(count)
    ).scalars()
    checks = [(row.id, RunDetails.from_json(row.details).holdout) for row in found]
    return [(i, c) for i, c in reversed(checks) if c is not None and i is not None]
