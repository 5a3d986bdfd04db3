"""One holdout check per run, said in the same words by `/clv model`, `clvbot model`, its
--json, the digest preview and the posted digest."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from bot.cli import app
from bot.slack.render import render_model
from clv.insights import model_status
from clv.settings import Settings, get_settings
from clv.store import read_snapshot
from reports.jobs import JobContext, run_digest
from tests.bot.fake_slack import FakeSlack
from tests.reports.conftest import CHANNEL, TUESDAY, build_small_shop

runner = CliRunner()


@pytest.fixture
def cli_env(
    engine: Engine,
    settings: Settings,
    tmp_path: Path,
    database_url: str,
    fake_slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[FakeSlack]:
    build_small_shop(engine, settings, tmp_path, as_of=TUESDAY, backfill=3)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("TIMEZONE", "UTC")
    get_settings.cache_clear()
    yield fake_slack
    get_settings.cache_clear()


def _holdout_line(text: str) -> str:
    """The line of `text` that states the holdout check's result."""
    found = [line for line in text.splitlines() if "predicted" in line and "actual" in line]
    return found[0].strip() if found else f"(no holdout line in {text!r})"


def _slack_text(message: dict[str, object]) -> str:
    return json.dumps(message, ensure_ascii=False).replace("\\n", "\n")


def test_model_and_digest_state_the_current_runs_holdout_check_in_the_same_words(
    cli_env: FakeSlack, engine: Engine, digest_settings: Settings
) -> None:
    data = json.loads(runner.invoke(app, ["model", "--json"]).output)
    check = data["holdout"]
    predicted, actual = check["predicted_repeat_purchases"], check["actual_repeat_purchases"]
    direction = "under" if predicted < actual else "over"
    sentence = (
        f"predicted {predicted:,.0f} repeat purchases, actual {actual:,.0f}: "
        f"the model {direction}-predicted by {abs(predicted - actual) / actual:.1%}"
    )
    with read_snapshot(engine) as session:
        slack = render_model(model_status(session), currency="USD")
    tuesday_morning = datetime(2024, 7, 2, 9, 0, tzinfo=UTC)
    posted = run_digest(JobContext(engine, digest_settings, clock=lambda: tuesday_morning))
    assert posted is not None
    assert posted.status == "posted", posted.detail
    (message,) = cli_env.channel_posts(CHANNEL)
    lines = {
        "clvbot model": _holdout_line(runner.invoke(app, ["model"]).output),
        "/clv model": _holdout_line(_slack_text(slack)),
        "digest --preview": _holdout_line(runner.invoke(app, ["digest", "--preview"]).output),
        "posted digest": _holdout_line(_slack_text(message)),
    }
    assert {surface: sentence in line for surface, line in lines.items()} == dict.fromkeys(
        lines, True
    ), lines
