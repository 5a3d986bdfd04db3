"""Reads that must answer in time: run them on a worker and give up waiting at a deadline.

Statement and lock timeouts bound a store that is slow or locked, but not one that has stopped
answering altogether (a hung PostgreSQL server still accepts TCP; its kernel acknowledges
every packet). For that the caller stops waiting: the read goes on in its worker thread and
finishes or fails whenever the store comes back. Only reads go through here: a write that
nobody waits for could still happen after the user was told it had not.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TypeVar

T = TypeVar("T")
_workers = ThreadPoolExecutor(max_workers=8, thread_name_prefix="clvbot-store-read")


class StoreNotAnsweringError(RuntimeError):
    """The store did not answer within the deadline."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the store did not answer within {seconds:g} s")


def within(seconds: float, read: Callable[[], T]) -> T:
    """`read()`, or StoreNotAnsweringError once `seconds` have passed without an answer."""
    started = time.monotonic()

    def guarded() -> T:
        if time.monotonic() - started > seconds:  # queued behind hung reads: don't start
            raise StoreNotAnsweringError(seconds)
        return read()

    future = _workers.submit(guarded)
    try:
        return future.result(timeout=seconds)
    except FutureTimeout:
        future.cancel()
        raise StoreNotAnsweringError(seconds) from None
