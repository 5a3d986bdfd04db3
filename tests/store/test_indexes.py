"""The store's indexes survive failed imports, and `clvbot db` finds and repairs missing ones."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text
from typer.testing import CliRunner

from bot.cli.app import app
from clv.ingest import StrictImportError, import_orders
from clv.settings import Settings
from tests.helpers import ORDER_HEADER, write_csv

pytestmark = pytest.mark.faults  # issue 11's fault suite

ORDER_INDEXES = {"ix_orders_customer_day_amount", "ix_orders_ordered_on"}


def order_indexes(engine: Engine) -> set[str]:
    return {str(index["name"]) for index in inspect(engine).get_indexes("orders")}


def big_file_with_a_bad_last_row(path: Path, rows: int = 60_000) -> Path:
    # rows of about 55 bytes: the file is large enough for the import to defer the indexes
    good = [
        (f"order-{i:08d}", f"customer-{i % 5000:05d}", "2024-01-02T10:00:00", "12.50")
        for i in range(rows)
    ]
    return write_csv(path, ORDER_HEADER, [*good, ("bad", "1", "2026-01-01", "x")])


def test_a_failed_strict_import_keeps_the_order_indexes(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    """The indexes a large load drops are dropped inside the import's transaction."""
    path = big_file_with_a_bad_last_row(tmp_path / "orders.csv")
    with pytest.raises(StrictImportError):
        import_orders(engine, path, settings, strict=True)
    assert order_indexes(engine) >= ORDER_INDEXES
    report = import_orders(engine, path, settings)  # the next import works
    assert (report.imported, report.rejected) == (60_000, 1)
    assert order_indexes(engine) >= ORDER_INDEXES


def test_db_check_finds_a_missing_index_and_db_upgrade_repairs_it(env_settings: str) -> None:
    from clv.store import make_engine

    engine = make_engine(env_settings)
    with engine.begin() as connection:
        connection.execute(text("DROP INDEX ix_orders_ordered_on"))
    runner = CliRunner()
    check = runner.invoke(app, ["db", "check"])
    assert check.exit_code == 1, check.output
    assert "ix_orders_ordered_on" in check.output
    repaired = runner.invoke(app, ["db", "upgrade"])
    assert repaired.exit_code == 0, repaired.output
    assert "rebuilt missing index ix_orders_ordered_on" in repaired.output
    assert order_indexes(engine) >= ORDER_INDEXES
    assert runner.invoke(app, ["db", "check"]).exit_code == 0
    engine.dispose()
