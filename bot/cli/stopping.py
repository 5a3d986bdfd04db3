"""Waiting in the foreground until Ctrl-C or SIGTERM, for `clvbot demo` and `clvbot scheduler`.

The SIGTERM handler only sets a flag. A handler runs in the main thread between two bytecodes,
possibly while that thread is inside `threading.Event.wait()` holding the event's lock; a
handler calling `Event.set()` there waits for that same lock forever (the demo hung on SIGTERM
this way). A flag read by a `time.sleep` loop takes no lock.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

POLL_SECONDS = 0.2


class StopSignal:
    """Set by SIGTERM; `wait()` returns once it is set or on Ctrl-C."""

    def __init__(self) -> None:
        self.stopped = False

    def on_sigterm(self, _signum: int, _frame: FrameType | None) -> None:
        self.stopped = True

    def wait(self) -> None:
        try:
            while not self.stopped:
                time.sleep(POLL_SECONDS)
        except KeyboardInterrupt:
            pass


@contextmanager
def stop_on_sigterm() -> Iterator[StopSignal]:
    """SIGTERM handled from here on (install it before saying "ready"), restored on exit."""
    stop = StopSignal()
    previous = signal.signal(signal.SIGTERM, stop.on_sigterm)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGTERM, previous)
