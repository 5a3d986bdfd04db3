"""The `clvbot` command line, run the way a user runs it."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from clv.settings import get_settings
from tests.helpers import ORDER_HEADER, write_csv
from tests.store.holders import hold, started_holders

runner = CliRunner()


@pytest.fixture
def blank_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'blank.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    return url


def test_every_command_has_help() -> None:
    for args in (
        ["--help"],
        ["db", "--help"],
        ["db", "upgrade", "--help"],
        ["import", "--help"],
        ["import", "orders", "--help"],
        ["import", "customers", "--help"],
        ["stats", "--help"],
        ["demo", "--help"],
        ["walkthrough", "--help"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output)
        assert "Usage" in result.output


def test_commands_refuse_an_unmigrated_store(blank_sqlite: str, tmp_path: Path) -> None:
    for args in (["stats"], ["import", "orders", str(tmp_path / "x.csv")]):
        result = runner.invoke(app, args)
        assert result.exit_code == 1
        assert "run `clvbot db upgrade`" in result.output
    upgraded = runner.invoke(app, ["db", "upgrade"])
    assert upgraded.exit_code == 0
    assert "schema upgraded: empty -> " in upgraded.output
    assert "schema is current" in runner.invoke(app, ["db", "upgrade"]).output
    assert runner.invoke(app, ["stats"]).exit_code == 0


def test_import_and_stats(env_settings: str, tmp_path: Path) -> None:
    rows = [
        ["o1", "c1", "2024-01-05", "10.00"],
        ["o2", "c2", "2024-02-01", "oops"],
        ["o3", "c2", "2024-03-01", "-2.50"],
    ]
    path = write_csv(tmp_path / "orders.csv", ORDER_HEADER, rows)
    result = runner.invoke(app, ["import", "orders", str(path)])
    assert result.exit_code == 3  # some rows were rejected
    assert "orders.csv:3: amount: not a number: 'oops'" in result.output
    assert "read 3 · imported 2 · updated 0 · unchanged 0 · rejected 1" in result.output
    assert "orders.rejects.csv" in result.output

    stats = runner.invoke(app, ["stats", "--json"])
    assert stats.exit_code == 0
    data = json.loads(stats.output, parse_float=Decimal)
    assert data["customers"] == 2
    assert data["orders"] == 2
    assert data["refunds"] == 1
    assert data["revenue"] == Decimal("7.50")  # a number in major units, exactly
    assert (data["first_order"], data["last_order"]) == ("2024-01-05", "2024-03-01")


def test_file_errors_are_one_clear_line(env_settings: str, tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("")
    result = runner.invoke(app, ["import", "orders", str(path)])
    assert result.exit_code == 1
    assert "the file is empty" in result.output
    assert "Traceback" not in result.output


def test_strict_reports_the_row_and_imports_nothing(env_settings: str, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "o.csv",
        ORDER_HEADER,
        [["o1", "c1", "2024-01-05", "1"], ["o2", "", "2024-01-05", "1"]],
    )
    result = runner.invoke(app, ["import", "orders", "--strict", str(path)])
    assert result.exit_code == 1
    assert (
        "o.csv:3: customer_id: missing customer (--strict: nothing was imported)" in result.output
    )
    assert json.loads(runner.invoke(app, ["stats", "--json"]).output)["orders"] == 0


def test_bad_setting_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIMEZONE", "Mars/Olympus")
    get_settings.cache_clear()
    result = runner.invoke(app, ["stats"])
    get_settings.cache_clear()
    assert result.exit_code == 1
    assert "TIMEZONE" in result.output
    assert "unknown time zone 'Mars/Olympus'" in result.output


def test_walkthrough_imports_scores_and_shows_the_cdnow_sample(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["walkthrough"])
    assert result.exit_code == 0, result.output
    assert "customers  2,357" in result.output
    assert "orders     6,919" in result.output
    assert "dates      1997-01-01 to 1998-06-30" in result.output
    assert "scored 2,357 customers as of 1998-06-30 with mbgnbd and 12 weeks of backfill" in (
        result.output
    )
    assert "Champions (segment): R 5 and F 4–5" in result.output
    assert "value at stake" in result.output
    assert (tmp_path / "clvbot-walkthrough.db").exists()
    assert not (tmp_path / "clvbot-demo.db").exists()  # the demo's store is the demo's


def test_walkthrough_and_demo_default_to_files_of_their_own() -> None:
    walkthrough = runner.invoke(app, ["walkthrough", "--help"], terminal_width=200).output
    demo = runner.invoke(app, ["demo", "--help"], terminal_width=200).output

    assert "[default: clvbot-walkthrough.db]" in walkthrough
    assert "[default: clvbot-demo.db]" in demo


def test_walkthrough_refuses_a_store_another_clvbot_process_has_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = tmp_path / "clvbot-walkthrough.db"
    store.write_bytes(b"another process's store")
    with started_holders() as holders:
        assert hold(holders, "use", store).said == "ready"

        result = runner.invoke(app, ["walkthrough"])

    assert result.exit_code == 1
    assert (
        "clvbot-walkthrough.db is in use by another clvbot process: stop it first" in result.output
    )
    assert store.read_bytes() == b"another process's store"
