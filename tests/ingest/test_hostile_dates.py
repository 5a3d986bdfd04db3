"""Dates no order has: before 1990, placeholders such as 0001-01-01, or after tomorrow."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import Engine, select
from sqlmodel import Session

from clv.ingest import import_customers, import_orders
from clv.ingest.fast_orders import OrderBatchParser
from clv.ingest.parsing import DateParser, DayRange, FieldError
from clv.settings import Settings
from clv.store.tables import customers_table, orders_table
from tests.helpers import ORDER_HEADER, write_csv

pytestmark = pytest.mark.faults  # issue 11's fault suite

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)  # tomorrow in UTC: 2026-12-02
RANGE = "the accepted range 1990-01-01 .. 2026-12-02"


def _days(engine: Engine) -> dict[str, date]:
    query = select(orders_table.c.external_id, orders_table.c.ordered_on)
    with Session(engine) as session:
        return {row[0]: row[1] for row in session.execute(query)}


@pytest.mark.parametrize("reader_process", [False, True])
@time_machine.travel(NOW, tick=False)
def test_order_dates_before_1990_or_after_tomorrow_are_rejected_naming_the_range(
    engine: Engine, settings: Settings, tmp_path: Path, reader_process: bool
) -> None:
    rows = [
        ["first", "c1", "1990-01-01T00:00:00", "1.00"],
        ["tomorrow", "c1", "2026-12-02T23:59:59", "1.00"],
        ["epoch-1", "c1", "1969-12-31", "1.00"],  # line 4
        ["unknown", "c1", "0001-01-01", "1.00"],
        ["far", "c1", "9999-12-31", "1.00"],
        ["far-compact", "c1", "99991231", "1.00"],
        ["last-90s-eve", "c1", "1989-12-31T23:59:59", "1.00"],
        ["day-after", "c1", "2026-12-03T00:00:00", "1.00"],
        ["far-zoned", "c1", "9999-12-31T23:00:00-05:00", "1.00"],  # UTC would be year 10000
    ]
    path = write_csv(tmp_path / "o.csv", ORDER_HEADER, rows)
    report = import_orders(engine, path, settings, reader_process=reader_process)
    assert (report.read, report.imported, report.rejected) == (9, 2, 7)
    assert _days(engine) == {"first": date(1990, 1, 1), "tomorrow": date(2026, 12, 2)}
    reasons = {r.line: (r.column, r.reason) for r in report.first_rejects}
    assert reasons[6] == ("ordered_at", f"date 9999-12-31 is outside {RANGE}")
    assert reasons[4] == ("ordered_at", f"date 1969-12-31 is outside {RANGE}")
    assert reasons[5] == ("ordered_at", f"date 0001-01-01 is outside {RANGE}")
    assert reasons[9] == ("ordered_at", f"date 2026-12-03 is outside {RANGE}")
    assert sorted(reasons) == [4, 5, 6, 7, 8, 9, 10]


@time_machine.travel(NOW, tick=False)
def test_latest_accepted_day_is_tomorrow_in_the_shop_time_zone(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    kiritimati = Settings(database_url=database_url, timezone="Pacific/Kiritimati", _env_file=None)  # type: ignore[call-arg]
    rows = [
        ["late", "c1", "2026-12-03 23:00", "1.00"],  # UTC+14: already 2 Dec there, so 3 Dec is in
        ["later", "c1", "2026-12-04 00:30", "1.00"],
        ["unknown", "c1", "0001-01-01", "1.00"],  # UTC would be year 0
    ]
    report = import_orders(engine, write_csv(tmp_path / "o.csv", ORDER_HEADER, rows), kiritimati)
    assert (report.imported, report.rejected) == (1, 2)
    assert [r.reason for r in report.first_rejects] == [
        "date 2026-12-04 is outside the accepted range 1990-01-01 .. 2026-12-03",
        "date 0001-01-01 is outside the accepted range 1990-01-01 .. 2026-12-03",
    ]
    assert _days(engine) == {"late": date(2026, 12, 3)}


def test_date_parser_computes_its_latest_day_once_from_an_injected_now() -> None:
    parser = DateParser(UTC, now=datetime(2030, 6, 30, 23, 0, tzinfo=UTC))
    assert parser.days == DayRange(date(1990, 1, 1), date(2030, 7, 1))
    assert parser("2030-07-01", column="d")[1] == date(2030, 7, 1)
    with pytest.raises(FieldError) as caught:
        parser("2030-07-02", column="ordered_at")
    assert (caught.value.column, caught.value.reason) == (
        "ordered_at",
        "date 2030-07-02 is outside the accepted range 1990-01-01 .. 2030-07-01",
    )


@pytest.mark.parametrize(
    "moment", ["1969-12-31T10:00:00", "0001-01-01T00:00:00", "9999-12-31T00:00:00", "2026-12-03"]
)
def test_fast_path_hands_a_batch_with_a_date_out_of_range_to_the_row_parser(moment: str) -> None:
    columns = {"order_id": 0, "customer_id": 1, "ordered_at": 2, "amount": 3}
    days = DayRange(date(1990, 1, 1), date(2026, 12, 2))
    parser = OrderBatchParser(columns, 4, 2, sqlite=True, days=days)
    clean = [(2, ["o1", "c1", "2026-12-02T23:59:59", "1.00"]), (3, ["o2", "c1", "1990-01-01", "1"])]
    assert parser(clean) is not None
    assert parser([*clean, (4, ["o3", "c1", moment, "1.00"])]) is None


@time_machine.travel(NOW, tick=False)
def test_acquired_at_outside_the_range_is_rejected(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    header = ["customer_id", "acquired_at"]
    rows = [["c1", "2026-12-02"], ["c2", "0001-01-01"], ["c3", "9999-12-31T00:00:00Z"]]
    report = import_customers(engine, write_csv(tmp_path / "c.csv", header, rows), settings)
    assert (report.imported, report.rejected) == (1, 2)
    assert [(r.line, r.column, r.reason) for r in report.first_rejects] == [
        (3, "acquired_at", f"date 0001-01-01 is outside {RANGE}"),
        (4, "acquired_at", f"date 9999-12-31 is outside {RANGE}"),
    ]
    query = select(customers_table.c.external_id, customers_table.c.acquired_at)
    with Session(engine) as session:
        stored = {row[0]: row[1] for row in session.execute(query)}
    assert stored == {"c1": datetime(2026, 12, 2, tzinfo=UTC)}


@pytest.mark.parametrize("sqlite", [True, False])
def test_fast_path_reads_a_utc_offset_as_the_instant_it_names(sqlite: bool) -> None:
    """Shopify's `2026-03-05 10:15:00 -0500`, a query's `...+00:00`: 15:15 and 23:30 UTC."""
    columns = {"order_id": 0, "customer_id": 1, "ordered_at": 2, "amount": 3}
    parser = OrderBatchParser(
        columns, 4, 2, sqlite=sqlite, days=DayRange(date(1990, 1, 1), date(2026, 12, 2))
    )
    lines = [
        (2, ["o1", "c1", "2026-03-05 10:15:00 -0500", "1.00"]),
        (3, ["o2", "c1", "2026-03-05T23:30:00+00:00", "2.00"]),
        (4, ["o3", "c1", "2026-03-06T01:00:00", "3.00"]),  # no offset: UTC
    ]
    parsed = parser(lines)
    assert parsed is not None
    instants = [datetime(2026, 3, 5, 15, 15), datetime(2026, 3, 5, 23, 30), datetime(2026, 3, 6, 1)]
    if sqlite:
        assert parsed.ordered_at == [f"{m:%Y-%m-%d %H:%M:%S}.000000" for m in instants]
        assert parsed.ordered_on == ["2026-03-05", "2026-03-05", "2026-03-06"]
    else:
        # ISO text in UTC, as PostgreSQL's COPY reads it in the import's UTC session
        assert parsed.ordered_at == [m.isoformat() for m in instants]
        assert parsed.ordered_on == ["2026-03-05", "2026-03-05", "2026-03-06"]
