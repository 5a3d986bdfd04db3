"""`clvbot segments` prints, under its table, every group's rule in words and the thresholds."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from clv.datasets import write_cdnow_orders_csv
from clv.segments.definitions import rule_lines
from tests.helpers import built_once

runner = CliRunner()


@pytest.fixture
def scored(env_settings: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The CDNOW sample scored with the thresholds set (once a session on each store: the other
    tests get a copy of that store)."""
    monkeypatch.setenv("DORMANT_P_ALIVE", "0.35")
    monkeypatch.setenv("DORMANT_MAX_DAYS", "240")

    def build() -> None:
        path = write_cdnow_orders_csv(tmp_path / "cdnow.csv")
        assert runner.invoke(app, ["import", "orders", str(path)]).exit_code == 0
        result = runner.invoke(app, ["score", "--as-of", "1998-06-30"])
        assert result.exit_code == 0, result.output

    built_once(env_settings, tmp_path, ("segments command: CDNOW, 0.35, 240",), build)
    return env_settings


@pytest.mark.parametrize("by", ["segment", "tier", "stage"])
def test_segments_prints_every_rule_in_words_with_the_configured_thresholds(
    scored: str, by: str
) -> None:
    result = runner.invoke(app, ["segments", "--by", by])
    assert result.exit_code == 0, result.output
    rules = result.output.split("\nrules:\n", 1)[1].splitlines()
    assert rules == [
        f"  {line}" for line in rule_lines(by, dormant_p_alive=0.35, dormant_max_days=240)
    ]
    if by == "stage":
        assert any("P(alive) < 0.35 (DORMANT_P_ALIVE)" in line for line in rules)
        assert any("more than 240 days (DORMANT_MAX_DAYS)" in line for line in rules)
        assert any("loyal: repeat buyer with F 5" in line and "≥ 0.70" in line for line in rules)
    if by == "segment":
        assert any(line.startswith("  F: 1 = bought on one day only") for line in rules)
