"""Scoring runs caught in the middle: paused in a thread at a chosen moment, or in a `clvbot`
process of its own that the test kills with SIGKILL."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Row, event, select

from clv.scoring.pipeline import RunResult, score
from clv.settings import Settings
from clv.store import make_engine
from clv.store.tables import scoring_runs_table
from tests.helpers import CLVBOT, clvbot_env

PAUSE_LIMIT = 60.0  # seconds a paused run waits for the test before going on anyway


class Pause:
    """Stops a run on `engine` (its own engine: the hook is per engine) once `reached` would be
    true, until the test calls `resume`; the test waits for that moment with `wait`."""

    def __init__(self) -> None:
        self._reached = threading.Event()
        self._resume = threading.Event()

    def hold(self) -> None:
        if self._reached.is_set():
            return
        self._reached.set()
        self._resume.wait(PAUSE_LIMIT)

    def wait(self, timeout: float = PAUSE_LIMIT) -> None:
        assert self._reached.wait(timeout), "the run never reached the pause"

    def resume(self) -> None:
        self._resume.set()


def pause_before_statement(engine: Engine, starts_with: str) -> Pause:
    """Pause the run just before it executes a statement starting with `starts_with`."""
    pause = Pause()

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().startswith(starts_with):
            pause.hold()

    event.listen(engine, "before_cursor_execute", before)
    return pause


@contextmanager
def run_held_before(
    database_url: str, settings: Settings, statement: str, **score_args: Any
) -> Iterator[Future[list[RunResult]]]:
    """A scoring run in a thread, on an engine of its own, held just before it executes a
    statement starting with `statement` for as long as the block runs; yields its future."""
    engine = make_engine(database_url)
    pause = pause_before_statement(engine, statement)
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(score, engine, settings, **score_args)
        try:
            pause.wait()
            yield running
        finally:
            pause.resume()
            running.exception(60)  # let it finish before its engine goes
    engine.dispose()


def pause_at_begin_once(engine: Engine, condition: Callable[[], bool]) -> Pause:
    """Pause the run as it begins a transaction, the first time `condition()` holds then."""
    pause = Pause()

    def begin(_conn: Any) -> None:
        if condition():
            pause.hold()

    event.listen(engine, "begin", begin)
    return pause


def run_rows(engine: Engine) -> list[Row[Any]]:
    """(id, as_of, status, error) of every scoring run, oldest first."""
    runs = scoring_runs_table
    with engine.connect() as connection:
        query = select(runs.c.id, runs.c.as_of, runs.c.status, runs.c.error).order_by(runs.c.id)
        return list(connection.execute(query))


def run_clvbot(database_url: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLVBOT, *args],
        env=clvbot_env(database_url),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def start_clvbot(database_url: str, cwd: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*CLVBOT, *args],
        env=clvbot_env(database_url),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def kill_when(
    process: subprocess.Popen[str],
    engine: Engine,
    condition: Callable[[list[Row[Any]]], bool],
    timeout: float = 120.0,
) -> list[Row[Any]]:
    """SIGKILL `process` as soon as the scoring runs it wrote satisfy `condition` (polled every
    10 ms); returns the runs as they were then."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = run_rows(engine)
        if condition(rows):
            process.send_signal(signal.SIGKILL)
            process.wait(30)
            return rows
        if process.poll() is not None:
            out, err = process.communicate()
            raise AssertionError(f"clvbot ended ({process.returncode}) first:\n{out}\n{err}")
        time.sleep(0.01)
    process.kill()
    process.wait(30)
    raise AssertionError(f"no such moment within {timeout} s: {run_rows(engine)}")
