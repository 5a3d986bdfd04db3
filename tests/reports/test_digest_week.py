"""The digest's week: the last complete week on or before both today and the newest scores, the
same for the preview, --send, the sandbox button and the scheduler; nothing stored or shown
ends after its data."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session
from typer.testing import CliRunner

from bot.cli import app
from clv.insights import weekly_runs
from clv.scoring.pipeline import score
from clv.settings import Settings
from clv.store.tables import customer_weekly_table, scoring_runs_table
from reports.jobs import JobContext, run_digest
from tests.bot.fake_slack import FakeSlack
from tests.reports.conftest import CHANNEL, TUESDAY, build_small_shop

runner = CliRunner()
SUNDAY = date(2024, 6, 30)  # the Sunday before TUESDAY


@pytest.fixture
def tuesday_shop(engine: Engine, settings: Settings, tmp_path: Path) -> Engine:
    """Scored as of Tuesday 2 Jul 2024 with three backfilled weeks, like `make demo`."""
    build_small_shop(engine, settings, tmp_path, as_of=TUESDAY, backfill=3)
    return engine


@pytest.fixture
def cli_env(tuesday_shop: Engine, cli_settings: FakeSlack) -> FakeSlack:
    return cli_settings


def test_preview_send_and_the_scheduler_name_one_week_and_nothing_stored_ends_after_its_data(
    cli_env: FakeSlack, tuesday_shop: Engine, digest_settings: Settings
) -> None:
    preview = runner.invoke(app, ["digest", "--preview"])
    assert preview.exit_code == 0, preview.output
    assert preview.output.splitlines()[0] == "Weekly CLV digest, week ending Sun 30 Jun 2024"
    sent = runner.invoke(app, ["digest", "--send"])
    assert sent.exit_code == 0, sent.output
    (message,) = cli_env.channel_posts(CHANNEL)
    assert message["metadata"]["event_payload"]["week_end"] == "2024-06-30"
    blocks = (
        json.loads(message["blocks"]) if isinstance(message["blocks"], str) else message["blocks"]
    )
    assert blocks[0]["text"]["text"] == "Weekly CLV digest · week ending Sun 30 Jun 2024"
    # the scheduler's job (and the sandbox's "Post this week's digest now", which runs it) on
    # the Tuesday: the same week, already posted
    tuesday_morning = datetime(2024, 7, 2, 9, 0, tzinfo=UTC)
    job = run_digest(JobContext(tuesday_shop, digest_settings, clock=lambda: tuesday_morning))
    assert job is not None
    assert (job.status, job.week_end) == ("already_posted", SUNDAY)
    assert len(cli_env.channel_posts(CHANNEL)) == 1
    # nothing stored ends after its data: the Tuesday run is stored as of its own day
    with tuesday_shop.connect() as connection:
        runs = connection.execute(
            select(scoring_runs_table.c.as_of, scoring_runs_table.c.week_end)
        ).all()
        newest_week = connection.execute(
            select(customer_weekly_table.c.week_end).order_by(
                customer_weekly_table.c.week_end.desc()
            )
        ).first()
    assert [(r.as_of, r.week_end) for r in runs if r.week_end > r.as_of] == []
    assert newest_week is not None
    assert newest_week[0] <= TUESDAY
    card = runner.invoke(app, ["customer", "2", "--json"])
    assert card.exit_code == 0, card.output
    history = json.loads(card.output)["history"]
    assert max(date.fromisoformat(h["week_end"]) for h in history) <= TUESDAY


def test_runs_within_one_week_keep_one_history_point_on_the_newest_day_scored(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    # the nightly re-score: as of Sunday, then Monday, Tuesday, Wednesday of the next week
    build_small_shop(engine, settings, tmp_path, as_of=SUNDAY, backfill=1)
    for day in (1, 2, 3):
        score(engine, settings, as_of=date(2024, 7, day), model="mbgnbd")
    with Session(engine) as session:
        points = [(r.week_end, r.as_of) for r in weekly_runs(session)]
    with engine.connect() as connection:
        keys = (
            connection.execute(
                select(customer_weekly_table.c.week_end).distinct().order_by("week_end")
            )
            .scalars()
            .all()
        )
    wednesday = date(2024, 7, 3)
    assert points == [(date(2024, 6, 23),) * 2, (SUNDAY, SUNDAY), (wednesday, wednesday)]
    assert keys == [date(2024, 6, 23), SUNDAY, wednesday]
    # the next Sunday's run completes the week: one point, on its Sunday
    score(engine, settings, as_of=date(2024, 7, 7), model="mbgnbd")
    with Session(engine) as session:
        points = [(r.week_end, r.as_of) for r in weekly_runs(session)]
    assert points[-2:] == [(SUNDAY, SUNDAY), (date(2024, 7, 7),) * 2]
