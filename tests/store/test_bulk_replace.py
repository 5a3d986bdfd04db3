"""A bulk load that replaces a table's rows (a scoring run's customer_scores): readers go on
reading the previous rows until it commits, and PostgreSQL then plans with the new rows'
statistics.

Readers: on PostgreSQL a dropped index holds an ACCESS EXCLUSIVE lock on its table until the
load commits, so `deferred_indexes` keeps the indexes of a table it replaces there; a `/clv`
card read during the run (bench/bench_load.py: 40-50 s at 1M customers) used to wait for the
lock and answer "the store is not answering" after STORE_TIMEOUT_SECONDS.

Statistics: until the table is analyzed again, the planner's statistics say every row has the
old run_id, so a card's lookup by (new run_id, customer) is estimated at one row by any index
that starts with run_id and may walk a secondary index over all the run's rows: 3 s per card
at 1M customers, until autovacuum's ANALYZE came round. `deferred_indexes` analyzes the table
inside the load's transaction, so the statistics commit with the rows.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Table,
    text,
)
from sqlalchemy.exc import IntegrityError

from clv.store import make_engine, read_snapshot
from clv.store.driver import deferred_indexes, insert_rows

ROWS = 50_000  # the size from which deferred_indexes drops and rebuilds the indexes
READER_TIMEOUT = 0.5  # the reader's bound on every wait (the bot's is STORE_TIMEOUT_SECONDS)

metadata = MetaData()
scores = Table(
    "bulk_scores",
    metadata,
    Column("run_id", Integer, primary_key=True),
    Column("customer_id", Integer, primary_key=True),
    Column("value", Float, nullable=False),
    Index("ix_bulk_scores_run_value", "run_id", "value"),
    postgresql_with={"autovacuum_enabled": "false"},  # no ANALYZE but the one tested
)

parents = Table("bulk_parents", metadata, Column("id", Integer, primary_key=True))
keyed = Table(  # customer_scores' shape: a key into another table, referenced by none
    "bulk_keyed",
    metadata,
    Column("run_id", Integer, primary_key=True),
    Column("parent_id", ForeignKey("bulk_parents.id", ondelete="CASCADE"), primary_key=True),
    Column("value", Float, nullable=False),
    Index("ix_bulk_keyed_run_value", "run_id", "value"),
)


def value_of(run_id: int, customer_id: int) -> float:
    return float((customer_id * 7919 + run_id) % 1000)


@pytest.fixture
def table(engine: Engine) -> Iterator[Table]:
    metadata.create_all(engine)
    yield scores
    metadata.drop_all(engine)


def write_run(connection: Connection, run_id: int) -> None:
    rows = ((run_id, i, value_of(run_id, i)) for i in range(1, ROWS + 1))
    insert_rows(connection, "bulk_scores", ("run_id", "customer_id", "value"), rows)


def replace_run(engine: Engine, run_id: int) -> None:
    with (
        engine.begin() as connection,
        deferred_indexes(connection, scores, expected_rows=ROWS, replace=True),
    ):
        write_run(connection, run_id)


def read_value(reader: Engine, run_id: int, customer_id: int) -> float | None:
    """As a `/clv` card reads: one snapshot, every wait bounded."""
    query = text("SELECT value FROM bulk_scores WHERE run_id = :run AND customer_id = :customer")
    with read_snapshot(reader) as session:
        found = session.execute(query, {"run": run_id, "customer": customer_id}).scalar()
    return None if found is None else float(found)


def test_readers_read_the_previous_rows_while_a_replace_is_under_way(
    engine: Engine, table: Table
) -> None:
    replace_run(engine, 1)
    reader = make_engine(engine.url.render_as_string(hide_password=False), timeout=READER_TIMEOUT)
    try:
        with (
            engine.begin() as connection,
            deferred_indexes(connection, scores, expected_rows=ROWS, replace=True),
        ):
            write_run(connection, 2)
            during = read_value(reader, 1, 4321), read_value(reader, 2, 4321)
        after = read_value(reader, 1, 4321), read_value(reader, 2, 4321)
    finally:
        reader.dispose()
    assert during == (value_of(1, 4321), None)  # not a lock timeout: the previous run
    assert after == (None, value_of(2, 4321))


@pytest.mark.postgres
def test_a_replaced_table_is_planned_with_the_new_rows_statistics(
    engine: Engine, table: Table
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL planner matter")
    replace_run(engine, 1)
    with engine.connect() as connection:  # as autovacuum does, some time after a run
        connection.execute(text("ANALYZE bulk_scores"))
        connection.commit()
    replace_run(engine, 2)
    with engine.connect() as connection:
        common = connection.execute(text(
            "SELECT most_common_vals::text FROM pg_stats "
            "WHERE tablename = 'bulk_scores' AND attname = 'run_id'"
        )).scalar_one()  # fmt: skip
        plan = connection.execute(text(
            "EXPLAIN (FORMAT JSON) SELECT * FROM bulk_scores WHERE run_id = 2"
        )).scalar_one()  # fmt: skip
    assert common == "{2}"  # not {1}: the rows the load deleted
    assert plan[0]["Plan"]["Plan Rows"] == ROWS  # not 1: the run is the whole table


def replace_keyed(engine: Engine, run_id: int, *, fail: bool = False) -> None:
    with (
        engine.begin() as connection,
        deferred_indexes(connection, keyed, expected_rows=ROWS, replace=True),
    ):
        rows = ((run_id, i, value_of(run_id, i)) for i in range(1, ROWS + 1))
        insert_rows(connection, "bulk_keyed", ("run_id", "parent_id", "value"), rows)
        if fail:
            raise RuntimeError("the load failed after its rows")


def definition(engine: Engine) -> list[tuple[str, str, str]]:
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'bulk_keyed' ORDER BY name"
        ).all()
    return [(str(kind), str(name), str(sql)) for kind, name, sql in rows]


def test_sqlite_replaces_a_keyed_table_with_its_definition_and_keys_intact(
    engine: Engine, table: Table
) -> None:
    """SQLite empties such a table by dropping and creating it again (driver's
    _recreate_sqlite_table): the same definition, the key still checked, all or nothing."""
    if engine.dialect.name != "sqlite":
        pytest.skip("the drop and create is SQLite's route")
    with engine.begin() as connection:
        insert_rows(connection, "bulk_parents", ("id",), ((i,) for i in range(1, ROWS + 1)))
    replace_keyed(engine, 1)
    before = definition(engine)
    replace_keyed(engine, 2)
    with pytest.raises(RuntimeError):
        replace_keyed(engine, 3, fail=True)
    assert definition(engine) == before
    assert any(kind == "index" and name == "ix_bulk_keyed_run_value" for kind, name, _ in before)
    with engine.connect() as connection:
        runs = connection.exec_driver_sql(
            "SELECT run_id, count(*), sum(value) FROM bulk_keyed GROUP BY run_id"
        ).all()
        assert runs == [(2, ROWS, sum(value_of(2, i) for i in range(1, ROWS + 1)))]
        with pytest.raises(IntegrityError):  # the foreign key is still enforced
            connection.exec_driver_sql("INSERT INTO bulk_keyed VALUES (2, 0, 1.0)")
