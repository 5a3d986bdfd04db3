"""Fixtures of the fault suite: `clvbot serve` as a real process."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.bot.fake_slack import FakeSlack
from tests.faults import tally
from tests.faults.served_process import ServeProcess


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The fault suite's table: cases tried, rejected cleanly, handled, wrong, crashed."""
    for line in tally.lines():
        terminalreporter.write_line(line)


@pytest.fixture
def serve_process(fake_slack: FakeSlack, tmp_path: Path) -> Iterator[Callable[..., ServeProcess]]:
    """`serve_process(database_url, **settings)` starts `clvbot serve`; stopped afterwards."""
    started: list[ServeProcess] = []

    def start(database_url: str, **settings: Any) -> ServeProcess:
        process = ServeProcess(database_url, fake_slack, tmp_path / f"serve{len(started)}.log",
                               **settings)  # fmt: skip
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()
