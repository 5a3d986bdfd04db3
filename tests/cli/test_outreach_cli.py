"""`clvbot outreach report`: the comparison with the control group, as text and JSON."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from bot.cli import app

runner = CliRunner()


def test_outreach_report_before_any_list_says_it_is_too_early(env_settings: str) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    text = runner.invoke(app, ["outreach", "report"])
    assert text.exit_code == 0, text.output
    assert "too few customers yet to tell: 0 contacted and 0 held out" in text.output
    assert "no list week in the window yet" in text.output
    data = json.loads(runner.invoke(app, ["outreach", "report", "--json"]).output)
    overall = data["overall"]["contacted_vs_held_out"]
    assert overall["enough"] is False
    assert overall["min_group"] == 30
    assert data["weeks"] == []
