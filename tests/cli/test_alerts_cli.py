"""`clvbot score` evaluates the alert rules when ALERTS_CHANNEL is set; `clvbot alerts`
lists them and mutes a rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from clv.datasets import write_cdnow_orders_csv
from clv.settings import get_settings

runner = CliRunner()


def test_score_records_alerts_and_alerts_lists_and_mutes(
    env_settings: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALERTS_CHANNEL", "C0ALERTS")
    monkeypatch.setenv("ALERT_TIERS", "Platinum,Gold,Silver")
    get_settings.cache_clear()
    path = write_cdnow_orders_csv(tmp_path / "cdnow.csv")
    assert runner.invoke(app, ["import", "orders", str(path)]).exit_code == 0
    scored = runner.invoke(app, ["score", "--as-of", "1997-09-30", "--model", "bgnbd"])
    assert scored.exit_code == 0, scored.output
    assert "alerts: " in scored.output  # no Slack token here: recorded for the alerts job
    again = runner.invoke(app, ["score", "--as-of", "1997-09-30", "--model", "bgnbd"])
    assert ", 0 new" in again.output  # the same run day: nothing new
    listed = json.loads(runner.invoke(app, ["alerts", "list", "--json"]).output)
    assert {a["status"] for a in listed["recent"]} == {"pending"}
    assert "vip_dormant" in {a["rule"] for a in listed["recent"]}
    muted = runner.invoke(app, ["alerts", "mute", "vip_dormant", "--days", "3"])
    assert muted.exit_code == 0
    assert "muted vip_dormant until" in muted.output
    assert (
        "vip_dormant"
        in json.loads(runner.invoke(app, ["alerts", "list", "--json"]).output)["muted"]
    )
    bad = runner.invoke(app, ["alerts", "mute", "nope"])
    assert bad.exit_code != 0
    assert "there is no alert rule 'nope'" in bad.output
    posted = runner.invoke(app, ["alerts", "post"])
    assert posted.exit_code == 2
    assert "SLACK_BOT_TOKEN is not set" in posted.output
