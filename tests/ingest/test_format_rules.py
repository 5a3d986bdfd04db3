"""The export formats' rules one at a time: the issue's Shopify case, refunds, rejects, --strict."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from clv.ingest import ImportFileError, StrictImportError, import_orders
from clv.scoring.summary import build_summary
from clv.settings import Settings
from clv.store.tables import customers_table, orders_table

SHOPIFY = [
    "Name", "Email", "Financial Status", "Currency", "Total", "Created at",
    "Lineitem quantity", "Lineitem name", "Lineitem price", "Cancelled at", "Refunded Amount", "Id",
]  # fmt: skip


def _write(path: Path, header: list[str], rows: list[list[str]], *, bom: bool = False) -> Path:
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _orders(engine: Engine) -> dict[str, tuple[str, int]]:
    query = select(
        orders_table.c.external_id, customers_table.c.external_id, orders_table.c.amount_minor
    ).join(customers_table, customers_table.c.id == orders_table.c.customer_id)
    with engine.connect() as connection:
        return {o: (c, a) for o, c, a in connection.execute(query)}


ISSUE_CASE = [  # two line items of #1001, a fully refunded #1002, a plain #1003
    line.split("|")
    for line in (
        "#1001|ann@example.com|paid|USD|1,296.00|2026-03-05 10:15:00 -0500|1|Sofa|1,200.00||0|501",
        "#1001|ann@example.com|||||2|Cushion|48.00|||",
        "#1002|ann@example.com|refunded|USD|40.00|2026-04-06 09:00:00 -0500|2|Mug|20.00||40.00|502",
        "#1003|ann@example.com|paid|USD|25.00|2026-05-01 12:00:00 -0500|1|Lamp|25.00||0.00|503",
    )
]


def test_the_issues_shopify_case(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    """Line items, `1,296.00`, a fully refunded order, a BOM: as the issue describes it."""
    path = _write(tmp_path / "orders_export_1.csv", SHOPIFY, ISSUE_CASE, bom=True)
    report = import_orders(engine, path, settings)
    assert (report.format, report.read, report.rejected) == ("shopify", 4, 0)
    assert _orders(engine) == {
        "501": ("ann@example.com", 129600),
        "502": ("ann@example.com", 4000),
        "502:refund": ("ann@example.com", -4000),
        "503": ("ann@example.com", 2500),
    }
    with engine.connect() as connection:
        summary = build_summary(connection, as_of=date(2026, 6, 30))
    # two purchase days (05 Mar, 01 May): the fully refunded 06 Apr order is no purchase
    assert summary.frequency.tolist() == [1]
    assert summary.recency.tolist() == [(date(2026, 5, 1) - date(2026, 3, 5)).days]
    assert summary.historical_minor.tolist() == [129600 + 2500]
    # a UTC offset is kept: 10:15 at -05:00 is 15:15 UTC
    with engine.connect() as connection:
        at = connection.execute(
            select(orders_table.c.ordered_at).where(orders_table.c.external_id == "501")
        ).scalar_one()
    assert (at.hour, at.minute) == (15, 15)


def test_a_currency_other_than_currency_is_a_clear_reject(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    row = ["#1", "a@example.com", "paid", "EUR", "10.00", "2026-03-05 10:15:00 +0100", "1", "Pen",
           "10.00", "", "", "9"]  # fmt: skip
    path = _write(tmp_path / "o.csv", SHOPIFY, [row])
    report = import_orders(engine, path, settings)
    assert report.rejected == 1
    assert _orders(engine) == {}
    reject = report.first_rejects[0]
    assert (reject.line, reject.column) == (2, "currency (Currency)")
    assert "in EUR, not USD (CURRENCY)" in reject.reason
    assert reject.fields == row  # the export's own row: fix it and import the file again
    with report.rejects_path.open(encoding="utf-8") as file:  # type: ignore[union-attr]
        header = next(csv.reader(file))
    assert header[: len(SHOPIFY)] == SHOPIFY


def test_strict_stops_at_a_bad_order_and_imports_nothing(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    rows = [
        ["#1", "a@example.com", "paid", "USD", "10.00", "2026-03-05 10:15:00 +0100", "1", "Pen",
         "10.00", "", "", "1"],
        ["#2", "b@example.com", "on_fire", "USD", "10.00", "2026-03-05 10:15:00 +0100", "1", "Pen",
         "10.00", "", "", "2"],
    ]  # fmt: skip
    path = _write(tmp_path / "o.csv", SHOPIFY, rows)
    with pytest.raises(StrictImportError, match=r"o.csv:3: financial_status \(Financial Status\)"):
        import_orders(engine, path, settings, strict=True)
    assert _orders(engine) == {}


def test_a_refund_larger_than_the_order_is_rejected(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    row = ["#1", "a@example.com", "partially_refunded", "USD", "10.00",
           "2026-03-05 10:15:00 +0100", "1", "Pen", "10.00", "", "12.00", "1"]  # fmt: skip
    report = import_orders(engine, _write(tmp_path / "o.csv", SHOPIFY, [row]), settings)
    assert report.rejected == 1
    assert "refunded 12.00 is more than the order's total 10.00" in report.first_rejects[0].reason


LINES = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice",
         "CustomerID", "Country"]  # fmt: skip


def test_lines_without_a_customer_are_counted_once_not_rejected(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    rows = [
        ["536365", "85123A", "HEART", "6", "2010-12-01 08:26:00", "2.55", "17850", "UK"],
        ["536365", "71053", "LANTERN", "6", "2010-12-01 08:26:00", "3.39", "17850", "UK"],
        *[["536366", "22633", "WARMER", "1", "2010-12-01 08:28:00", "1.85", "", "UK"]] * 5,
        ["C536379", "D", "Discount", "-1", "2010-12-01 09:41:00", "27.50", "17850", "UK"],
        ["536380", "POST", "POSTAGE", "3", "2010-12-01 09:45:00", "0.001", "17850", "UK"],
    ]
    report = import_orders(engine, _write(tmp_path / "retail.csv", LINES, rows), settings)
    assert (report.format, report.read, report.rejected) == ("lines", 9, 0)
    assert dict(report.skipped) == {"lines without a customer": 5}
    assert "skipped: 5 lines without a customer" in report.summary()
    assert _orders(engine) == {
        "536365": ("17850", 6 * 255 + 6 * 339),
        "C536379": ("17850", -2750),
        "536380": ("17850", 0),  # 3 x 0.001 = 0.003 rounds to 0.00
    }


def test_an_invoice_of_two_customers_or_a_bad_quantity_rejects_the_invoice_whole(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    rows = [
        ["1", "A", "a", "1", "2011-01-01", "1.00", "c1", "UK"],
        ["1", "B", "b", "1", "2011-01-01", "1.00", "c2", "UK"],
        ["2", "A", "a", "two", "2011-01-02", "1.00", "c1", "UK"],
        ["3", "A", "a", "2", "2011-01-03", "1.50", "c1", "UK"],
    ]
    report = import_orders(engine, _write(tmp_path / "retail.csv", LINES, rows), settings)
    assert _orders(engine) == {"3": ("c1", 300)}
    reasons = {r.line: (r.column, r.reason) for r in report.first_rejects}
    assert reasons[2][0] == "customer_id (CustomerID)"
    assert "invoice 1 has lines of two customers: 'c1' (line 2) and 'c2' (line 3)" in reasons[2][1]
    assert reasons[4] == ("quantity (Quantity)", "line 4: not a whole number: 'two'")


def test_map_names_the_columns_of_another_line_item_layout(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    path = _write(
        tmp_path / "items.csv",
        ["Order", "Qty", "Each", "When", "Buyer"],
        [["A1", "2", "€3.50", "2026-01-02", "x"], ["A1", "1", "1.00", "2026-01-02", "x"]],
    )
    spec = "invoice=Order,quantity=Qty,unit_price=Each,ordered_at=When,customer_id=Buyer"
    report = import_orders(
        engine, path, settings.model_copy(update={"currency": "EUR"}), column_map=spec
    )
    assert (report.format, report.rejected) == ("lines", 0)
    assert _orders(engine) == {"A1": ("x", 800)}


def test_format_overrides_recognition_and_names_what_is_missing(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    path = _write(tmp_path / "o.csv", LINES, [])
    with pytest.raises(ImportFileError, match=r"not a Shopify orders export file: missing column"):
        import_orders(engine, path, settings, export_format="shopify")
    with pytest.raises(ImportFileError, match=r"--format: unknown format 'magento'"):
        import_orders(engine, path, settings, export_format="magento")
