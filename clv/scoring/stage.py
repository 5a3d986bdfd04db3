"""SQLite: a full run's customer scores written column-wise, not as a Python tuple per row.

The sqlite3 module binds every value of every row from a Python object: for a million
customers' 36 columns that was 11 of the 16 s a run spent writing its scores (bench_score,
1M customers; with this stage 8.7 s). The ADBC SQLite driver (https://arrow.apache.org/adbc/current/driver/sqlite.html)
ingests Arrow arrays in C (`adbc_ingest`): dates become ISO text, booleans 0/1, NaN NULL, as the
sqlite3 module stores them. It cannot write inside the run's transaction (its own connection),
so the scores go first into a stage: database files of their own beside the store
(`<store>-stage-r<run>-<part>`, one part per core, written in threads: the driver lets go of
the GIL; 1M customers: 5.6 s on one core, 3.4 s on two), written and closed before the run's
transaction begins. The transaction attaches them (SQLite attaches only outside a
transaction), copies their rows with an `INSERT … SELECT` each (SQLite's own C, under the
table's key) and the stage is detached and deleted after the commit or rollback. The store
changes only in the run's one transaction; a run killed in between leaves stage files, which
the next run deletes.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from sqlalchemy import Connection, Engine

from clv.predictive._cores import CORES, each
from clv.scoring.copy_binary import Column
from clv.scoring.memory import use_system_memory
from clv.scoring.stages import StageClock
from clv.store.engine import sqlite_file

log = logging.getLogger("clvbot.scoring")

SCHEMA = "stage"  # the run's transaction attaches the stage's parts as stage0, stage1 …
TABLE = "customer_scores"
_ARROW = {"int2": pa.int16(), "int4": pa.int32(), "int8": pa.int64(), "float8": pa.float64(),
          "bool": pa.bool_(), "date": pa.date32()}  # fmt: skip


BATCH_ROWS = 65_536  # rows converted to Arrow at a time: memory follows a batch, not the run


def arrow_batch(columns: dict[str, Column], start: int, stop: int) -> pa.RecordBatch:
    """Rows `start`..`stop` of the columns as one Arrow batch: NULL where a column's `null`
    says, text from its codes."""
    return pa.record_batch({name: _arrow(column, slice(start, stop))
                            for name, column in columns.items()})  # fmt: skip


def _arrow(column: Column, rows: slice) -> pa.Array:
    null = None if column.null is None else column.null[rows]
    if column.kind == "text":
        codes = np.asarray(column.values[rows], dtype=np.int32)
        indices = pa.array(codes, mask=codes < 0)  # -1: NULL
        labels = pa.array(list(column.labels), pa.string())
        return pa.DictionaryArray.from_arrays(indices, labels).cast(pa.string())
    values = column.values[rows]
    if column.kind == "date":
        values = np.asarray(values, dtype=np.int32)  # days since 1970-01-01
    return pa.array(values, type=_ARROW[column.kind], mask=null)


def _batches(columns: dict[str, Column], start: int, stop: int) -> pa.RecordBatchReader:
    """Rows `start`..`stop` as a stream of batches, each converted when the driver asks."""
    schema = arrow_batch(columns, 0, 0).schema
    pieces = range(start, stop, BATCH_ROWS)
    batches = (arrow_batch(columns, i, min(i + BATCH_ROWS, stop)) for i in pieces)
    return pa.RecordBatchReader.from_batches(schema, batches)


def stage_paths(engine: Engine, run_id: int, parts: int = CORES) -> list[Path]:
    """Where run `run_id`'s stage is written, a file per part: beside the store's file (the
    same disk), or in the temporary directory for a store in memory."""
    store = sqlite_file(engine.url)
    memory = Path(tempfile.gettempdir()) / f"clvbot-memory-{os.getpid()}"
    base = memory if store is None else store
    return [base.with_name(f"{base.name}-stage-r{int(run_id)}-{part}") for part in range(parts)]


def remove_stale_stages(engine: Engine) -> None:
    """Delete stages that killed runs left beside the store (called before a run writes)."""
    store = sqlite_file(engine.url)
    if store is None:
        return
    for stale in store.parent.glob(f"{store.name}-stage-r*"):
        with suppress(OSError):
            stale.unlink()
            log.info("deleted %s, left by a run that did not finish", stale.name)


def write_stage(paths: list[Path], columns: dict[str, Column]) -> None:
    """The scores as table `customer_scores` of new database files `paths` (committed), the
    rows split in order between them, each part written on a core of its own."""
    use_system_memory()
    n = next(iter(columns.values())).values.size
    size = -(-n // len(paths))  # rows per part, rounded up
    parts = [(path, columns, i * size, min(n, (i + 1) * size)) for i, path in enumerate(paths)]
    each(_ingest, parts)


def _ingest(part: tuple[Path, dict[str, Column], int, int]) -> None:
    import adbc_driver_sqlite.dbapi as adbc

    path, columns, start, stop = part
    path.unlink(missing_ok=True)
    with adbc.connect(str(path), autocommit=True) as connection, connection.cursor() as cursor:
        # a stage is scratch, read by this process only and deleted after the run (a stage
        # of a killed run by the next one): no rollback journal, no fsync (1M customers'
        # stage 1.25 -> 1.10 s); the pragmas are refused inside a transaction
        cursor.execute("PRAGMA journal_mode = OFF")
        cursor.execute("PRAGMA synchronous = OFF")
        cursor.execute("BEGIN")
        cursor.adbc_ingest(TABLE, _batches(columns, start, stop), mode="create")
        cursor.execute("COMMIT")


def _schema(part: int) -> str:
    return f"{SCHEMA}{part}"


@contextmanager
def attached(connection: Connection, paths: list[Path]) -> Iterator[None]:
    """`paths` attached to `connection` as stage0, stage1 … while the block runs (it must
    begin outside a transaction); detached and deleted afterwards, whatever happened."""
    raw: Any = connection.connection.dbapi_connection
    if raw.in_transaction:  # ATTACH is refused inside a transaction
        raise RuntimeError("the stage must be attached before the run's transaction begins")
    try:
        for part, path in enumerate(paths):
            raw.execute(f"ATTACH DATABASE ? AS {_schema(part)}", (str(path),))
        yield
    finally:
        with suppress(Exception):  # a connection the failure closed has nothing attached
            if raw.in_transaction:
                raw.rollback()
        for part in range(len(paths)):
            with suppress(Exception):
                raw.execute(f"DETACH DATABASE {_schema(part)}")
        _remove(paths)


def _remove(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


@contextmanager
def staged_scores(
    engine: Engine,
    connection: Connection,
    run_id: int,
    columns: Callable[[], dict[str, Column]],
    clock: StageClock,
    *,
    when: bool = True,
) -> Iterator[None]:
    """On SQLite (and `when`), run `run_id`'s scores (`columns()`) written to a stage and
    attached to `connection` (not yet in a transaction) while the block runs; else nothing
    (PostgreSQL copies its scores in binary into the run's partition, clv.scoring.partitions)."""
    if not when or connection.dialect.name != "sqlite":
        yield
        return
    remove_stale_stages(engine)
    paths = stage_paths(engine, run_id)
    try:
        with clock.stage("scores_write"):
            write_stage(paths, columns())
    except BaseException:
        _remove(paths)
        raise
    with attached(connection, paths):
        yield


def copy_stage(connection: Connection) -> None:
    """The attached stage's rows into the store's customer_scores, part by part in order, in
    the caller's transaction."""
    databases = connection.exec_driver_sql("PRAGMA database_list").all()
    parts = sum(1 for row in databases if str(row[1]).startswith(SCHEMA))
    if parts == 0:
        raise RuntimeError("no stage is attached: a full run's scores come through staged_scores")
    found = connection.exec_driver_sql(f"PRAGMA {_schema(0)}.table_info({TABLE})").all()
    listed = ", ".join(f'"{row[1]}"' for row in found)
    for part in range(parts):
        connection.exec_driver_sql(
            f"INSERT INTO {TABLE} ({listed}) SELECT {listed} FROM {_schema(part)}.{TABLE}"
        )
