"""`clvbot digest`: the preview writes what would be posted; --send posts once, --force again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from bot.cli import app
from tests.bot.fake_slack import FakeSlack
from tests.reports.conftest import CHANNEL

runner = CliRunner()


@pytest.fixture
def cli_env(shop: Engine, cli_settings: FakeSlack) -> FakeSlack:
    return cli_settings


def test_preview_prints_the_text_and_writes_blocks_and_chart(
    cli_env: FakeSlack, tmp_path: Path
) -> None:
    result = runner.invoke(app, ["digest", "--preview", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "Weekly CLV digest, week ending Sun 30 Jun 2024" in result.output
    assert "Re-engagement list" in result.output
    message = json.loads((tmp_path / "digest.json").read_text())
    assert message["blocks"][0]["type"] == "header"
    assert (tmp_path / "chart.png").read_bytes().startswith(b"\x89PNG")
    assert (tmp_path / "digest.txt").read_text() in result.output
    assert cli_env.channel_posts(CHANNEL) == []  # a preview posts nothing


def test_send_posts_once_and_force_posts_again(cli_env: FakeSlack) -> None:
    first = runner.invoke(app, ["digest", "--send"])
    assert first.exit_code == 0, first.output
    assert first.output.startswith("posted:")
    again = runner.invoke(app, ["digest", "--send"])
    assert again.exit_code == 0, again.output
    assert again.output.startswith("already_posted:")
    assert "--force" in again.output
    assert len(cli_env.channel_posts(CHANNEL)) == 1
    forced = runner.invoke(app, ["digest", "--send", "--force"])
    assert forced.output.startswith("posted:")
    assert len(cli_env.channel_posts(CHANNEL)) == 2


def test_digest_needs_a_mode(cli_env: FakeSlack) -> None:
    result = runner.invoke(app, ["digest"])
    assert result.exit_code == 1
    assert "--preview" in result.output
