"""`clvbot import orders` and `clvbot stats` with amounts no 64-bit sum can hold."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import insert
from typer.testing import CliRunner

from bot.cli import app
from clv.store import make_engine
from clv.store.tables import customers_table, orders_table
from tests.helpers import ORDER_HEADER, write_csv

pytestmark = pytest.mark.faults  # issue 11's fault suite

runner = CliRunner()


def test_import_rejects_an_amount_beyond_the_limit_and_stats_still_adds_up(
    env_settings: str, tmp_path: Path
) -> None:
    rows = [
        ["o1", "c1", "2024-01-05", "92233720368547758.07"],
        ["o2", "c1", "2024-01-06", "1000000000.00"],
        ["o3", "c1", "2024-01-07", "999999999999999999999999999999"],
    ]
    path = write_csv(tmp_path / "o.csv", ORDER_HEADER, rows)
    result = runner.invoke(app, ["import", "orders", str(path)])
    assert result.exit_code == 3, result.output
    assert (
        "rejected o.csv:2: amount: too large: '92233720368547758.07'; "
        "the largest amount accepted is 1000000000.00 USD (either sign)"
    ) in result.output
    assert "read 3 · imported 1 · updated 0 · unchanged 0 · rejected 2" in result.output
    stats = runner.invoke(app, ["stats", "--json"])
    assert stats.exit_code == 0, stats.output
    assert json.loads(stats.output, parse_float=Decimal)["revenue"] == Decimal("1000000000.00")


def test_stats_adds_stored_amounts_beyond_64_bits_exactly(env_settings: str) -> None:
    """Orders stored before the limit existed, whose sum no signed 64-bit integer holds."""
    amounts = [2**62, 2**62, 2**62 - 1, -5]  # each fits in BIGINT; the sum does not
    engine = make_engine(env_settings)
    with engine.begin() as connection:
        connection.execute(insert(customers_table), [{"external_id": "c1", "opted_out": False}])
        customer = connection.execute(customers_table.select()).one().id
        connection.execute(
            insert(orders_table),
            [
                {
                    "external_id": f"o{i}",
                    "customer_id": customer,
                    "ordered_at": datetime(2024, 1, 1 + i, tzinfo=UTC),
                    "ordered_on": date(2024, 1, 1 + i),
                    "amount_minor": amount,
                }
                for i, amount in enumerate(amounts)
            ],
        )
    engine.dispose()
    result = runner.invoke(app, ["stats", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output, parse_float=Decimal)  # the exact number printed
    assert data["revenue"] == Decimal(3 * 2**62 - 6) / 100
    assert (data["orders"], data["refunds"]) == (4, 1)
    text = runner.invoke(app, ["stats"])
    whole, cents = divmod(3 * 2**62 - 6, 100)
    assert f"revenue    ${whole:,}.{cents:02d} (net of refunds)" in text.output
