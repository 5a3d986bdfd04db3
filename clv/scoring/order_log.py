"""The order log a run's summary is computed from, read in pieces of whole customers on both cores.

The log is one row per order, (customer-day key, amount), in the order of the covering index
`ix_orders_customer_day_amount`; it is read a piece at a time (a range of customer ids), and
each piece's aggregates (clv.scoring.order_stats) are computed as soon as it is read, so
memory follows the size of a piece, not the number of orders. Moving ten million rows into
numpy is what costs, not the database's scan:

- PostgreSQL packs each customer's rows into one bytea on the server (`string_agg` of
  `int8send`), decoded with `np.frombuffer`: no Python object per order. The pieces are read
  on connections of their own in threads (the server does the work, on both cores), all in
  the snapshot the customers were read in (`pg_export_snapshot`).
- SQLite's pieces are read column-wise by the ADBC SQLite driver (Arrow arrays, no Python
  object per order), each on a read-only connection of its own, in worker processes (one
  per core), which send back each piece's aggregates. 1M customers / 10M orders: 11.6 s as
  a tuple per row in two worker processes, 6.1 s in Arrow on two threads, about 0.3 s more
  than that in two processes (bench_score's `summary_read`). Not in threads of this
  process: the driver has its own copy of SQLite, and two copies in one process break each
  other's file locks (closing a file drops every POSIX lock the process holds on it,
  https://www.sqlite.org/howtocorrupt.html, 2.2.1): another process closing the store then
  took itself for the last one and deleted the WAL this process went on committing to
  (tests/scoring/test_order_log.py).

Below `PARALLEL_FROM` customers everything is read on the caller's connection, in one piece.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from itertools import chain, pairwise
from typing import Any

import numpy as np
from sqlalchemy import BigInteger, Connection, Select, cast, func, literal_column, select

from clv.scoring.order_stats import DAY_BITS, FIRST_DAY, OrderStats, in_key_order
from clv.scoring.sqlite_pieces import read_sqlite_piece, reader_pool
from clv.segments.scores import IntArray
from clv.store.engine import sqlite_file
from clv.store.tables import orders_table as orders

PARALLEL_FROM = 100_000  # customers from which pieces are read by workers
PIECE_CUSTOMERS = 200_000  # customers per piece, at most
PIECES_PER_WORKER = 4  # at least, so that both workers stay busy to the end


@dataclass(frozen=True)
class Days:
    """The days a piece's aggregates are computed as of: orders up to `end` are read."""

    end: date
    full_day: int
    light_day: int


def log_query(end: date, first_id: int, last_id: int, day_number: Any) -> Select[Any]:
    """The orders of customers `first_id`..`last_id` up to `end`, in index order, the
    customer and the day packed into one key (a column less to fetch is a Python integer less
    per order)."""
    key = cast(orders.c.customer_id, BigInteger) * (1 << DAY_BITS) + (
        day_number(orders.c.ordered_on) - FIRST_DAY
    )
    return (
        select(key.label("k"), orders.c.amount_minor.label("a"), orders.c.customer_id.label("c"))
        .where(
            orders.c.ordered_on <= end,
            orders.c.customer_id >= first_id,
            orders.c.customer_id <= last_id,
        )
        .order_by(orders.c.customer_id, orders.c.ordered_on)
    )


def int_matrix(connection: Connection, query: Select[Any], width: int) -> IntArray:
    """Run `query` (integer columns only) straight into a numpy matrix, skipping row objects."""
    cursor: Any = connection.execute(query).cursor
    flat = np.fromiter(chain.from_iterable(cursor), dtype=np.int64)
    return flat.reshape(-1, width)


def _packed_sql(connection: Connection, query: Select[Any]) -> str:
    """PostgreSQL: each customer's (key, amount) rows of `query` as one bytea of big-endian
    int8 pairs, in the query's order (checked by the reader: see `in_key_order`)."""
    log = query.subquery("log")
    pair = func.int8send(log.c.k).op("||")(func.int8send(log.c.a))
    packed = select(func.string_agg(pair, literal_column("''::bytea"))).group_by(log.c.c)
    return str(packed.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))


def read_piece(connection: Connection, query: Select[Any]) -> IntArray:
    """The (key, amount) rows of `query`, sorted by key."""
    if connection.dialect.name != "postgresql":
        return in_key_order(int_matrix(connection, query.with_only_columns(
            *query.selected_columns[:2]), 2))  # fmt: skip
    raw: Any = connection.connection.dbapi_connection
    with raw.cursor(binary=True) as cursor:
        cursor.execute(_packed_sql(connection, query))
        data = b"".join(row[0] for row in cursor)
    pairs = np.frombuffer(data, dtype=">i8").astype(np.int64).reshape(-1, 2)
    return in_key_order(pairs)


def pieces(n: int, workers: int, parallel_from: int = PARALLEL_FROM) -> list[tuple[int, int]]:
    """(start, stop) positions of the pieces of `n` customers."""
    count = 1
    if n >= parallel_from and workers > 1:
        count = max(workers * PIECES_PER_WORKER, -(-n // PIECE_CUSTOMERS))
    bounds = np.linspace(0, n, count + 1).astype(np.int64).tolist()
    return [(a, b) for a, b in pairwise(bounds) if b > a] or [(0, 0)]


def order_stats(
    connection: Connection,
    ids: IntArray,
    days: Days,
    day_number: Any,
    *,
    workers: int = 0,
    parallel_from: int = PARALLEL_FROM,
) -> OrderStats:
    """Every customer's order aggregates (customers `ids`, sorted), read on `connection` or,
    from `parallel_from` customers, in pieces on `workers` workers (0: one per core)."""
    workers = workers or os.cpu_count() or 1
    spans = pieces(ids.size, workers, parallel_from)

    def query(start: int, stop: int) -> Select[Any]:
        first, last = (int(ids[start]), int(ids[stop - 1])) if stop > start else (0, -1)
        return log_query(days.end, first, last, day_number)

    if len(spans) == 1:
        log = read_piece(connection, query(0, ids.size))
        return OrderStats.of(log, ids, full_day=days.full_day, light_day=days.light_day)
    if connection.dialect.name == "postgresql":
        parts = _postgres_pieces(connection, ids, days, spans, query, workers)
    else:
        parts = _sqlite_pieces(connection, ids, days, spans, query, workers)
    return OrderStats.concat(parts, [stop - start for start, stop in spans])


def _postgres_pieces(
    connection: Connection,
    ids: IntArray,
    days: Days,
    spans: list[tuple[int, int]],
    query: Callable[[int, int], Select[Any]],
    workers: int,
) -> list[OrderStats]:
    snapshot = connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
    engine = connection.engine

    def piece(span: tuple[int, int]) -> OrderStats:
        start, stop = span
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as own:
            own.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            log = read_piece(own, query(start, stop))
        return OrderStats.of(log, ids[start:stop], full_day=days.full_day,
                             light_day=days.light_day)  # fmt: skip

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(piece, spans))


def _sqlite_pieces(
    connection: Connection,
    ids: IntArray,
    days: Days,
    spans: list[tuple[int, int]],
    query: Callable[[int, int], Select[Any]],
    workers: int,
) -> list[OrderStats]:
    path = sqlite_file(connection.engine.url)
    if path is None:  # in memory: only this connection sees it
        log = read_piece(connection, query(0, ids.size))
        return [OrderStats.of(log, ids, full_day=days.full_day, light_day=days.light_day)]
    sqls = []
    for start, stop in spans:
        selected = query(start, stop)
        selected = selected.with_only_columns(*selected.selected_columns[:2])
        compiled = selected.compile(dialect=connection.dialect,
                                    compile_kwargs={"literal_binds": True})  # fmt: skip
        sqls.append(str(compiled))
    with reader_pool(workers) as pool:
        n = len(sqls)
        return list(pool.map(read_sqlite_piece, [str(path)] * n, sqls,
                             [ids[start:stop] for start, stop in spans],
                             [days.full_day] * n, [days.light_day] * n))  # fmt: skip
