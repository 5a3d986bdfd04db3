"""`clvbot digest subscriptions`: every delivery, with its next time in its own zone."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine
from sqlalchemy import Engine
from typer.testing import CliRunner

from bot.cli import app
from clv.insights.scope import GroupScope
from clv.store.subscriptions import add_subscription
from clv.subscriptions import Schedule
from tests.bot.fake_slack import FakeSlack

runner = CliRunner()
NOW = datetime(2026, 10, 24, 12, tzinfo=UTC)  # the Saturday before Europe's clocks go back


def test_the_deliveries_are_listed_with_their_next_local_time(
    engine: Engine, cli_settings: FakeSlack
) -> None:
    add_subscription(engine, channel="C0BERLIN01", scope=GroupScope("tier", "Gold"), by="cli",
                     now=NOW, schedule=Schedule("weekly", 0, 9, 0, "Europe/Berlin"))  # fmt: skip
    add_subscription(engine, channel="C0LOSANGEL", scope=None, by="cli", now=NOW,
                     schedule=Schedule("monthly", 1, 9, 0, "America/Los_Angeles"))  # fmt: skip
    with time_machine.travel(NOW, tick=False):
        result = runner.invoke(app, ["digest", "subscriptions"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == [
        "default", "C0DIGEST01", "whole", "shop", "DIGEST_CRON", "`0", "9", "*", "*", "mon`",
        "in", "UTC;", "next", "Mon", "2026-10-26", "09:00", "UTC",
    ]  # fmt: skip
    assert lines[1].endswith(
        "weekly on Monday at 09:00 Europe/Berlin; next Mon 2026-10-26 09:00 CET"
    )
    assert lines[1].startswith("#1       C0BERLIN01   Gold tier")
    assert lines[2].endswith(
        "monthly on the 1st at 09:00 America/Los_Angeles; next Sun 2026-11-01 09:00 PST"
    )
    wrong = runner.invoke(app, ["digest", "subscribers"])
    assert wrong.exit_code != 0
    assert "the only word it takes is `subscriptions`" in wrong.output
