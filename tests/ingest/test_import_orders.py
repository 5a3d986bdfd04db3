"""`import_orders` on SQLite and PostgreSQL: good rows land, bad rows are reported."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, select
from sqlmodel import Session

from clv.ingest import ImportFileError, StrictImportError, import_orders
from clv.settings import Settings
from clv.store.stats import store_stats
from clv.store.tables import customers_table, orders_table
from tests.helpers import ORDER_HEADER, count_rows, read_rejects, write_csv

GOOD = [
    ["o1", "c1", "2024-01-05", "10.00"],
    ["o2", "c1", "2024-02-01T12:30:00Z", "5.5"],
    ["o3", "c2", "20240301", "0"],  # a zero amount is a purchase
    ["o4", "c2", "2024-03-09", "-3.25"],  # a refund
]


def _stored_orders(engine: Engine) -> dict[str, tuple[str, datetime, date, int]]:
    query = select(
        orders_table.c.external_id,
        customers_table.c.external_id,
        orders_table.c.ordered_at,
        orders_table.c.ordered_on,
        orders_table.c.amount_minor,
    ).join(customers_table)
    with Session(engine) as session:
        return {row[0]: tuple(row[1:]) for row in session.execute(query)}  # type: ignore[misc]


def test_imports_good_rows_exactly(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    report = import_orders(engine, write_csv(tmp_path / "o.csv", ORDER_HEADER, GOOD), settings)
    assert (report.read, report.imported, report.rejected) == (4, 4, 0)
    stored = _stored_orders(engine)
    assert stored["o2"] == ("c1", datetime(2024, 2, 1, 12, 30, tzinfo=UTC), date(2024, 2, 1), 550)
    assert stored["o4"][3] == -325
    assert count_rows(engine) == (2, 4)
    with Session(engine) as session:
        stats = store_stats(session=session)
    assert stats.revenue_minor == 1000 + 550 + 0 - 325  # refunds reduce revenue
    assert stats.refunds == 1


def test_mixed_file_reports_each_bad_row_and_keeps_the_good(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    rows = [
        ["o1", "c1", "2024-01-05", "10.00"],
        ["o2", "", "2024-01-06", "1.00"],  # line 3: missing customer
        ["o3", "c2", "2024-02-30", "1.00"],  # line 4: impossible date
        ["o4", "c2", "2024-02-01", "ten"],  # line 5: not a number
        ["o5", "c2", "2024-02-01", "1.001"],  # line 6: too many decimals
        ["o6", "c3", "2024-02-02", "2.00"],
        ["o7", "c3", "2024-02-02"],  # line 8: a field short
    ]
    path = write_csv(tmp_path / "orders.csv", ORDER_HEADER, rows)
    report = import_orders(engine, path, settings)
    assert (report.read, report.imported, report.rejected) == (7, 2, 5)
    assert report.rejects_path == tmp_path / "orders.rejects.csv"
    rejects = read_rejects(tmp_path / "orders.rejects.csv")
    assert [(r["reject_line"], r["reject_column"]) for r in rejects] == [
        ("3", "customer_id"),
        ("4", "ordered_at"),
        ("5", "amount"),
        ("6", "amount"),
        ("8", "(row)"),
    ]
    assert "missing customer" in rejects[0]["reject_reason"]
    assert "'2024-02-30'" in rejects[1]["reject_reason"]
    assert "too many decimals" in rejects[3]["reject_reason"]
    assert rejects[2]["order_id"] == "o4"  # the original row, ready to fix and re-import
    assert set(_stored_orders(engine)) == {"o1", "o6"}


def test_reimport_adds_nothing(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "o.csv", ORDER_HEADER, GOOD)
    import_orders(engine, path, settings)
    again = import_orders(engine, path, settings)
    assert (again.read, again.imported, again.unchanged, again.rejected) == (4, 0, 4, 0)
    assert count_rows(engine) == (2, 4)


def test_changed_order_is_a_conflict_unless_update(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    import_orders(engine, write_csv(tmp_path / "a.csv", ORDER_HEADER, GOOD), settings)
    changed = [["o1", "c1", "2024-01-05", "12.00"], ["o9", "c9", "2024-04-01", "1.00"]]
    path = write_csv(tmp_path / "b.csv", ORDER_HEADER, changed)
    report = import_orders(engine, path, settings)
    assert (report.imported, report.conflicts, report.rejected) == (1, 1, 1)
    reject = report.first_rejects[0]
    assert (reject.line, reject.column) == (2, "amount")
    assert "stored as customer c1" in reject.reason
    assert "amount 10.00" in reject.reason
    assert "amount 12.00" in reject.reason
    assert _stored_orders(engine)["o1"][3] == 1000  # not silently overwritten

    updated = import_orders(engine, path, settings, update_existing=True)
    assert (updated.updated, updated.unchanged, updated.rejected) == (1, 1, 0)
    assert _stored_orders(engine)["o1"][3] == 1200


def test_same_order_twice_in_one_file(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    rows = [GOOD[0], GOOD[0], ["o1", "c1", "2024-01-05", "99.00"]]
    report = import_orders(engine, write_csv(tmp_path / "o.csv", ORDER_HEADER, rows), settings)
    assert (report.imported, report.unchanged, report.conflicts) == (1, 1, 1)
    assert report.first_rejects[0].line == 4
    assert "line 2" in report.first_rejects[0].reason


def test_duplicates_across_batches(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    rows = [GOOD[0], GOOD[1], GOOD[0], ["o1", "c1", "2024-01-05", "99.00"]]
    path = write_csv(tmp_path / "o.csv", ORDER_HEADER, rows)
    report = import_orders(engine, path, settings, batch_size=1)
    assert (report.imported, report.unchanged, report.conflicts) == (2, 1, 1)


def test_strict_writes_nothing(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    rows = [*GOOD, ["o5", "c5", "not a date", "1.00"], ["o6", "c6", "2024-01-01", "1.00"]]
    path = write_csv(tmp_path / "o.csv", ORDER_HEADER, rows)
    with pytest.raises(StrictImportError, match=r"o\.csv:6: ordered_at: cannot read date"):
        import_orders(engine, path, settings, strict=True, batch_size=2)
    assert count_rows(engine) == (0, 0)  # the first batches were rolled back too
    assert not (tmp_path / "o.rejects.csv").exists()


def test_column_map_and_semicolons(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("OrderNo;Kunde;Datum;Total\nA-1;K1;05/01/2024;19.99\n", encoding="utf-8")
    report = import_orders(
        engine,
        path,
        settings,
        date_format="%d/%m/%Y",
        column_map="order_id=OrderNo,customer_id=Kunde,ordered_at=Datum,amount=Total",
    )
    assert report.imported == 1
    assert _stored_orders(engine)["A-1"][2] == date(2024, 1, 5)


def test_mapped_column_named_in_rejects(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "o.csv",
        ["id", "customer_id", "ordered_at", "Total"],
        [["1", "c", "2024-01-01", "x"]],
    )
    report = import_orders(engine, path, settings, column_map="order_id=id,amount=Total")
    assert report.first_rejects[0].column == "amount (Total)"


def test_local_time_zone_setting(engine: Engine, database_url: str, tmp_path: Path) -> None:
    tokyo = Settings(database_url=database_url, timezone="Asia/Tokyo", _env_file=None)  # type: ignore[call-arg]
    path = write_csv(tmp_path / "o.csv", ORDER_HEADER, [["o1", "c1", "2024-01-01 08:00", "1"]])
    import_orders(engine, path, tokyo)
    _, at, day, _ = _stored_orders(engine)["o1"]
    assert at == datetime(2023, 12, 31, 23, 0, tzinfo=UTC)
    assert day == date(2024, 1, 1)


def test_email_and_name_fill_the_customer(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    header = [*ORDER_HEADER, "email", "name"]
    rows = [
        ["o1", "c1", "2024-01-01", "1", "", ""],
        ["o2", "c1", "2024-01-02", "1", "a@x.io", "Ann"],
    ]
    import_orders(engine, write_csv(tmp_path / "o.csv", header, rows), settings)
    with Session(engine) as session:
        email, name = session.execute(select(customers_table.c.email, customers_table.c.name)).one()
    assert (email, name) == ("a@x.io", "Ann")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"   \n", "the file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "not a CSV"),
        (b"order_id,customer_id,amount\n1,2,3\n", "missing required column(s) ordered_at"),
        (b"\xff\xfeo\x00r\x00d\x00e\x00r\x00", "not a CSV"),
        ("ordre,client,date,montant\n".encode("latin-1"), "missing required column(s) order_id"),
    ],
)
def test_file_level_errors_fail_at_once(
    engine: Engine, settings: Settings, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(ImportFileError) as caught:
        import_orders(engine, path, settings)
    assert message in str(caught.value)
    assert "bad.csv" in str(caught.value)
    assert count_rows(engine) == (0, 0)


def test_unknown_map_target_is_refused(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "o.csv", ORDER_HEADER, GOOD)
    with pytest.raises(ImportFileError, match="unknown column 'total'"):
        import_orders(engine, path, settings, column_map="total=Amount")


def _many_rows(n: int) -> list[list[str]]:
    return [
        [
            f"o{i}",
            f"c{i % 997}",
            f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T10:00:00",
            f"{i % 500}.{i % 100:02d}",
        ]
        for i in range(n)
    ]


# SQLite in both reader modes; PostgreSQL, whose index drops and rebuilds are its own, with the
# reader process (forked while the import holds a connection): the rows reach the store the
# same way in either mode, so PostgreSQL in-process would repeat the 60k-row load for nothing
@pytest.mark.parametrize(
    ("database_url", "reader_process"),
    [("sqlite", True), ("sqlite", False), ("postgresql", True)],
    indirect=["database_url"],
)
def test_large_import_rebuilds_indexes_and_can_use_a_reader_process(
    engine: Engine, settings: Settings, tmp_path: Path, reader_process: bool
) -> None:
    """60k rows: the secondary order index is dropped and rebuilt; bad rows still reported."""
    rows = _many_rows(60_000)
    rows[31_234] = ["bad", "c1", "2024-13-01", "1.00"]  # line 31,236
    path = write_csv(tmp_path / "big.csv", ORDER_HEADER, rows)
    report = import_orders(engine, path, settings, reader_process=reader_process)
    assert (report.read, report.imported, report.rejected) == (60_000, 59_999, 1)
    assert (report.first_rejects[0].line, report.first_rejects[0].column) == (31_236, "ordered_at")
    indexes = {index["name"] for index in inspect(engine).get_indexes("orders")}
    assert "ix_orders_customer_day_amount" in indexes
    again = import_orders(engine, path, settings, reader_process=reader_process)
    assert (again.unchanged, again.imported, again.rejected) == (59_999, 0, 1)


def test_reader_process_errors_reach_the_importer(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "o.csv", ORDER_HEADER, _many_rows(100))
    with path.open("ab") as file:
        file.write(b'o-x,c,2024-01-01,"1.00\n' + b"\xff\xfe broken utf-8\n")
    with pytest.raises(ImportFileError, match="not UTF-8"):
        import_orders(engine, path, settings, reader_process=True)
    assert count_rows(engine) == (0, 0)
