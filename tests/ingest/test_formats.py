"""Each export format's sample file, imported, equals the orders computed from the file here.

The expected orders are worked out in this file from the platform's documented rules, in plain
Python over `csv.DictReader` rows: nothing is taken from the importer.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from clv.datasets import export_sample_path
from clv.ingest import import_orders
from clv.settings import Settings
from clv.store.tables import customers_table
from tests.helpers import stored_orders

Order = tuple[str, str, datetime, int]  # order id, customer, ordered at (UTC), amount (cents)


def _cents(text: str) -> int:
    return int(Decimal(text.replace(",", "")) * 100)


def _with_refund(
    order_id: str, customer: str, at: datetime, total: int, refunded: int
) -> set[Order]:
    orders = {(order_id, customer, at, total)}
    if refunded:
        orders.add((f"{order_id}:refund", customer, at, -refunded))
    return orders


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as file:
        return list(csv.DictReader(file))


def expected_shopify(path: Path) -> set[Order]:
    """First row of each `Name` holds the order; paid statuses only; refunds as records."""
    expected: set[Order] = set()
    seen: set[str] = set()
    for row in _rows(path):
        if row["Name"] in seen:
            continue
        seen.add(row["Name"])
        status = row["Financial Status"]
        if status in ("voided", "pending", "authorized", "expired") or row["Cancelled at"]:
            continue
        if not row["Email"]:
            continue
        total = _cents(row["Total"])
        refunded = _cents(row["Refunded Amount"] or "0") or (total if status == "refunded" else 0)
        at = datetime.strptime(row["Created at"], "%Y-%m-%d %H:%M:%S %z").astimezone(UTC)
        expected |= _with_refund(row["Id"], row["Email"].lower(), at, total, refunded)
    return expected


def expected_woocommerce(path: Path) -> set[Order]:
    expected: set[Order] = set()
    for row in _rows(path):
        if row["status"] not in ("processing", "on-hold", "completed", "refunded"):
            continue
        total = _cents(row["order_total"])
        at = datetime.strptime(row["date"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
        refunded = _cents(row["refunded_total"])
        expected |= _with_refund(row["order_id"], row["billing_email"].lower(), at, total, refunded)
    return expected


def expected_stripe(path: Path) -> set[Order]:
    expected: set[Order] = set()
    for row in _rows(path):
        customer = row["Customer Email"].lower() or row["Customer ID"]
        if row["Status"] not in ("Paid", "Refunded") or not customer:
            continue
        total = _cents(row["Amount"])
        at = datetime.strptime(row["Created date (UTC)"], "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
        refunded = _cents(row["Amount Refunded"])
        expected |= _with_refund(row["id"], customer, at, total, refunded)
    return expected


def expected_lines(path: Path) -> set[Order]:
    """Invoices: sum of quantity x unit price, C-prefixed ones negative; no customer: skipped."""
    totals: dict[str, Decimal] = {}
    first: dict[str, dict[str, str]] = {}
    for row in _rows(path):
        if not row["CustomerID"]:
            continue
        first.setdefault(row["InvoiceNo"], row)
        line = int(row["Quantity"]) * Decimal(row["UnitPrice"])
        totals[row["InvoiceNo"]] = totals.get(row["InvoiceNo"], Decimal(0)) + line
    expected: set[Order] = set()
    for invoice, total in totals.items():
        cents = int((abs(total) * 100).quantize(Decimal(1), ROUND_HALF_UP))
        if invoice.startswith("C") or total < 0:
            cents = -cents
        at = datetime.strptime(first[invoice]["InvoiceDate"], "%m/%d/%Y %H:%M")
        expected.add((invoice, first[invoice]["CustomerID"], at.replace(tzinfo=UTC), cents))
    return expected


CASES = {
    "shopify": (expected_shopify, None),
    "woocommerce": (expected_woocommerce, None),
    "stripe": (expected_stripe, None),
    "lines": (expected_lines, "%m/%d/%Y %H:%M"),
}


@pytest.mark.parametrize("reader_process", [False, True], ids=["in-process", "reader-process"])
@pytest.mark.parametrize("kind", sorted(CASES))
def test_sample_export_imports_as_computed_from_the_file(
    engine: Engine, settings: Settings, kind: str, reader_process: bool
) -> None:
    """In this process, and with the file read by a reader process (as files of 8 MB are)."""
    expect, date_format = CASES[kind]
    path = export_sample_path(kind)
    report = import_orders(
        engine, path, settings, date_format=date_format, reader_process=reader_process
    )
    expected = expect(path)
    stored = stored_orders(engine)
    assert report.format == kind
    assert report.format_note == "recognised from the header"
    assert report.rejected == 0
    assert stored == expected
    assert report.imported == len(expected)
    assert sum(a for *_, a in stored) == sum(a for *_, a in expected)  # net revenue
    assert sum(a for *_, a in stored if a < 0) == sum(a for *_, a in expected if a < 0)
    with path.open(encoding="utf-8-sig") as file:
        assert report.read == sum(1 for _ in file) - 1  # every line read, none rejected

    again = import_orders(engine, path, settings, date_format=date_format)
    assert (again.imported, again.unchanged, again.rejected) == (0, len(expected), 0)
    assert again.skipped == report.skipped


def test_shopify_customers_export_imports_as_computed_from_the_file(
    engine: Engine, settings: Settings
) -> None:
    from clv.ingest import import_customers

    path = export_sample_path("shopify-customers")
    channels = {"instagram": "Instagram", "google-ads": "Paid search"}
    report = import_customers(
        engine, path, settings, channel_tags="instagram=Instagram,google-ads=Paid search"
    )
    expected = {}
    for row in _rows(path):
        tags = [t.strip() for t in row["Tags"].split(",")]
        channel = next((channels[t] for t in tags if t in channels), None)
        name = f"{row['First Name']} {row['Last Name']}".strip()
        opted_out = row["Accepts Email Marketing"] == "no"
        expected[row["Email"].lower()] = (row["Email"].lower(), name, opted_out, channel)
    c = customers_table.c
    with engine.connect() as connection:
        rows = connection.execute(select(c.external_id, c.email, c.name, c.opted_out, c.channel))
        stored = {r[0]: (r[1], r[2], bool(r[3]), r[4]) for r in rows}
    assert (report.format, report.rejected, report.imported) == ("shopify", 0, len(expected))
    assert stored == expected
