"""One scoring run at a time per store: a second run is refused (or waits), records nothing, and
a killed run's lock goes with its process."""

from __future__ import annotations

import logging
import re
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session

from clv.insights import current_run, model_status
from clv.scoring.pipeline import RunResult, ScoringError, score
from clv.settings import Settings
from clv.store import make_engine
from clv.store.tables import scoring_runs_table
from reports.jobs import JobContext, configure, score_job
from tests.scoring.runs import (
    kill_when,
    pause_before_statement,
    run_clvbot,
    run_held_before,
    run_rows,
    start_clvbot,
)
from tests.scoring.stores import import_order_rows, shop_rows, steady_rows

AS_OF = date(2024, 12, 31)
IN_PROGRESS = re.compile(
    r"a scoring run is in progress since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(as of 2024-12-31\)"
)
# the first run stops inside its final write, after its weekly history was cleared and before
# it is written again: where two unguarded runs on PostgreSQL collide on customer_weekly_pkey
IN_THE_WRITE = "INSERT INTO customer_weekly"


def _store(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    rows = steady_rows(40, 120, start=date(2024, 1, 1), every_days=3)
    import_order_rows(engine, settings, tmp_path, rows)


def _attempt(engine: Engine, settings: Settings) -> list[RunResult] | ScoringError:
    try:
        return score(engine, settings, as_of=AS_OF)
    except ScoringError as exc:
        return exc


@pytest.mark.faults
def test_a_second_run_while_one_runs_is_refused_and_records_no_failure(
    engine: Engine, database_url: str, settings: Settings, tmp_path: Path
) -> None:
    _store(engine, settings, tmp_path)
    with run_held_before(database_url, settings, IN_THE_WRITE, as_of=AS_OF) as running:
        second = _attempt(engine, settings)
    (done,) = running.result(60)
    assert isinstance(second, ScoringError), second
    assert IN_PROGRESS.fullmatch(str(second)), str(second)
    assert [(r.id, r.status) for r in run_rows(engine)] == [(done.run_id, "complete")]
    with Session(engine) as session:
        assert model_status(session).failed_since is None


@pytest.mark.faults
def test_a_second_run_that_waits_runs_after_the_first(
    engine: Engine, database_url: str, settings: Settings, tmp_path: Path
) -> None:
    _store(engine, settings, tmp_path)
    with (
        ThreadPoolExecutor(1) as pool,
        run_held_before(database_url, settings, IN_THE_WRITE, as_of=AS_OF) as running,
    ):
        waiting = pool.submit(score, engine, settings, as_of=AS_OF, wait_seconds=60)
        time.sleep(1.0)  # long enough for the second run to be polling the lock
        assert not waiting.done()
    (one,), (two,) = running.result(60), waiting.result(60)
    runs = scoring_runs_table
    with Session(engine) as session:
        rows = session.execute(
            select(runs.c.id, runs.c.status, runs.c.started_at, runs.c.finished_at).order_by(
                runs.c.id
            )
        ).all()
        assert current_run(session).id == two.run_id
        assert model_status(session).failed_since is None
    assert [(r.id, r.status) for r in rows] == [(one.run_id, "complete"), (two.run_id, "complete")]
    assert rows[1].started_at >= rows[0].finished_at  # one after the other, not side by side


@pytest.mark.faults
def test_clvbot_score_while_a_run_is_in_progress_exits_1_saying_since_when(
    engine: Engine, database_url: str, settings: Settings, tmp_path: Path
) -> None:
    _store(engine, settings, tmp_path)
    first = make_engine(database_url)
    pause = pause_before_statement(first, IN_THE_WRITE)
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(score, first, settings, as_of=AS_OF)
        try:
            pause.wait()
            refused = run_clvbot(
                database_url, tmp_path, "score", "--as-of", "2024-12-31", "--wait", "0.5"
            )
        finally:
            pause.resume()
        running.result(60)
    first.dispose()
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert refused.stderr.startswith("error: a scoring run is in progress since ")
    assert IN_PROGRESS.search(refused.stderr), refused.stderr
    assert refused.stderr.rstrip().endswith("; waited 0.5 s")
    assert [r.status for r in run_rows(engine)] == ["complete"]


@pytest.mark.faults
def test_a_killed_run_releases_the_lock_and_the_next_run_proceeds(
    engine: Engine, database_url: str, settings: Settings, tmp_path: Path
) -> None:
    rows = shop_rows(2000, start=date(2023, 1, 1), days=540)
    import_order_rows(engine, settings, tmp_path, rows)
    process = start_clvbot(
        database_url, tmp_path, "score", "--as-of", "2024-06-30", "--backfill", "3"
    )
    kill_when(process, engine, lambda runs: any(r.status == "running" for r in runs))
    # PostgreSQL drops a dead client's session (and its advisory lock) a moment after the
    # kill; the OS drops a dead process's file lock at once
    wait = 0.0 if engine.dialect.name == "sqlite" else 10.0
    results = score(engine, settings, as_of=date(2024, 6, 30), wait_seconds=wait)
    statuses = [r.status for r in run_rows(engine)]
    assert statuses[-1] == "complete"
    assert "interrupted" in statuses
    assert "running" not in statuses
    assert "failed" not in statuses
    with Session(engine) as session:
        assert current_run(session).id == results[-1].run_id


@pytest.mark.faults
def test_score_job_logs_that_it_skipped_while_a_run_is_in_progress(
    engine: Engine,
    database_url: str,
    settings: Settings,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _store(engine, settings, tmp_path)
    first = make_engine(database_url)
    pause = pause_before_statement(first, IN_THE_WRITE)
    configure(JobContext(engine, settings, clock=lambda: datetime(2025, 1, 1, 2, tzinfo=UTC)))
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(score, first, settings, as_of=AS_OF)
        try:
            pause.wait()
            with caplog.at_level(logging.INFO, logger="clvbot.jobs"):
                score_job()
        finally:
            pause.resume()
        running.result(60)
    first.dispose()
    (record,) = [r for r in caplog.records if r.name == "clvbot.jobs"]
    assert record.levelno == logging.INFO
    assert record.getMessage().startswith("scheduled scoring skipped: a scoring run is in progress")
    assert [r.status for r in run_rows(engine)] == ["complete"]
