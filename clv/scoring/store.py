"""Writing a scoring run: the run row with its aggregates, customer scores, weekly history.

A run's row is inserted `running` in a transaction of its own when the run starts, so that a
run whose process dies leaves a trace; it turns `complete` in the transaction that writes the
results, or `failed`. Readers only ever look at complete runs.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Connection, Date, Engine, delete, func, insert, literal, select, update

from clv.scoring.details import RunDetails
from clv.scoring.partitions import partitioned, write_partition
from clv.scoring.score_rows import score_columns
from clv.scoring.stage import copy_stage
from clv.scoring.stages import StageClock
from clv.scoring.summary import CustomerSummary
from clv.segments.classify import Classes
from clv.store.driver import (
    deferred_indexes,
    insert_rows,
    is_sqlite,
)
from clv.store.tables import (
    customer_scores_table,
    customer_weekly_table,
    run_group_stats_table,
    run_reports_table,
    scoring_runs_table,
)

runs = scoring_runs_table


def json_safe(value: Any) -> Any:
    """`value` with NaN and infinities replaced by None: JSON (and PostgreSQL) has no NaN."""
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    if isinstance(value, float | np.floating):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def start_run(
    engine: Engine, *, as_of: date, week_end: date, model: str, kind: str, started_at: datetime
) -> int:
    """Record a run as `running` (committed at once: readers skip it); returns its id."""
    with engine.begin() as connection:
        run_id = connection.execute(
            insert(runs).returning(runs.c.id).values(
                as_of=as_of, week_end=week_end, status="running", kind=kind, model=model,
                started_at=started_at, details={},
            )
        ).scalar_one()  # fmt: skip
    return int(run_id)


def record_failure(engine: Engine, *, run_id: int, reason: str) -> None:
    """Turn the running run `failed`, saying why."""
    with engine.begin() as connection:
        connection.execute(
            update(runs)
            .where(runs.c.id == run_id, runs.c.status == "running")
            .values(status="failed", finished_at=datetime.now(UTC), error=reason[:2000])
        )


def record_interrupted(engine: Engine) -> int:
    """Mark every `running` run `interrupted`; returns how many. Only for a caller holding the
    scoring lock: then no run is under way, and a `running` row is one whose process died."""
    found = datetime.now(UTC)
    error = (
        "interrupted: the process running it ended before it finished (found by the next "
        f"run, at {found:%Y-%m-%d %H:%M:%S} UTC)"
    )
    with engine.begin() as connection:
        result = connection.execute(
            update(runs)
            .where(runs.c.status == "running")
            .values(status="interrupted", finished_at=found, error=error)
        )
    return int(result.rowcount)


def running_run(engine: Engine) -> tuple[datetime, date] | None:
    """(started_at, as_of) of the newest `running` run, if any."""
    with engine.connect() as connection:
        row = connection.execute(
            select(runs.c.started_at, runs.c.as_of)
            .where(runs.c.status == "running")
            .order_by(runs.c.id.desc())
            .limit(1)
        ).first()
    return None if row is None else (row.started_at, row.as_of)


def write_run_rows(
    connection: Connection,
    *,
    run_id: int,
    week_end: date,
    summary: CustomerSummary,
    values: dict[str, Any],
    details: RunDetails,
    revenue_week_minor: int,
    write_customers: bool,
    history_weeks: int,
    reports: dict[str, dict[str, Any]],
    model: str | None = None,
    clock: StageClock | None = None,
) -> None:
    """Write the results of running run `run_id` and mark it complete, inside the caller's
    transaction; `model` is the purchase model it predicted with (None: as recorded). The
    stages' times of `clock`, these writes' included, go into the run's details. On SQLite
    a full run's customer scores are read from the stage attached to the connection
    (clv.scoring.stage.staged_scores)."""
    clock = clock or StageClock()
    with clock.stage("aggregates"):
        _complete_run(connection, run_id, summary, values, details, revenue_week_minor, model)
        connection.execute(
            insert(run_group_stats_table),
            _group_stats(run_id, values["classes"], values["predicted_clv"]),
        )
        if reports:
            connection.execute(
                insert(run_reports_table),
                [{"run_id": run_id, "name": name, "payload": json_safe(payload)}
                 for name, payload in reports.items()],
            )  # fmt: skip
    with clock.stage("weekly_history"):
        connection.execute(
            delete(customer_weekly_table).where(customer_weekly_table.c.week_end == week_end)
        )
    if write_customers:
        # only the newest full run keeps per-customer scores; inside this transaction readers
        # still see the previous run's rows until it commits
        _replace_customer_scores(connection, run_id, summary, values, clock)
        with clock.stage("weekly_history"):
            _copy_weekly(connection, run_id, week_end)
    else:
        with clock.stage("weekly_history"):
            _write_weekly(connection, week_end, summary, values)
    with clock.stage("prune"):
        _prune_history(connection, history_weeks)
    timed = replace(details, stage_seconds=clock.seconds)
    connection.execute(
        update(runs).where(runs.c.id == run_id).values(details=json_safe(timed.to_json()))
    )


def _replace_customer_scores(
    connection: Connection,
    run_id: int,
    summary: CustomerSummary,
    values: dict[str, Any],
    clock: StageClock,
) -> None:
    """The run's customer scores in place of the previous run's for readers: on PostgreSQL as
    the run's partition (clv.scoring.partitions), else (SQLite) copied from the run's stage in
    place of the previous rows (the stage `scores_indexes` is then dropping the secondary
    indexes, deleting the old rows and building the indexes again)."""
    if partitioned(connection):
        write_partition(connection, run_id, score_columns(run_id, summary, values), clock)
        return
    start = time.perf_counter()
    with deferred_indexes(
        connection, customer_scores_table, expected_rows=len(summary), replace=True
    ):
        began = time.perf_counter()
        copy_stage(connection)  # written column-wise before the transaction
        wrote = time.perf_counter() - began
    clock.add("scores_write", wrote)
    clock.add("scores_indexes", time.perf_counter() - start - wrote)


def _complete_run(
    connection: Connection,
    run_id: int,
    summary: CustomerSummary,
    values: dict[str, Any],
    details: RunDetails,
    revenue_week_minor: int,
    model: str | None,
) -> None:
    """Mark the run complete with its aggregates (fails when it is no longer running)."""
    classes: Classes = values["classes"]
    buyers = summary.buyers
    clv = values["predicted_clv"]
    stored_details = json_safe(details.to_json())
    completed = connection.execute(
        update(runs).where(runs.c.id == run_id, runs.c.status == "running").values(
            status="complete", finished_at=datetime.now(UTC),
            n_customers=len(summary), n_buyers=int(buyers.sum()),
            n_active=int((buyers & ~classes.dormant).sum()), n_dormant=int(classes.dormant.sum()),
            customer_equity=float(clv[buyers].sum()),
            mean_clv=float(clv[buyers].mean()) if buyers.any() else 0.0,
            revenue_week_minor=revenue_week_minor, details=stored_details,
            **({} if model is None else {"model": model}),
        )
    )  # fmt: skip
    if completed.rowcount != 1:
        raise RuntimeError(f"run {run_id} is no longer recorded as running")


def _prune_history(connection: Connection, history_weeks: int) -> None:
    """Keep the newest `history_weeks` weeks of per-customer history."""
    newest = connection.execute(select(func.max(customer_weekly_table.c.week_end))).scalar_one()
    if isinstance(newest, str):
        newest = date.fromisoformat(newest)
    if newest is not None:
        oldest_kept = newest - timedelta(weeks=history_weeks - 1)
        connection.execute(
            delete(customer_weekly_table).where(customer_weekly_table.c.week_end < oldest_kept)
        )


def _group_stats(run_id: int, classes: Classes, clv: np.ndarray[Any, Any]) -> list[dict[str, Any]]:
    rows = []
    for dimension, labels in (("segment", classes.segment), ("tier", classes.tier),
                              ("stage", classes.stage)):  # fmt: skip
        for name in sorted({label for label in labels.tolist() if label is not None}):
            members = labels == name
            rows.append({
                "run_id": run_id, "dimension": dimension, "name": name,
                "customers": int(members.sum()), "clv_sum": float(clv[members].sum()),
                "clv_median": float(np.median(clv[members])),
            })  # fmt: skip
    return rows


def _write_weekly(
    connection: Connection, week_end: date, summary: CustomerSummary, values: dict[str, Any]
) -> None:
    classes: Classes = values["classes"]
    buyers = summary.buyers
    n = int(buyers.sum())
    week = week_end.isoformat() if is_sqlite(connection) else week_end
    columns: dict[str, list[Any]] = {
        "week_end": [week] * n,
        "customer_id": summary.customer_id[buyers].tolist(),
        "predicted_clv": values["predicted_clv"][buyers].tolist(),
        "segment": classes.segment[buyers].tolist(),
        "dormant": classes.dormant[buyers].tolist(),
    }
    insert_rows(connection, "customer_weekly", list(columns), zip(*columns.values(), strict=True))


def _copy_weekly(connection: Connection, run_id: int, week_end: date) -> None:
    """The week's history from the run's customer scores, without a round trip through Python."""
    scores, weekly = customer_scores_table, customer_weekly_table
    buyers = (
        select(
            literal(week_end, Date()),
            scores.c.customer_id,
            scores.c.predicted_clv,
            scores.c.segment,
            scores.c.dormant,
        )
        .where(scores.c.run_id == run_id, scores.c.first_order.is_not(None))
        # in key order: read through the primary key and append to the history's indexes,
        # not a random walk through both (SQLite would pick the run_id-prefixed value index)
        .order_by(scores.c.customer_id)
    )
    columns = ["week_end", "customer_id", "predicted_clv", "segment", "dormant"]
    connection.execute(insert(weekly).from_select(columns, buyers))
