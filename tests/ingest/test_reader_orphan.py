"""`kill -9` of an import must not leave its reader process behind (holding memory and files)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from clv.store import make_engine, upgrade
from tests.helpers import process_running

pytestmark = pytest.mark.faults
T = TypeVar("T")


def _children(pid: int) -> list[int]:
    """The child processes of `pid`, from /proc (Linux)."""
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children += [int(c) for c in (task / "children").read_text().split()]
        except OSError:  # the task ended meanwhile
            continue
    return children


def _wait_for(condition: Callable[[], T], seconds: float) -> T | None:
    """The first true value of `condition()` within `seconds`, or None."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.01)
    return None


def _orders_csv(path: Path, rows: int) -> Path:
    lines = (f"o{i:08d},c{i % 20_000},2024-{1 + i % 12:02d}-15T10:00:00,12.34" for i in range(rows))
    path.write_text("order_id,customer_id,ordered_at,amount\n" + "\n".join(lines) + "\n")
    return path


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads /proc (Linux)")
def test_reader_process_ends_when_the_import_is_killed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'clvbot.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    path = _orders_csv(tmp_path / "orders.csv", 300_000)
    assert path.stat().st_size >= 8_000_000  # large enough for a reader process
    env = {**os.environ, "DATABASE_URL": url, "TIMEZONE": "UTC"}
    command = [sys.executable, "-c", "from bot.cli import main; main()", "import", "orders"]
    parent = subprocess.Popen(
        [*command, str(path)],
        cwd=tmp_path,  # no .env of the working tree
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    reader: list[int] = []
    try:
        reader = _wait_for(lambda: _children(parent.pid), 60) or []
        assert reader, "the import never started a reader process"
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(5)
        assert _wait_for(lambda: not process_running(reader[0]), 3), (
            f"reader process {reader[0]} outlived its killed parent {parent.pid}"
        )
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        for pid in reader:  # a reader that outlived the test run
            if process_running(pid):
                os.kill(pid, signal.SIGKILL)
