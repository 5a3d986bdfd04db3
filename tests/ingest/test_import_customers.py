"""`import_customers`: fills, conflicts, and consent that is never lost."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import Session

from clv.ingest import import_customers, import_orders
from clv.settings import Settings
from clv.store.tables import customers_table
from tests.helpers import ORDER_HEADER, write_csv

HEADER = [
    "customer_id",
    "email",
    "name",
    "acquired_at",
    "acquisition_cost",
    "channel",
    "opted_out",
    "nps",
]


def _customer(engine: Engine, external_id: str) -> dict[str, Any]:
    query = select(customers_table).where(customers_table.c.external_id == external_id)
    with Session(engine) as session:
        return dict(session.execute(query).one()._mapping)


def test_imports_every_field(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    rows = [["c1", "ann@example.com", "Ann", "2024-01-01", "25.50", "ads", "no", "9"]]
    report = import_customers(engine, write_csv(tmp_path / "c.csv", HEADER, rows), settings)
    assert (report.imported, report.rejected) == (1, 0)
    ann = _customer(engine, "c1")
    assert ann["email"] == "ann@example.com"
    assert ann["acquired_at"] == datetime(2024, 1, 1, tzinfo=UTC)
    assert ann["acquisition_cost_minor"] == 2550
    assert (ann["channel"], ann["opted_out"], ann["nps"]) == ("ads", False, 9)


def test_fills_customers_created_by_orders(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    import_orders(
        engine,
        write_csv(tmp_path / "o.csv", ORDER_HEADER, [["o1", "c1", "2024-01-01", "5"]]),
        settings,
    )
    path = write_csv(tmp_path / "c.csv", ["customer_id", "email", "nps"], [["c1", "a@b.co", "7"]])
    report = import_customers(engine, path, settings)
    assert (report.imported, report.updated) == (0, 1)
    assert _customer(engine, "c1")["nps"] == 7
    again = import_customers(engine, path, settings)
    assert (again.updated, again.unchanged) == (0, 1)


def test_changed_value_is_a_conflict_unless_update(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    first = write_csv(tmp_path / "a.csv", ["customer_id", "email"], [["c1", "old@x.io"]])
    import_customers(engine, first, settings)
    second = write_csv(tmp_path / "b.csv", ["customer_id", "email"], [["c1", "new@x.io"]])
    report = import_customers(engine, second, settings)
    assert (report.conflicts, report.rejected) == (1, 1)
    assert report.first_rejects[0].column == "email"
    assert "'old@x.io'" in report.first_rejects[0].reason
    assert _customer(engine, "c1")["email"] == "old@x.io"
    assert import_customers(engine, second, settings, update_existing=True).updated == 1
    assert _customer(engine, "c1")["email"] == "new@x.io"


def test_opting_out_always_applies_opting_in_needs_update(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    header = ["customer_id", "opted_out"]
    import_customers(engine, write_csv(tmp_path / "a.csv", header, [["c1", "false"]]), settings)
    out = import_customers(engine, write_csv(tmp_path / "b.csv", header, [["c1", "yes"]]), settings)
    assert out.updated == 1
    assert _customer(engine, "c1")["opted_out"] is True
    back_in = write_csv(tmp_path / "c.csv", header, [["c1", "no"]])
    assert import_customers(engine, back_in, settings).conflicts == 1
    assert _customer(engine, "c1")["opted_out"] is True


def test_bad_values_are_rejected_with_line_and_column(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    rows = [
        ["c1", "", "", "", "", "", "", "11"],
        ["c2", "nope", "", "", "", "", "", ""],
        ["c3", "", "", "", "-5", "", "", ""],
        ["c4", "", "", "", "", "", "perhaps", ""],
        ["", "", "", "", "", "", "", ""],
        ["c6", "", "", "", "", "", "", ""],
    ]
    report = import_customers(engine, write_csv(tmp_path / "c.csv", HEADER, rows), settings)
    assert [(r.line, r.column) for r in report.first_rejects] == [
        (2, "nps"),
        (3, "email"),
        (4, "acquisition_cost"),
        (5, "opted_out"),
        (6, "customer_id"),
    ]
    assert report.imported == 1
