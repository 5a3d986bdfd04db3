"""SQLite: a piece of the order log read column-wise in a worker process and aggregated there.

The ADBC SQLite driver (https://arrow.apache.org/adbc/current/driver/sqlite.html) hands the
rows over as Arrow arrays, no Python object per order; it has its own copy of SQLite, so it
opens the store only in processes where the sqlite3 module does not (clv.scoring.order_log
says why). This module is what such a worker imports: numpy, the driver and the aggregates,
not the store's engine.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from urllib.parse import quote

import numpy as np

from clv.scoring.memory import use_system_memory
from clv.scoring.order_stats import OrderStats, in_key_order
from clv.segments.scores import IntArray
from clv.worker_processes import end_with_parent

BUSY_TIMEOUT_MS = 5000  # the sqlite3 module's 5 s timeout


def reader_pool(workers: int) -> ProcessPoolExecutor:
    """`workers` fresh processes (spawned: no copy of this process's threads or connections)
    that end when this process ends, however it ends (a killed run leaves no reader behind:
    multiprocessing's workers would otherwise wait for work forever)."""
    return ProcessPoolExecutor(workers, mp_context=get_context("spawn"),
                               initializer=end_with_parent, initargs=(os.getpid(),))  # fmt: skip


def read_sqlite_piece(
    path: str, sql: str, ids: IntArray, full_day: int, light_day: int
) -> OrderStats:
    """The (key, amount) rows of `sql` on the SQLite file `path`, read on a read-only
    connection of its own, as the aggregates of customers `ids`."""
    import adbc_driver_sqlite.dbapi as adbc

    use_system_memory()
    with (
        adbc.connect(f"file:{quote(path)}?mode=ro") as connection,
        connection.cursor() as cursor,
    ):
        # wait for a lock as the sqlite3 module does, not fail at once
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute(sql)
        table = cursor.fetch_arrow_table()
    if table.num_rows == 0:
        log = np.empty((0, 2), dtype=np.int64)
    else:
        log = np.column_stack([np.asarray(table.column(i), dtype=np.int64) for i in range(2)])
    return OrderStats.of(in_key_order(log), ids, full_day=full_day, light_day=light_day)
