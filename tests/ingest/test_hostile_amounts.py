"""Amounts no shop charges: beyond 64 bits, thousands of digits. Rejected per row, never a crash."""

from __future__ import annotations

import time
from datetime import UTC
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session

from clv.ingest import import_customers, import_orders
from clv.ingest.fast_orders import OrderBatchParser
from clv.ingest.parsing import FieldError, accepted_days, parse_money
from clv.settings import Settings
from clv.store.tables import customers_table, orders_table
from tests.helpers import ORDER_HEADER, write_csv

pytestmark = pytest.mark.faults  # issue 11's fault suite

LARGEST = "1000000000.00"  # 10^9 USD: the documented limit, written as a user would
TOO_LARGE = {
    "30 nines": "9" * 30,
    "int64 max in cents": "92233720368547758.07",
    "one cent over": "1000000000.01",
    "5,000 digits": "9" * 5_000,
    "a refund beyond the limit": "-1000000000.01",
}


def _amounts(engine: Engine) -> dict[str, int]:
    query = select(orders_table.c.external_id, orders_table.c.amount_minor)
    with Session(engine) as session:
        return {row[0]: row[1] for row in session.execute(query)}


@pytest.mark.parametrize("reader_process", [False, True])
def test_amount_beyond_64_bits_is_rejected_with_the_largest_amount_accepted(
    engine: Engine, settings: Settings, tmp_path: Path, reader_process: bool
) -> None:
    rows = [["max", "c1", "2024-01-05", LARGEST], ["min", "c1", "2024-01-06", f"-{LARGEST}"]]
    rows += [[name, "c2", "2024-01-07", amount] for name, amount in TOO_LARGE.items()]
    path = write_csv(tmp_path / "o.csv", ORDER_HEADER, rows)
    report = import_orders(engine, path, settings, reader_process=reader_process)
    assert (report.read, report.imported, report.rejected) == (7, 2, 5)
    assert _amounts(engine) == {"max": 10**11, "min": -(10**11)}
    assert [(r.line, r.column) for r in report.first_rejects] == [
        (n, "amount") for n in (4, 5, 6, 7, 8)
    ]
    for reject in report.first_rejects:
        assert "the largest amount accepted is 1000000000.00 USD (either sign)" in reject.reason
    assert len(report.first_rejects[3].reason) < 200  # 5,000 digits are not echoed back


def test_amount_text_of_5000_digits_costs_nothing() -> None:
    started = time.perf_counter()
    for _ in range(1_000):
        with pytest.raises(FieldError) as caught:
            parse_money("9" * 5_000, column="amount", exponent=2, currency="USD")
    assert time.perf_counter() - started < 0.5
    assert caught.value.reason == (
        "longer than 40 characters (5000): '99999999999999999999...'; "
        "the largest amount accepted is 1000000000.00 USD (either sign)"
    )


@pytest.mark.parametrize(
    ("exponent", "largest", "minor"),
    [(0, "1000000000", 10**9), (2, "1000000000.00", 10**11), (3, "1000000000.000", 10**12)],
)
def test_largest_amount_is_a_billion_major_units_in_every_currency(
    exponent: int, largest: str, minor: int
) -> None:
    assert parse_money(largest, column="amount", exponent=exponent, currency="X") == minor
    assert parse_money(f"-{largest}", column="amount", exponent=exponent, currency="X") == -minor
    one_more = "1000000001" if exponent == 0 else f"1000000000.{'0' * (exponent - 1)}1"
    with pytest.raises(FieldError, match=f"the largest amount accepted is {largest} X"):
        parse_money(one_more, column="amount", exponent=exponent, currency="X")
    # the limit keeps the sum of 9 million maximal orders inside a signed 64-bit integer
    assert 9_000_000 * minor < 2**63


@pytest.mark.parametrize("amount", [*TOO_LARGE.values(), "99999999999.99", "00001000000000.01"])
def test_fast_path_hands_a_batch_with_an_amount_beyond_the_limit_to_the_row_parser(
    amount: str,
) -> None:
    columns = {"order_id": 0, "customer_id": 1, "ordered_at": 2, "amount": 3}
    parser = OrderBatchParser(columns, 4, 2, sqlite=True, days=accepted_days(UTC))
    clean = [(2, ["o1", "c1", "2024-01-05T10:00:00", "1.00"])]
    assert parser(clean) is not None
    assert parser([*clean, (3, ["o2", "c1", "2024-01-05T10:00:00", amount])]) is None


def test_acquisition_cost_beyond_the_limit_is_rejected_naming_the_limit(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    header = ["customer_id", "acquisition_cost"]
    rows = [["c1", LARGEST], ["c2", "9" * 30], ["c3", "9" * 5_000]]
    report = import_customers(engine, write_csv(tmp_path / "c.csv", header, rows), settings)
    assert (report.imported, report.rejected) == (1, 2)
    assert [(r.line, r.column) for r in report.first_rejects] == [
        (3, "acquisition_cost"),
        (4, "acquisition_cost"),
    ]
    assert all("largest amount accepted" in r.reason for r in report.first_rejects)
    query = select(customers_table.c.external_id, customers_table.c.acquisition_cost_minor)
    with Session(engine) as session:
        assert {row[0]: row[1] for row in session.execute(query)} == {"c1": 10**11}


def test_fast_path_never_rounds_an_amount_with_more_decimals_than_the_currency_has(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    """29 significant digits: beyond decimal's default precision of 28."""
    rows = [
        ["o1", "c1", "2024-01-05", "1.50"],
        ["o2", "c1", "2024-01-05", "1.0000000000000000000000000001"],
    ]
    report = import_orders(engine, write_csv(tmp_path / "o.csv", ORDER_HEADER, rows), settings)
    assert (report.imported, report.rejected) == (1, 1)
    assert report.first_rejects[0].reason.startswith("too many decimals for USD (28 > 2)")
    assert _amounts(engine) == {"o1": 150}
