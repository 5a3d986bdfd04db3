"""The read commands over a scored CDNOW store, as a user runs them."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli import app
from clv.datasets import write_cdnow_orders_csv
from clv.store import make_engine
from clv.store.tables import customer_scores_table, customers_table
from tests.helpers import built_once

runner = CliRunner()


@pytest.fixture
def scored(env_settings: str, tmp_path: Path) -> str:
    """The CDNOW sample imported and scored with `clvbot` (once a session on each store: the
    other tests get a copy of that store)."""

    def build() -> None:
        path = write_cdnow_orders_csv(tmp_path / "cdnow.csv")
        assert runner.invoke(app, ["import", "orders", str(path)]).exit_code == 0
        result = runner.invoke(
            app, ["score", "--as-of", "1997-09-30", "--model", "bgnbd", "--backfill", "2"]
        )
        assert result.exit_code == 0, result.output
        assert "scored 2,357 customers as of 1997-09-30 with bgnbd" in result.output

    built_once(env_settings, tmp_path, ("cli read commands: CDNOW scored",), build)
    return env_settings


def _json(args: list[str]) -> object:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_model_json_has_the_documented_keys(scored: str) -> None:
    data = _json(["model"])
    assert isinstance(data, dict)
    assert data["as_of"] == "1997-09-30"
    assert data["time_unit"] == "days"
    tm = data["transactions_model"]
    assert {"name", "params", "log_likelihood", "n_customers"} <= tm.keys()
    assert tm["name"] == "BG/NBD"
    assert round(tm["params"]["alpha"] / 7, 3) == 4.414  # Fader, Hardie & Lee (2005), weeks
    assert {"name", "params"} <= data["spend_model"].keys()
    assert data["holdout"]["actual_repeat_purchases"] == 1882


def test_customer_by_id_and_unknown_customer(scored: str) -> None:
    data = _json(["customer", "1"])
    assert isinstance(data, dict)
    assert data["customer_id"] == "1"
    assert data["orders"] == 3  # purchases up to 1997-09-30
    assert len(data["history"]) == 3  # the run and two backfilled weeks
    missing = runner.invoke(app, ["customer", "nobody@example.com"])
    assert missing.exit_code == 1
    assert "no customer with id or email 'nobody@example.com'" in missing.output


def test_segment_commands(scored: str) -> None:
    group = _json(["segment", "CANT lose them"])
    assert isinstance(group, dict)
    assert group["name"] == "Can't Lose Them"
    assert group["rule"] == "R 1–2 and F 5"
    groups = _json(["segments"])
    assert isinstance(groups, list)
    assert sum(g["customers"] for g in groups) == 2357
    tiers = _json(["segments", "--by", "tier"])
    assert isinstance(tiers, list)
    assert [t["name"] for t in tiers if t["name"] == "Platinum"] == ["Platinum"]
    unknown = runner.invoke(app, ["segment", "whales"])
    assert unknown.exit_code == 1
    assert "no segment, tier or stage called 'whales'" in unknown.output


def test_dormant_and_top_lists(scored: str) -> None:
    listing = _json(["dormant", "--limit", "5"])
    assert isinstance(listing, dict)
    assert (listing["kind"], listing["run"]["as_of"]) == ("dormant", "1997-09-30")
    dormant = listing["rows"]
    assert all(isinstance(d["outreach"]["eligible"], bool) for d in dormant)
    stakes = [d["value_at_stake"] for d in dormant]
    assert stakes == sorted(stakes, reverse=True)
    assert all(d["dormant_reason"] for d in dormant)
    top = _json(["top", "--limit", "3"])["rows"]
    assert isinstance(top, list)
    values = [t["predicted_clv"] for t in top]
    assert values == sorted(values, reverse=True)


def test_trends_and_text_output(scored: str) -> None:
    trend = _json(["trends"])
    assert isinstance(trend, list)
    assert len(trend) == 3
    for args in (
        ["customer", "1"],
        ["segment", "champions"],
        ["segments"],
        ["dormant"],
        ["top"],
        ["model"],
        ["trends"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output)


def test_movers_between_two_weeks(scored: str) -> None:
    data = _json(["movers", "--limit", "3"])
    assert isinstance(data, dict)
    # weeks are named by their last scored day: the run as of Tue 30 Sep is not "5 Oct"
    assert (data["before"], data["after"]) == ("1997-09-28", "1997-09-30")
    assert len(data["rises"]) == 3
    assert all(m["change"] > 0 for m in data["rises"])
    assert all(m["change"] < 0 for m in data["falls"])
    assert all(m["from_segment"] != m["to_segment"] for m in data["migrations"])
    assert runner.invoke(app, ["movers"]).exit_code == 0


def test_read_commands_before_any_scoring(env_settings: str) -> None:
    result = runner.invoke(app, ["customer", "1"])
    assert result.exit_code == 1
    assert "no scores yet: run `clvbot score`" in result.output


def _amount_keys(data: object, path: str = "") -> list[str]:
    """Every key of a JSON document whose name says it holds money, with its path."""
    found: list[str] = []
    if isinstance(data, dict):
        for key, value in data.items():
            words = ("clv", "value", "spend", "cost", "aov", "monetary", "revenue", "equity")
            if any(word in key for word in words):
                found.append(f"{path}{key}")
            found += _amount_keys(value, f"{path}{key}.")
    elif isinstance(data, list):
        for item in data:
            found += _amount_keys(item, path)
    return found


def test_json_amounts_are_major_units_of_the_currency(scored: str, tmp_path: Path) -> None:
    data = _json(["customer", "1"])
    assert isinstance(data, dict)
    assert data["currency"] == "USD"
    assert not [key for key in _amount_keys(data) if key.endswith("_minor")]
    # customer 1's purchases up to the as-of day, summed from the CSV: dollars, not cents
    with write_cdnow_orders_csv(tmp_path / "again.csv").open() as rows:
        spent = sum(float(r["amount"]) for r in csv.DictReader(rows)
                    if r["customer_id"] == "1" and r["ordered_at"] <= "19970930")  # fmt: skip
    assert data["historical_value"] == pytest.approx(spent, abs=0.005)
    assert data["aov"] == pytest.approx(spent / data["orders"], abs=0.005)
    assert data["run"]["as_of"] == data["as_of"] == "1997-09-30"
    assert all(point["week_end"] <= data["as_of"] for point in data["history"])
    others = [_json(args) for args in (["trends"], ["dormant"], ["top"], ["stats"], ["movers"])]
    assert [key for key in _amount_keys(others) if key.endswith("_minor")] == []
    stats = others[3]
    assert isinstance(stats, dict)
    with write_cdnow_orders_csv(tmp_path / "all.csv").open() as rows:
        total = sum(Decimal(r["amount"]) for r in csv.DictReader(rows))
    assert Decimal(str(stats["revenue"])) == total


def test_overdue_lists_the_stored_overdue_customers_by_value_at_stake(scored: str) -> None:
    data = _json(["overdue", "--limit", "5"])
    assert isinstance(data, dict)
    assert data["kind"] == "overdue"
    engine = make_engine(scored)
    s, c = customer_scores_table, customers_table
    with engine.connect() as connection:  # the stored flags, read straight from the store
        expected = connection.execute(
            select(c.c.external_id).join(s, s.c.customer_id == c.c.id)
            .where(s.c.overdue.is_(True))
            .order_by(s.c.value_at_stake.desc(), c.c.external_id).limit(5)
        ).scalars().all()  # fmt: skip
    engine.dispose()
    assert [row["customer_id"] for row in data["rows"]] == expected
    assert len(expected) == 5
    # past the 80th percentile of their wait, which is beyond their usual gap
    assert all(row["days_since_last"] > row["order_gap_days"] for row in data["rows"])
    shown = runner.invoke(app, ["overdue", "--limit", "3"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0
    assert expected[0] in shown.output
    assert "usually orders every" in shown.output


def test_model_json_has_the_holdout_coverage(scored: str) -> None:
    data = _json(["model"])
    assert isinstance(data, dict)
    assert data["holdout"]["interval_level"] == 0.8
    assert 0.5 < data["holdout"]["interval_coverage"] <= 1.0
    equity = data["equity_range"]
    assert equity["low"] < data["customer_equity"] < equity["high"]
    assert data["comparison"] == []
    assert data["selected_by"] == "setting"
