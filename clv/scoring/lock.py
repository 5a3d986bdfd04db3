"""One scoring run at a time per store: a lock that dies with the process holding it.

PostgreSQL: a session-level advisory lock, held on a connection of its own for the whole run;
the server releases it when that session ends, however the process ended. SQLite: an
exclusive `flock` on a file beside the database, which the OS releases when the process's
last descriptor of it closes. An in-memory SQLite database belongs to one process and needs
none.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlparse

from sqlalchemy import URL, Connection, Engine, text

from clv.store.engine import sqlite_file

# pg_try_advisory_lock(bigint): "clvscore" in ASCII; advisory locks are per database
ADVISORY_KEY = 0x636C_7673_636F_7265
LOCK_FILE_SUFFIX = ".scoring.lock"
POLL_SECONDS = 0.25


class LockBusyError(RuntimeError):
    """Another scoring run holds the store's lock (still, after the wait)."""


class _Lock(Protocol):
    def try_acquire(self) -> bool: ...

    def close(self) -> None:
        """Release the lock if held, and whatever was opened for it."""


@contextmanager
def scoring_lock(engine: Engine, *, wait_seconds: float = 0.0) -> Iterator[None]:
    """Hold the store's scoring lock for the block, trying for up to `wait_seconds`;
    LockBusyError when it stays taken."""
    lock = _lock_for(engine)
    try:
        deadline = time.monotonic() + wait_seconds
        while not lock.try_acquire():
            left = deadline - time.monotonic()
            if left <= 0:
                raise LockBusyError("another scoring run holds the lock")
            time.sleep(min(POLL_SECONDS, left))
        yield
    finally:
        lock.close()


def lock_file(url: URL) -> Path | None:
    """The lock file beside a SQLite URL's database file; None for an in-memory database."""
    database = sqlite_file(url)
    if database is None and url.query.get("uri") in ("true", "1"):  # a `file:` URI
        # SQLAlchemy passes the URL's other query parameters on to SQLite's URI
        parts = urlparse(url.database or "")
        memory = parts.path in ("", ":memory:") or url.query.get("mode") == "memory"
        memory = memory or "mode=memory" in parts.query
        database = None if memory else Path(os.path.abspath(unquote(parts.path)))
    return None if database is None else database.with_name(database.name + LOCK_FILE_SUFFIX)


def _lock_for(engine: Engine) -> _Lock:
    if engine.dialect.name == "postgresql":
        return _AdvisoryLock(engine.connect())
    path = lock_file(engine.url)
    return _NoLock() if path is None else _FileLock(path)


class _AdvisoryLock:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.held = False

    def try_acquire(self) -> bool:
        query = text("SELECT pg_try_advisory_lock(:key)")
        self.held = bool(self.connection.execute(query, {"key": ADVISORY_KEY}).scalar_one())
        # the lock is the session's, not the transaction's: end the transaction, or the
        # session would sit "idle in transaction" for the whole run
        self.connection.commit()
        return self.held

    def close(self) -> None:
        released = not self.held
        try:
            if self.held:
                query = text("SELECT pg_advisory_unlock(:key)")
                released = bool(self.connection.execute(query, {"key": ADVISORY_KEY}).scalar())
                self.connection.commit()
        finally:
            if not released:
                # never hand a session that may still hold the lock back to the pool
                self.connection.invalidate()
            self.connection.close()


class _FileLock:
    def __init__(self, path: Path) -> None:
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)

    def try_acquire(self) -> bool:
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def close(self) -> None:
        os.close(self.fd)  # releases the lock (the file stays: deleting it would race)


class _NoLock:
    def try_acquire(self) -> bool:
        return True

    def close(self) -> None:
        pass
