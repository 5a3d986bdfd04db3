"""What readers see while a scoring run is under way, or after one died: the newest complete
full run, never a backfill (whose customers' scores are not stored), never a half-written run."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, Row
from sqlmodel import Session
from typer.testing import CliRunner

from bot.cli import app
from clv.insights import current_run, model_status, weekly_trend
from clv.scoring.pipeline import score
from clv.settings import Settings
from clv.store import make_engine
from tests.helpers import view_of
from tests.scoring.runs import kill_when, pause_at_begin_once, run_rows, start_clvbot
from tests.scoring.stores import import_order_rows, shop_rows, steady_rows


@pytest.mark.faults
def test_readers_see_the_previous_full_run_while_a_backfill_runs(
    engine: Engine, database_url: str, settings: Settings, tmp_path: Path
) -> None:
    rows = steady_rows(40, 120, start=date(2024, 1, 1), every_days=3)
    import_order_rows(engine, settings, tmp_path, rows)
    (full,) = score(engine, settings, as_of=date(2024, 12, 31))
    scorer = make_engine(database_url)  # the backfill's own engine carries the pause

    def a_backfill_run_committed() -> bool:
        return any(r.id > full.run_id and r.status == "complete" for r in run_rows(engine))

    # the backfill stops as it begins its next transaction after its first run committed
    pause = pause_at_begin_once(scorer, a_backfill_run_committed)
    with ThreadPoolExecutor(1) as pool:
        backfill = pool.submit(score, scorer, settings, as_of=date(2025, 1, 31), backfill=3)
        try:
            pause.wait()
            with Session(engine) as session:
                during = current_run(session)
                view = view_of(session, "c1")
                status = model_status(session).as_dict()
                trend = [week.run.as_of.isoformat() for week in weekly_trend(session)]
        finally:
            pause.resume()
        results = backfill.result(60)
    scorer.dispose()
    assert (during.id, during.as_of) == (full.run_id, date(2024, 12, 31))
    assert view.as_of == date(2024, 12, 31)
    assert status["as_of"] == "2024-12-31"
    assert trend == ["2024-12-31", "2025-01-12"]  # the weekly history has the backfilled week
    with Session(engine) as session:
        after = current_run(session)
        assert view_of(session, "c1").as_of == date(2025, 1, 31)
    assert (after.id, after.as_of) == (results[-1].run_id, date(2025, 1, 31))


@pytest.mark.faults
def test_a_killed_backfill_leaves_readers_on_the_previous_full_run_and_is_recorded_interrupted(
    engine: Engine, database_url: str, settings: Settings, tmp_path: Path, env_settings: str
) -> None:
    rows = shop_rows(2000, start=date(2023, 1, 1), days=540)
    import_order_rows(engine, settings, tmp_path, rows)
    (full,) = score(engine, settings, as_of=date(2024, 6, 30))

    def first_backfill_committed_and_next_started(runs: list[Row[Any]]) -> bool:
        later = [r for r in runs if r.id > full.run_id]
        return len(later) >= 2 and later[0].status == "complete"

    process = start_clvbot(
        database_url, tmp_path, "score", "--as-of", "2024-07-31", "--backfill", "3"
    )
    at_kill = kill_when(process, engine, first_backfill_committed_and_next_started)
    dead = at_kill[-1]
    with Session(engine) as session:
        assert current_run(session).id == full.run_id
        assert view_of(session, "c1").as_of == date(2024, 6, 30)
    shown = CliRunner().invoke(app, ["model"])  # `clvbot model`, here (env_settings)
    assert shown.exit_code == 0, shown.output
    assert "as of 2024-06-30" in shown.stdout
    assert "failed" not in shown.stdout

    # the next run (once the dead process's lock is gone) records what became of that run
    (again,) = score(engine, settings, as_of=date(2024, 7, 31), wait_seconds=30)
    after = {r.id: r for r in run_rows(engine)}
    assert after[dead.id].status == "interrupted"
    assert "interrupted" in after[dead.id].error
    assert [r.status for r in after.values() if r.status == "running"] == []
    assert after[at_kill[-2].id].status == "complete"  # the backfilled week is kept
    with Session(engine) as session:
        assert current_run(session).id == again.run_id
        assert model_status(session).failed_since is None
