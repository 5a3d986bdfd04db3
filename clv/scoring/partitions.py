"""PostgreSQL: each full run's customer scores in a partition of their own (migration 0012).

Inside the run's transaction the scores go by binary COPY into a new, bare table, which then
gets its indexes (built once, by sorting, instead of row by row), its statistics and is
attached as the partition of the run's id. Attaching takes no lock a reader waits for (SHARE
UPDATE EXCLUSIVE on customer_scores); until the run commits nobody else sees the table, and
a run that fails or is killed leaves nothing (the table goes with the transaction). Readers
ask for one run's rows, so they read one partition.

The previous run's partition stays until the next run has committed (a reader who read the
previous run as current may still be on its way to its rows); older ones are dropped after
the commit, each as soon as a short lock can be had (DROP takes ACCESS EXCLUSIVE on
customer_scores for a moment): one that cannot is dropped by a later run.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from clv.scoring.copy_binary import Column, encode
from clv.scoring.stages import StageClock
from clv.store.tables import customer_scores_table

log = logging.getLogger("clvbot.scoring")

PARENT = "customer_scores"
DROP_LOCK_TIMEOUT_MS = 200
DROP_ATTEMPTS = 5
KEPT = 2  # the current run's partition and the previous run's


def partition_name(run_id: int) -> str:
    return f"{PARENT}_r{int(run_id)}"


def partitioned(connection: Connection) -> bool:
    """Whether customer_scores is partitioned by run here (PostgreSQL after migration 0012)."""
    if connection.dialect.name != "postgresql":
        return False
    found = connection.execute(
        text("SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(:name)"),
        {"name": PARENT},
    ).first()
    return found is not None


def write_partition(
    connection: Connection, run_id: int, columns: dict[str, Column], clock: StageClock
) -> None:
    """Run `run_id`'s scores as its partition of customer_scores, in the caller's transaction."""
    table = partition_name(run_id)
    raw: Any = connection.connection.dbapi_connection
    with clock.stage("scores_write"):
        connection.exec_driver_sql(f"CREATE TABLE {table} (LIKE {PARENT} INCLUDING DEFAULTS)")
        with raw.cursor() as cursor:
            sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT binary)"
            with cursor.copy(sql) as copy:
                for piece in encode(list(columns.values())):
                    copy.write(piece)
    with clock.stage("scores_indexes"):
        # the CHECK spares ATTACH its scan of the rows for the partition's bound
        connection.exec_driver_sql(
            f"ALTER TABLE {table} ADD CONSTRAINT {table}_run CHECK (run_id = {int(run_id)})"
        )
        connection.exec_driver_sql(f"ALTER TABLE {table} ADD PRIMARY KEY (run_id, customer_id)")
        for index in customer_scores_table.indexes:
            names = ", ".join(str(column.name) for column in index.columns)
            suffix = str(index.name).removeprefix("ix_customer_scores_")
            connection.exec_driver_sql(f"CREATE INDEX {table}_{suffix} ON {table} ({names})")
        connection.exec_driver_sql(f"ANALYZE {table}")
        connection.exec_driver_sql(
            f"ALTER TABLE {PARENT} ATTACH PARTITION {table} FOR VALUES IN ({int(run_id)})"
        )


def partition_runs(connection: Connection) -> list[int]:
    """The runs that have a partition of customer_scores, oldest first."""
    names = connection.execute(
        text(
            "SELECT child.relname FROM pg_inherits JOIN pg_class child ON child.oid = "
            "pg_inherits.inhrelid WHERE pg_inherits.inhparent = to_regclass(:name)"
        ),
        {"name": PARENT},
    ).scalars()
    prefix = f"{PARENT}_r"
    return sorted(int(name[len(prefix) :]) for name in names if name.startswith(prefix))


def drop_old_partitions(engine: Engine, keep: int = KEPT) -> list[int]:
    """Drop the partitions of all but the newest `keep` runs; the runs dropped. A partition
    whose short lock cannot be had is left for a later run (logged)."""
    with engine.connect() as connection:
        if not partitioned(connection):
            return []
        runs = partition_runs(connection)
    dropped = []
    for run_id in runs[: max(len(runs) - keep, 0)]:
        if _drop(engine, run_id):
            dropped.append(run_id)
    return dropped


def _drop(engine: Engine, run_id: int, attempts: int = DROP_ATTEMPTS) -> bool:
    table = partition_name(run_id)
    for attempt in range(attempts):
        try:
            with engine.begin() as connection:
                connection.exec_driver_sql(f"SET LOCAL lock_timeout = {DROP_LOCK_TIMEOUT_MS}")
                connection.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
            return True
        except DBAPIError as exc:  # a reader held its lock all along: try again, then later
            if attempt == attempts - 1:
                log.warning("could not drop %s yet (%s): a later run will", table, exc.orig)
            time.sleep(0.05 * (attempt + 1))
    return False
