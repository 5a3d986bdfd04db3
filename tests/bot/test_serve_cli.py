"""`clvbot serve` refuses to start without its secrets or on an un-migrated store."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from clv.settings import get_settings

runner = CliRunner()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()


@pytest.mark.usefixtures("clean_env")
def test_missing_secrets_stop_serve(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 1
    assert "missing setting(s) SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN" in result.output
    get_settings.cache_clear()


@pytest.mark.usefixtures("clean_env")
def test_unmigrated_store_stops_serve(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-never-printed")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "never-printed-either")
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 1
    assert "clvbot db upgrade" in result.output
    assert "never-printed" not in result.output
    get_settings.cache_clear()
