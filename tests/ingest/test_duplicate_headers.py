"""Two header names for one column the import reads: which one is meant? Fail and say so."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from clv.ingest import ImportFileError, import_customers, import_orders
from clv.settings import Settings
from tests.helpers import count_rows, write_csv

pytestmark = pytest.mark.faults  # issue 11's fault suite


def test_duplicate_header_of_a_read_column_fails_naming_both_positions(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    header = ["order_id", "customer_id", "ordered_at", "amount", "email", " Amount "]
    path = write_csv(tmp_path / "o.csv", header, [["o1", "c1", "2024-01-05", "1.00", "", "9.00"]])
    with pytest.raises(ImportFileError) as caught:
        import_orders(engine, path, settings)
    assert str(caught.value) == (
        f"{path}: columns 4 'amount' and 6 'Amount' have the same name: rename or remove one"
    )
    assert count_rows(engine) == (0, 0)


def test_duplicate_header_of_a_mapped_column_fails(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    header = ["id", "customer_id", "ordered_at", "Total", "total"]
    path = write_csv(tmp_path / "o.csv", header, [["o1", "c1", "2024-01-05", "1.00", "2.00"]])
    with pytest.raises(ImportFileError, match="columns 4 'Total' and 5 'total' have the same"):
        import_orders(engine, path, settings, column_map="order_id=id,amount=Total")


def test_duplicate_header_of_an_optional_customer_column_fails(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    header = ["customer_id", "email", "EMAIL"]
    path = write_csv(tmp_path / "c.csv", header, [["c1", "a@example.com", "b@example.com"]])
    with pytest.raises(ImportFileError, match="columns 2 'email' and 3 'EMAIL' have the same"):
        import_customers(engine, path, settings)


def test_duplicate_headers_of_columns_the_import_does_not_read_are_allowed(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    """Exports repeat unrelated columns (two `Notes`, empty names from trailing commas)."""
    header = ["order_id", "Notes", "customer_id", "ordered_at", "amount", "notes", "", ""]
    rows = [["o1", "a", "c1", "2024-01-05", "1.00", "b", "", ""]]
    report = import_orders(engine, write_csv(tmp_path / "o.csv", header, rows), settings)
    assert (report.imported, report.rejected) == (1, 0)
