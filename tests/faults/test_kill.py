"""`kill -9` at random points of an import and of a scoring run (with and without backfill),
on SQLite and PostgreSQL, ten trials each (issue 11's fault suite, faults 4, 5 and 13).

After every kill: the schema is whole (no index lost), nothing half-written is visible (the
order count is the one before; the current run is a complete one), the previous scores were
readable while the process ran and still are; then the next run completes and gives the
same numbers as an uninterrupted one.
"""

from __future__ import annotations

import os
import random
import signal
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, delete, func, select

from clv.datasets import write_cdnow_orders_csv
from clv.ingest import import_orders
from clv.ingest.bulk import BYTES_PER_ROW_ESTIMATE
from clv.insights import current_run
from clv.scoring.pipeline import score
from clv.settings import Settings
from clv.store import missing_indexes, read_snapshot
from clv.store.tables import orders_table, scoring_runs_table
from tests.faults import tally
from tests.faults.forkserver import ForkServer
from tests.helpers import ORDER_HEADER, built_once, clvbot_env, view_of, write_csv

pytestmark = pytest.mark.faults
TRIALS = 10
AS_OF = "1997-09-30"


def orders_in(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(orders_table)).scalar())


def current(engine: Engine) -> tuple[int | None, str]:
    """(run id, as-of day) of the current run, read the way /clv reads it."""
    with read_snapshot(engine) as session:
        run = current_run(session)
        view = view_of(session, "1")
    assert view.as_of == run.as_of
    return run.id, run.as_of.isoformat()


@pytest.fixture(scope="module")
def forks() -> Iterator[ForkServer]:
    server = ForkServer()
    yield server
    server.stop()


def run_and_kill(
    forks: ForkServer,
    command: list[str],
    database_url: str,
    cwd: Path,
    delay: float,
    read: Callable[[], object],
) -> tuple[int, str]:
    """Start `clvbot <command>`, read the store every 20 ms while it runs, SIGKILL it after
    `delay` s; returns (reads made, how it ended)."""
    pid = forks.start(command, clvbot_env(database_url), str(cwd))
    started, reads = time.monotonic(), 0
    while time.monotonic() - started < delay and forks.running(pid):
        read()  # raises if the previous state is not readable while the process runs
        reads += 1
        time.sleep(0.02)
    ended = "killed" if forks.running(pid) else "finished before the kill"
    os.kill(pid, signal.SIGKILL)
    forks.wait(pid)
    return reads, ended


def run_to_end(forks: ForkServer, command: list[str], database_url: str, cwd: Path) -> float:
    """Run `clvbot <command>` to its end (it must succeed); returns how long it took."""
    started = time.monotonic()
    code = forks.wait(forks.start(command, clvbot_env(database_url), str(cwd)))
    assert code == 0, f"clvbot {' '.join(command)} exited {code}"
    return time.monotonic() - started


def big_orders_file(path: Path, seed: int, rows: int = 50_000) -> Path:
    """New orders for the CDNOW customers: large enough that the import defers its indexes."""
    rng = np.random.default_rng(seed)
    customers = rng.integers(1, 2358, rows)
    days = rng.integers(0, 365, rows)
    cents = rng.integers(100, 20_000, rows)
    data = [
        (f"kill{seed}-{i:08d}", str(c), f"1998-{1 + d // 31 % 12:02d}-{1 + d % 28:02d}T12:00:00",
         f"{m // 100}.{m % 100:02d}")
        for i, (c, d, m) in enumerate(zip(customers, days, cents, strict=True))
    ]  # fmt: skip
    return write_csv(path, ORDER_HEADER, data)


@pytest.fixture
def cdnow_scored(engine: Engine, database_url: str, settings: Settings, tmp_path: Path) -> float:
    """The CDNOW sample imported and scored once; returns that run's customer equity (built
    once a session on each store: the other tests get a copy of that store)."""

    def build() -> float:
        import_orders(engine, write_cdnow_orders_csv(tmp_path / "cdnow.csv"), settings)
        (run,) = score(engine, settings, as_of=date.fromisoformat(AS_OF), model="bgnbd")
        return run.customer_equity

    return built_once(database_url, tmp_path, ("kill -9: CDNOW scored",), build, engine=engine)


def test_kill_9_during_imports_keeps_the_schema_and_the_orders(
    engine: Engine, database_url: str, tmp_path: Path, cdnow_scored: float, forks: ForkServer
) -> None:
    store = engine.dialect.name
    path = big_orders_file(tmp_path / "more.csv", seed=2)
    assert path.stat().st_size // BYTES_PER_ROW_ESTIMATE >= 50_000  # so its indexes are deferred
    command = ["import", "orders", str(path)]
    before, scores = orders_in(engine), current(engine)
    duration = run_to_end(forks, command, database_url, tmp_path)  # how long one takes
    with engine.begin() as connection:  # and back to the state before it
        connection.execute(delete(orders_table).where(orders_table.c.external_id.like("kill2-%")))
    assert orders_in(engine) == before
    rng = random.Random(f"import-{store}")
    for trial in range(TRIALS):
        delay = rng.uniform(0.0, duration)
        reads, ended = run_and_kill(forks, command, database_url, tmp_path, delay,
                                    lambda: current(engine))  # fmt: skip
        # all of the import or none of it (a kill just after the commit leaves all of it)
        count = orders_in(engine)
        intact = missing_indexes(engine) == [] and count in (before, before + 50_000)
        readable = current(engine) == scores and reads > 0
        tally.record(f"kill -9 import ({store})", "handled" if intact and readable else "wrong")
        assert intact, f"trial {trial} at {delay:.2f} s ({ended}): {count} orders"
        assert readable, f"trial {trial}"
    run_to_end(forks, command, database_url, tmp_path)
    assert orders_in(engine) == before + 50_000
    assert missing_indexes(engine) == []


@pytest.mark.parametrize("backfill", [0, 3])
def test_kill_9_during_scoring_keeps_the_previous_scores_and_the_next_run_is_right(
    engine: Engine,
    database_url: str,
    settings: Settings,
    tmp_path: Path,
    cdnow_scored: float,
    forks: ForkServer,
    backfill: int,
) -> None:
    step = f"kill -9 score{' --backfill 3' if backfill else ''} ({engine.dialect.name})"
    command = ["score", "--as-of", AS_OF, "--model", "bgnbd", "--backfill", str(backfill)]
    duration = run_to_end(forks, command, database_url, tmp_path)
    rng = random.Random(step)
    for trial in range(TRIALS):
        previous = current(engine)
        delay = rng.uniform(0.0, duration)
        reads, ended = run_and_kill(forks, command, database_url, tmp_path, delay,
                                    lambda: current(engine))  # fmt: skip
        after = current(engine)  # a complete run: the previous one, or the new one if it won
        readable = reads > 0 and (after == previous or after[0] > (previous[0] or 0))
        (rerun,) = score(engine, settings, as_of=date.fromisoformat(AS_OF), model="bgnbd")
        right = (
            missing_indexes(engine) == []
            and no_running(engine)
            and current(engine)[0] == rerun.run_id
            and abs(rerun.customer_equity - cdnow_scored) <= 1e-9 * cdnow_scored
        )
        tally.record(step, "handled" if readable and right else "wrong")
        assert readable, f"trial {trial} at {delay:.2f} s ({ended})"
        assert right, f"trial {trial} at {delay:.2f} s ({ended})"


def no_running(engine: Engine) -> bool:
    """No run is left `running` once the next one has finished (a dead one is `interrupted`)."""
    runs = scoring_runs_table
    with engine.connect() as connection:
        statuses = set(connection.execute(select(runs.c.status)).scalars())
    return statuses <= {"complete", "interrupted"}
