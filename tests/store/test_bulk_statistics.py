"""After a bulk load replaces a table's rows, PostgreSQL plans with statistics of the new rows.

A scoring run replaces every row of customer_scores with rows of a new run_id. Until the
table is analyzed again, the planner's statistics say every row has the old run_id, so a card's
lookup by (new run_id, customer) is estimated at one row by any index that starts with run_id
and may walk a secondary index over all the run's rows: 3 s per `/clv` card at 1M customers
(bench/bench_load.py), until autovacuum's ANALYZE came round. `deferred_indexes` analyzes
the table inside the load's transaction, so the statistics commit with the rows.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Column, Engine, Float, Index, Integer, MetaData, Table, text

from clv.store.driver import deferred_indexes, insert_rows

ROWS = 50_000  # the size from which deferred_indexes drops and rebuilds the indexes

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


@pytest.fixture
def table(engine: Engine) -> Iterator[Table]:
    if engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL planner matter")
    metadata.create_all(engine)
    yield scores
    metadata.drop_all(engine)


def replace_run(engine: Engine, run_id: int) -> None:
    with (
        engine.begin() as connection,
        deferred_indexes(connection, scores, expected_rows=ROWS, replace=True),
    ):
        rows = ((run_id, i, float((i * 7919) % 1000)) for i in range(1, ROWS + 1))
        insert_rows(connection, "bulk_scores", ("run_id", "customer_id", "value"), rows)


@pytest.mark.postgres
def test_a_replaced_table_is_planned_with_the_new_rows_statistics(
    engine: Engine, table: Table
) -> None:
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
