"""The PostgreSQL import path (COPY, the server-side merge, the deferred foreign key and the
customers written at the end) gives what the SQLite path gives, and nothing when it fails."""

from __future__ import annotations

import itertools
import os
import random
import shutil
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, inspect, select, text

from clv.ingest import ImportFileError, ImportReport, StrictImportError, import_orders
from clv.settings import Settings
from clv.store import make_engine
from clv.store.tables import customers_table, orders_table
from tests.faults.forkserver import ForkServer
from tests.helpers import clvbot_env, count_rows, write_csv
from tests.postgres import Cluster

HEADER = ["order_id", "customer_id", "ordered_at", "amount", "email", "name"]
BIG = 60_000  # rows: a file of more than 2 MB, which a first import loads without the key
_names = itertools.count()

# instants as exports write them, and what each means in UTC
MOMENTS = [
    "2024-03-01T10:00:00",
    "2024-03-01 11:30:00",
    "2024-03-02",
    "20240303",
    "2024-03-04T09:15:00Z",
    "2024-03-04 10:15:00 -0500",
    "2024-03-05T23:30:00+02:00",
    "2024-03-06T08:00:00.250000",
    "2024-W10-3T12:00:00",  # ISO week date: 2024-03-06
    "2024-03-07T10:00+01",
]
AMOUNTS = ["12.30", "-3.25", "0", "5.5", "+1.00", "0.07", "1000.00"]
ODD_TEXT = ["Tab\there", "back\\slash", "line\nbreak", "unit\x1fsep", "rec\x1esep", 'quote"d']


def _rows(count: int, seed: int, *, id_offset: int = 0, hostile: bool = True) -> list[list[str]]:
    """Orders of a few hundred customers in every accepted form; `hostile`: also ids and
    names COPY must escape, orders repeated (unchanged, or in conflict), bad rows."""
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        customer = f"c{int(rng.random() ** 2 * 700)}"
        email = f"{customer}@example.com" if rng.random() < 0.3 else ""
        name = f"Name {customer}" if rng.random() < 0.2 else ""
        if hostile and i % 997 == 5:
            customer += ODD_TEXT[i % len(ODD_TEXT)]
        if hostile and i % 1201 == 7:
            name = "Ann " + ODD_TEXT[i % len(ODD_TEXT)]
        moment = MOMENTS[i % len(MOMENTS)] if i % 3 else f"2024-0{1 + i % 9}-1{i % 10}T0{i % 10}:00"
        rows.append([f"o{i + id_offset}", customer, moment, rng.choice(AMOUNTS), email, name])
    if not hostile:
        return rows
    for i in range(0, count, 4099):  # the same order again, later: unchanged or a conflict
        again = list(rows[i])
        again[3] = "999.99" if i % 2 else again[3]
        rows.insert(min(len(rows), i + 7_000), again)
    for i in range(11, count, 5003):  # twice in a row: in one batch
        rows.insert(i, list(rows[i]))
    bad = itertools.cycle([(2, "2024-02-30"), (3, "ten"), (1, "")])
    for i in range(13, count, 7001):  # an impossible date, no amount, no customer
        column, value = next(bad)
        rows[i] = [f"bad{i}", "c1", "2024-01-01", "1.00", "", ""]
        rows[i][column] = value
    return rows


@pytest.fixture
def pg_url(pg_cluster: Cluster | None) -> Iterator[str]:
    if pg_cluster is None:
        pytest.skip("PostgreSQL is not installed here (CI installs it)")
    name = f"clv_copy_{os.getpid()}_{next(_names)}"
    admin = make_engine(pg_cluster.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name} TEMPLATE clv_template"))
    yield pg_cluster.url_for(name)
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture
def stores(pg_url: str, tmp_path: Path, sqlite_template: Path) -> Iterator[dict[str, Engine]]:
    """An empty migrated store of each kind."""
    shutil.copyfile(sqlite_template, tmp_path / "store.db")
    engines = {
        "sqlite": make_engine(f"sqlite:///{tmp_path / 'store.db'}"),
        "postgresql": make_engine(pg_url),
    }
    yield engines
    for engine in engines.values():
        engine.dispose()


def _settings(engine: Engine) -> Settings:
    url = engine.url.render_as_string(hide_password=False)
    return Settings(database_url=url, timezone="UTC", currency="USD", _env_file=None)  # type: ignore[call-arg]


def _content(engine: Engine) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Every order (id, customer, instant in UTC, day, amount) and customer (id, email, name)."""
    orders = select(
        orders_table.c.external_id,
        customers_table.c.external_id,
        orders_table.c.ordered_at,
        orders_table.c.ordered_on,
        orders_table.c.amount_minor,
    ).join(customers_table, customers_table.c.id == orders_table.c.customer_id)
    customers = select(
        customers_table.c.external_id, customers_table.c.email, customers_table.c.name
    )
    with engine.connect() as connection:
        stored = sorted(
            (o, c, at.isoformat(), on, a) for o, c, at, on, a in connection.execute(orders)
        )
        people = sorted(tuple(row) for row in connection.execute(customers))
    return stored, people


def _outcome(report: ImportReport) -> tuple[Any, ...]:
    counts = (
        report.read,
        report.imported,
        report.updated,
        report.unchanged,
        report.rejected,
        report.conflicts,
    )
    return counts, [(r.line, r.column) for r in report.first_rejects]


def _import_both(stores: dict[str, Engine], path: Path, **options: Any) -> dict[str, ImportReport]:
    return {
        kind: import_orders(engine, path, _settings(engine), **options)
        for kind, engine in stores.items()
    }


@pytest.mark.parametrize("reader_process", [False, True])
def test_a_large_first_import_into_postgresql_stores_what_sqlite_stores(
    stores: dict[str, Engine], tmp_path: Path, reader_process: bool
) -> None:
    """COPY into `orders` with the foreign key deferred and the customers written at the end."""
    path = write_csv(tmp_path / "orders.csv", HEADER, _rows(BIG, seed=3))
    assert path.stat().st_size // 40 >= 50_000  # the importer's estimate: a large import
    reports = _import_both(stores, path, batch_size=5_000, reader_process=reader_process)
    sqlite, postgres = reports["sqlite"], reports["postgresql"]
    assert _outcome(postgres) == _outcome(sqlite)
    assert postgres.conflicts > 0
    assert postgres.unchanged > 0
    assert postgres.rejected > postgres.conflicts
    non_conflicts = [(r.line, r.reason) for r in sqlite.first_rejects if "conflict" not in r.reason]
    assert [
        (r.line, r.reason) for r in postgres.first_rejects if "conflict" not in r.reason
    ] == non_conflicts
    assert _content(stores["postgresql"]) == _content(stores["sqlite"])
    _schema_is_whole(stores["postgresql"])


def test_later_imports_into_postgresql_merge_as_on_sqlite(
    stores: dict[str, Engine], tmp_path: Path
) -> None:
    """Into a store with orders: the staged merge counts, reports and updates as SQLite does."""
    first = write_csv(tmp_path / "first.csv", HEADER, _rows(8_000, seed=5))
    _import_both(stores, first, batch_size=1_000)
    changed = _rows(8_000, seed=5)
    for row in changed[::50]:
        row[3] = "77.70"  # another amount
    for row in changed[25::100]:
        row[1] = "c3"  # another customer
    changed += _rows(3_000, seed=6, id_offset=100_000)  # new orders, some new customers
    second = write_csv(tmp_path / "second.csv", HEADER, changed)
    reports = _import_both(stores, second, batch_size=1_000)
    assert _outcome(reports["postgresql"]) == _outcome(reports["sqlite"])
    assert reports["postgresql"].conflicts > 200
    conflict = next(r for r in reports["postgresql"].first_rejects if r.column == "amount")
    assert "is stored as customer" in conflict.reason
    assert "(use --update to replace it)" in conflict.reason
    assert _content(stores["postgresql"]) == _content(stores["sqlite"])

    updates = _import_both(stores, second, batch_size=1_000, update_existing=True)
    assert _outcome(updates["postgresql"]) == _outcome(updates["sqlite"])
    assert updates["postgresql"].updated > 200
    assert _content(stores["postgresql"]) == _content(stores["sqlite"])


def test_a_reimport_into_postgresql_changes_nothing(pg_url: str, tmp_path: Path) -> None:
    engine = make_engine(pg_url)
    path = write_csv(tmp_path / "orders.csv", HEADER, _rows(BIG, seed=8))
    first = import_orders(engine, path, _settings(engine), batch_size=5_000)
    with engine.connect() as connection:
        before = connection.execute(text("SELECT * FROM orders ORDER BY id")).all()
        people = connection.execute(text("SELECT * FROM customers ORDER BY id")).all()
    again = import_orders(engine, path, _settings(engine), batch_size=5_000)
    assert again.imported == again.updated == 0
    assert again.unchanged == first.imported + first.unchanged
    assert again.conflicts == first.conflicts
    assert again.rejected == first.rejected
    with engine.connect() as connection:
        assert connection.execute(text("SELECT * FROM orders ORDER BY id")).all() == before
        assert connection.execute(text("SELECT * FROM customers ORDER BY id")).all() == people
    engine.dispose()


@pytest.mark.parametrize("reader_process", [False, True])
def test_a_bad_row_in_the_middle_leaves_postgresql_without_the_import(
    pg_url: str, tmp_path: Path, reader_process: bool
) -> None:
    """--strict: the rows COPYed before it, the customers held back, the dropped key: gone."""
    engine = make_engine(pg_url)
    rows = _rows(BIG, seed=9, hostile=False)
    rows[BIG // 2] = ["o-bad", "c1", "2024-13-01", "1.00", "", ""]
    path = write_csv(tmp_path / "orders.csv", HEADER, rows)
    with pytest.raises(StrictImportError, match=f"orders.csv:{BIG // 2 + 2}: ordered_at"):
        import_orders(
            engine,
            path,
            _settings(engine),
            strict=True,
            batch_size=5_000,
            reader_process=reader_process,
        )
    assert count_rows(engine) == (0, 0)
    _schema_is_whole(engine)
    rows[BIG // 2][2] = "2024-12-01"  # mended: the same store takes the file
    report = import_orders(engine, write_csv(path, HEADER, rows), _settings(engine), strict=True)
    assert report.rejected == 0
    assert count_rows(engine)[1] == report.imported
    engine.dispose()


@pytest.mark.parametrize("orders_before", [0, 500])
def test_a_file_that_breaks_off_leaves_postgresql_as_it_was(
    pg_url: str, tmp_path: Path, orders_before: int
) -> None:
    """Into an empty store (COPY left open between batches) or one with orders (staged)."""
    engine = make_engine(pg_url)
    if orders_before:
        small = write_csv(tmp_path / "small.csv", HEADER, _rows(orders_before, seed=1))
        import_orders(engine, small, _settings(engine))
    before = _content(engine)
    path = write_csv(tmp_path / "orders.csv", HEADER, _rows(BIG, seed=2, id_offset=10_000))
    with path.open("ab") as file:
        file.write(b"o-x,c1,2024-01-01,1.00,,\n\xff\xfe broken\n")
    with pytest.raises(ImportFileError, match="not UTF-8"):
        import_orders(engine, path, _settings(engine), batch_size=5_000)
    assert _content(engine) == before
    _schema_is_whole(engine)
    engine.dispose()


def test_a_first_import_into_postgresql_with_customers_stored(
    stores: dict[str, Engine], tmp_path: Path
) -> None:
    """Customers imported first: looked up and filled in place, not written at the end."""
    for engine in stores.values():
        with engine.begin() as connection:
            connection.execute(
                customers_table.insert(),
                [
                    {"external_id": f"c{i}", "email": None, "name": "Known", "opted_out": False}
                    for i in range(0, 700, 3)
                ],
            )
    path = write_csv(tmp_path / "orders.csv", HEADER, _rows(BIG, seed=4))
    reports = _import_both(stores, path, batch_size=5_000)
    assert _outcome(reports["postgresql"]) == _outcome(reports["sqlite"])
    assert _content(stores["postgresql"]) == _content(stores["sqlite"])
    _schema_is_whole(stores["postgresql"])


def test_two_imports_into_postgresql_at_once_take_turns(pg_url: str, tmp_path: Path) -> None:
    """The second waits for the first (which defers its key and indexes: the store was empty
    when it began), then finds every order stored."""
    path = write_csv(tmp_path / "orders.csv", HEADER, _rows(BIG, seed=14, hostile=False))
    engines = [make_engine(pg_url) for _ in range(2)]
    with ThreadPoolExecutor(2) as pool:
        running = [pool.submit(import_orders, e, path, _settings(e)) for e in engines]
        reports = sorted((f.result() for f in running), key=lambda r: r.imported)
    assert [(r.imported, r.unchanged, r.rejected) for r in reports] == [(0, BIG, 0), (BIG, 0, 0)]
    assert count_rows(engines[0])[1] == BIG
    _schema_is_whole(engines[0])
    for engine in engines:
        engine.dispose()


@pytest.mark.faults
def test_kill_9_during_a_first_import_into_postgresql_leaves_an_empty_store(
    pg_url: str, tmp_path: Path
) -> None:
    """Killed while its COPY is open, its customers held back or its key being checked: all
    of the import or none of it, and the schema whole."""
    engine = make_engine(pg_url)
    rows = 2 * BIG
    path = write_csv(tmp_path / "orders.csv", HEADER, _rows(rows, seed=12, hostile=False))
    command, env = ["import", "orders", str(path)], clvbot_env(pg_url)
    forks = ForkServer()
    try:
        started = time.monotonic()
        assert forks.wait(forks.start(command, env, str(tmp_path))) == 0
        duration = time.monotonic() - started
        rng = random.Random(12)
        for trial in range(6):
            with engine.begin() as connection:  # an empty store again
                connection.execute(text("TRUNCATE orders, customers CASCADE"))
            delay = rng.uniform(0.0, duration)
            pid = forks.start(command, env, str(tmp_path))
            time.sleep(delay)
            os.kill(pid, signal.SIGKILL)
            forks.wait(pid)
            customers, orders = count_rows(engine)
            assert orders in (0, rows), f"trial {trial} at {delay:.2f} s: {orders} orders"
            assert (customers == 0) == (orders == 0), f"trial {trial}: {customers} customers"
            _schema_is_whole(engine)
    finally:
        forks.stop()
        engine.dispose()


def _schema_is_whole(engine: Engine) -> None:
    """The orders' foreign key, the order id's uniqueness and every index are in place (none
    left dropped)."""
    found = inspect(engine)
    assert [key["referred_table"] for key in found.get_foreign_keys("orders")] == ["customers"]
    unique = [c["column_names"] for c in found.get_unique_constraints("orders")]
    assert unique == [["external_id"]]
    assert {"ix_orders_customer_day_amount", "ix_orders_ordered_on"} <= {
        i["name"] for i in found.get_indexes("orders")
    }
    assert {"ix_customers_email", "ix_customers_name", "ix_customers_channel"} <= {
        i["name"] for i in found.get_indexes("customers")
    }
    with engine.connect() as connection:  # the key is checked, not merely declared
        valid = connection.execute(
            text(
                "SELECT bool_and(convalidated) FROM pg_constraint "
                "WHERE conrelid = 'orders'::regclass"
            )
        ).scalar_one()
    assert valid
