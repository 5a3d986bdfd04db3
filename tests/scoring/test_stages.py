"""A scoring run says how long each of its stages took: in its log and in its details."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from clv.scoring.details import RunDetails
from clv.scoring.pipeline import score
from clv.scoring.stages import StageClock
from clv.settings import Settings
from clv.store.tables import scoring_runs_table
from tests.scoring.stores import import_order_rows, shop_rows

# every stage of a full run, writes included (the commit comes after the details are stored)
FULL_RUN_STAGES = {
    "order_span", "customers_read", "summary_read", "summary", "fit", "predict", "classify",
    "changes", "reports", "week_point", "aggregates", "weekly_history", "scores_write",
    "scores_indexes", "prune",
}  # fmt: skip


def test_a_full_run_keeps_every_stage_seconds_in_its_details_and_logs_them(
    engine: Engine, settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import_order_rows(engine, settings, tmp_path, shop_rows(60, start=date(2024, 1, 1), days=300))
    with caplog.at_level(logging.INFO, logger="clvbot.scoring"):
        (result,) = score(engine, settings, as_of=date(2024, 10, 27), model="bgnbd")
    with engine.connect() as connection:
        stored = connection.execute(
            select(scoring_runs_table.c.details).where(scoring_runs_table.c.id == result.run_id)
        ).scalar_one()
    seconds = RunDetails.from_json(stored).stage_seconds
    assert set(seconds) == FULL_RUN_STAGES
    assert all(value >= 0 for value in seconds.values())
    assert sum(seconds.values()) <= result.seconds
    logged = {r.getMessage().split()[1] for r in caplog.records if r.msg.startswith("stage ")}
    assert logged == FULL_RUN_STAGES | {"commit", "old_scores_dropped"}


def test_a_stage_entered_twice_adds_up() -> None:
    clock = StageClock()
    clock.add("weekly_history", 0.25)
    clock.add("fit", 1.0)
    clock.add("weekly_history", 0.5)
    assert clock.seconds == {"weekly_history": 0.75, "fit": 1.0}
    assert list(clock.seconds) == ["weekly_history", "fit"]
