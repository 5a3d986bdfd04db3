"""How long each stage of a scoring run took: one INFO line per stage, kept in the run's details.

A run's time goes mostly into moving rows between the store and numpy, not into the model;
knowing which stage costs what is what the benchmark (bench/bench_score.py) compares before
and after a change, and what an operator looks at when a nightly run gets slow. Stages that
run at the same time (on a thread of their own) each keep their own wall time, so the sum
of the stages can exceed the run's time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

log = logging.getLogger("clvbot.scoring")


class StageClock:
    """Wall seconds per named stage of one run, in the order the stages started."""

    def __init__(self) -> None:
        self._seconds: dict[str, float] = {}
        self._lock = threading.Lock()

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the block as stage `name` (a stage entered twice adds up)."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - start)

    def add(self, name: str, seconds: float) -> None:
        with self._lock:
            self._seconds[name] = self._seconds.get(name, 0.0) + seconds
        log.info("stage %s %.2f s", name, seconds)

    @property
    def seconds(self) -> Mapping[str, float]:
        """The stages' seconds so far, rounded to milliseconds (what the details keep)."""
        with self._lock:
            return {name: round(value, 3) for name, value in self._seconds.items()}
