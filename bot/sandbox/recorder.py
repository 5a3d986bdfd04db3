"""Every request the sandbox's bot-side endpoints receive, as it arrived, for tests to read.

Recorded before anything else happens to the request (token check, faults, the method), so a
test also sees calls that were refused or failed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Call:
    path: str  # "/api/chat.postMessage", "/respond/<token>", "/upload/<file id>"
    body: dict[str, Any]  # the arguments (query, form and JSON merged); {} for an upload
    headers: Mapping[str, str]  # case-insensitive, as received
    raw: bytes = b""  # the body's bytes (an upload's file)
    at: float = field(default_factory=time.time)


class Recorder:
    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._calls: list[Call] = []

    def record(self, call: Call) -> None:
        with self._changed:
            self._calls.append(call)
            self._changed.notify_all()

    @property
    def calls(self) -> list[Call]:
        with self._changed:
            return list(self._calls)

    def named(self, path: str) -> list[Call]:
        """The calls to `path`, or to any path starting with it (`"/api/chat."`)."""
        with self._changed:
            return [c for c in self._calls if c.path.startswith(path)]

    def wait_for(self, path: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """The calls to `path` once there are at least `count`; AssertionError after `timeout`."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(found := self.named(path)) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    paths = [c.path for c in self._calls]
                    raise AssertionError(f"{len(found)} of {count} calls to {path} within "
                                         f"{timeout} s; calls: {paths}")  # fmt: skip
                self._changed.wait(left)
            return found
