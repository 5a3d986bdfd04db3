"""Amounts as people and platforms write them (issue 13): thousands separators, a currency
symbol or code, a decimal comma. Expected minor units are written out here by hand."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from clv.ingest import import_orders
from clv.ingest.parsing import FieldError, MoneyText
from clv.settings import Settings
from clv.store.tables import orders_table
from tests.helpers import ORDER_HEADER, read_rejects, write_csv

USD = MoneyText(2, "USD")
EUR_COMMA = MoneyText(2, "EUR", decimal_comma=True)


@pytest.mark.parametrize(
    ("money", "text", "minor"),
    [
        (USD, "1,296.00", 129_600), (USD, "$12.50", 1_250), (USD, "12.50 USD", 1_250),
        (USD, "USD 12.50", 1_250), (USD, "-$12.50", -1_250), (USD, "$-12.50", -1_250),
        (USD, "1,234,567.8", 123_456_780), (USD, " 7 ", 700), (USD, "1296.00", 129_600),
        (MoneyText(2, "CAD"), "$5.00", 500), (EUR_COMMA, "1.296,00", 129_600),
        (EUR_COMMA, "12,5", 1_250), (EUR_COMMA, "€ 1.296,00", 129_600), (EUR_COMMA, "3", 300),
        (MoneyText(0, "JPY"), "¥1,296", 1_296),
    ],
)  # fmt: skip
def test_written_amounts_are_read_exactly(money: MoneyText, text: str, minor: int) -> None:
    assert money.parse(text, column="amount") == minor


@pytest.mark.parametrize(
    ("money", "text", "reason"),
    [
        (USD, "1,29", "not a number: '1,29' (for 1.296,00 use --decimal-comma)"),
        (USD, "12,50", "not a number: '12,50' (for 1.296,00 use --decimal-comma)"),
        (USD, "12.50 EUR", "in EUR, not USD (CURRENCY): '12.50 EUR'"),
        (USD, "€12.50", "the symbol € is not USD's (CURRENCY): '€12.50'"),
        (MoneyText(2, "GBP"), "$3.00", "the symbol $ is not GBP's (CURRENCY): '$3.00'"),
        (EUR_COMMA, "12.50", "not a number: '12.50'"),  # 12.50 or 1,250? not guessed
        (EUR_COMMA, "1.296.00", "not a number: '1.296.00'"),
        (USD, "$", "not a number: '$'"),
        (USD, "$1.005", "too many decimals for USD (3 > 2): '$1.005'"),
    ],
)
def test_ambiguous_or_foreign_amounts_are_rejected_saying_why(
    money: MoneyText, text: str, reason: str
) -> None:
    with pytest.raises(FieldError) as failure:
        money.parse(text, column="amount")
    assert failure.value.reason == reason


def test_an_import_reads_formatted_amounts_and_rejects_the_ambiguous_one(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    rows = [
        ["o1", "c1", "2024-01-05", "1,296.00"],
        ["o2", "c1", "2024-01-06", "$12.50"],
        ["o3", "c2", "2024-01-07", "-3.00 USD"],
        ["o4", "c2", "2024-01-08", "1,29"],
    ]
    path = write_csv(tmp_path / "o.csv", ORDER_HEADER, rows)
    report = import_orders(engine, path, settings)
    assert (report.imported, report.rejected) == (3, 1)
    with engine.connect() as connection:
        total = connection.execute(select(func.sum(orders_table.c.amount_minor))).scalar_one()
    assert total == 129_600 + 1_250 - 300
    (reject,) = read_rejects(path.with_suffix(".rejects.csv"))
    assert "for 1.296,00 use --decimal-comma" in reject["reject_reason"]


def test_decimal_comma_files_import_with_the_flag(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    rows = [["o1", "c1", "2024-01-05", "1.296,00"], ["o2", "c1", "2024-01-06", "12,500"]]
    path = tmp_path / "o.csv"
    path.write_text(";".join(ORDER_HEADER) + "\n" + "\n".join(";".join(r) for r in rows) + "\n")
    report = import_orders(engine, path, settings, decimal_comma=True)
    assert (report.imported, report.rejected) == (2, 0)
    with engine.connect() as connection:
        amounts = connection.execute(
            select(orders_table.c.amount_minor).order_by(orders_table.c.external_id)
        ).scalars()
        assert list(amounts) == [129_600, 1_250]  # 12,500 is twelve and a half, not 12,500
