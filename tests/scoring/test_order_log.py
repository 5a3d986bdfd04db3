"""The order log read in pieces on worker processes (SQLite) or threads with connections of their
own in one snapshot (PostgreSQL) gives the summaries read in one piece, to the last value."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from dataclasses import fields
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import Engine

from clv.ingest import import_customers, import_orders
from clv.scoring.order_log import pieces
from clv.scoring.order_stats import DAY_BITS, FIRST_DAY, OrderStats, in_key_order
from clv.scoring.summary import SummaryPair, build_summaries
from clv.settings import Settings
from tests.helpers import ORDER_HEADER, process_running, write_csv


def _shop(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    """Refunds, several orders a day, refund-only customers, orders after the end, prospects."""
    rng = np.random.default_rng(11)
    rows: list[list[str]] = []
    for k in range(700):
        for _ in range(int(rng.integers(1, 9))):
            day = date(2022, 1, 1) + timedelta(days=int(rng.integers(0, 1100)))
            amount = int(rng.integers(-3000, 9000)) if k % 7 else -int(rng.integers(1, 500))
            rows.append([f"o{len(rows)}", f"c{k}", day.isoformat(), f"{amount / 100:.2f}"])
    import_orders(engine, write_csv(tmp_path / "orders.csv", ORDER_HEADER, rows), settings)
    prospects = [[f"p{k}"] for k in range(30)]
    import_customers(engine, write_csv(tmp_path / "c.csv", ["customer_id"], prospects), settings)


def _assert_same(one: SummaryPair, other: SummaryPair) -> None:
    for name in ("at_cutoff", "at_end"):
        a, b = getattr(one, name), getattr(other, name)
        for field in fields(a):
            left, right = getattr(a, field.name), getattr(b, field.name)
            if isinstance(left, np.ndarray):
                np.testing.assert_array_equal(left, right, err_msg=f"{name}.{field.name}")
            else:
                assert left == right
    for field in fields(one.months):
        np.testing.assert_array_equal(getattr(one.months, field.name),
                                      getattr(other.months, field.name))  # fmt: skip
    assert (one.revenue_last_week_minor, one.active_year_before, one.retained_last_year) == (
        other.revenue_last_week_minor, other.active_year_before, other.retained_last_year
    )  # fmt: skip
    assert one.first_order_day == other.first_order_day


def test_pieces_read_by_workers_give_the_summaries_read_at_once(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    _shop(engine, settings, tmp_path)
    end, cutoff = date(2024, 6, 30), date(2024, 3, 31)
    for full_at in (end, cutoff):
        once = build_summaries(engine, end=end, cutoff=cutoff, full_at=full_at, workers=1)
        assert once.at_end.buyers.sum() > 500
        in_pieces = build_summaries(
            engine, end=end, cutoff=cutoff, full_at=full_at, workers=2, parallel_from=1
        )
        _assert_same(once, in_pieces)


def test_pieces_cover_every_customer_once_for_both_workers() -> None:
    spans = pieces(1_000_000, 2)
    assert spans[0][0] == 0
    assert spans[-1][1] == 1_000_000
    assert all(a[1] == b[0] for a, b in pairwise(spans))
    assert len(spans) >= 8
    assert pieces(50_000, 2) == [(0, 50_000)]  # small stores: one piece, read in this process
    assert pieces(0, 2) == [(0, 0)]


def _log(rows: list[tuple[int, int, int]]) -> np.ndarray[Any, Any]:
    key = [(c << DAY_BITS) + (d - FIRST_DAY) for c, d, _ in rows]
    return np.array([[k, a] for k, (_, _, a) in zip(key, rows, strict=True)], dtype=np.int64)


def test_orders_of_customers_not_read_are_left_out_and_any_order_is_sorted() -> None:
    """A customer imported after the customers were read (another snapshot) is not the run's."""
    ids = np.array([3, 5], dtype=np.int64)
    known = [(3, 19000, 500), (3, 19010, 700), (5, 19005, 900)]
    stranger = [(4, 19003, 10_000), (9, 19004, 20_000)]
    expected = OrderStats.of(_log(known), ids, full_day=19020, light_day=19020)
    shuffled = in_key_order(_log([known[2], stranger[1], known[1], stranger[0], known[0]]))
    got = OrderStats.of(shuffled, ids, full_day=19020, light_day=19020)
    for name in ("first", "last", "purchase_days", "bought", "net"):
        np.testing.assert_array_equal(getattr(got, name), getattr(expected, name))
    assert got.revenue_last_week == expected.revenue_last_week == 0
    np.testing.assert_array_equal(got.bought, [1200, 900])


OTHER_PROCESS_READS = """
import sqlite3, sys
store = sqlite3.connect(sys.argv[1])
print(store.execute("SELECT count(*) FROM probe").fetchone()[0])
store.close()
"""


def test_reading_pieces_keeps_this_processs_sqlite_locks_for_the_other_processes(
    engine: Engine, database_url: str, settings: Settings, tmp_path: Path
) -> None:
    """Two copies of SQLite in one process (the sqlite3 module's and a driver's own) must not
    open the store: closing a file drops every POSIX lock the process holds on it
    (https://www.sqlite.org/howtocorrupt.html, 2.2.1), so the next process to close its
    connection took itself for the last one, checkpointed and deleted the WAL this process
    still wrote to: its next commit was invisible to everyone else."""
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's file locks")
    _shop(engine, settings, tmp_path)
    store = str(tmp_path / "clvbot.db")
    with engine.connect() as held:  # this process's connection, open throughout
        held.exec_driver_sql("PRAGMA wal_autocheckpoint = 0")
        held.exec_driver_sql("CREATE TABLE probe (x INTEGER)")
        held.commit()
        build_summaries(held, end=date(2024, 6, 30), cutoff=date(2024, 3, 31),
                        full_at=date(2024, 6, 30), workers=2, parallel_from=1)  # fmt: skip
        count = [sys.executable, "-c", OTHER_PROCESS_READS, store]
        assert subprocess.run(count, capture_output=True, text=True, check=True).stdout == "0\n"
        assert Path(f"{store}-wal").exists()  # not deleted under this process's connection
        held.exec_driver_sql("INSERT INTO probe VALUES (1)")
        held.commit()
        seen = subprocess.run(count, capture_output=True, text=True, check=True).stdout
    assert seen == "1\n"  # the commit is where every process looks


HOLD_A_POOL = """
import os, sys, time
from clv.scoring.sqlite_pieces import reader_pool

if __name__ == "__main__":
    pool = reader_pool(2)
    workers = {pool.submit(os.getpid).result() for _ in range(20)}
    print(" ".join(map(str, sorted(workers))), flush=True)
    time.sleep(60)  # killed meanwhile
"""


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_the_readers_of_a_killed_scoring_process_end_with_it(tmp_path: Path) -> None:
    script = tmp_path / "hold_a_pool.py"
    script.write_text(HOLD_A_POOL)
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        workers = [int(pid) for pid in parent.stdout.readline().split()]
        assert workers
        assert all(process_running(pid) for pid in workers)
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        deadline = time.monotonic() + 10
        while any(process_running(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(process_running(pid) for pid in workers)
    finally:
        parent.kill()
