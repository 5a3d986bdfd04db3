"""A `clvbot score` process killed with SIGKILL, watched from outside. On PostgreSQL: its
sessions (tagged through libpq's PGAPPNAME), its run row, its locks, from pg_stat_activity,
pg_locks and pg_stat_progress_copy
(https://www.postgresql.org/docs/current/monitoring-stats.html). On SQLite: its `flock` on the
scoring lock file (in Linux's /proc/locks), its run row, and whether it has written pages to
the WAL since (https://www.sqlite.org/wal.html)."""

from __future__ import annotations

import fcntl
import os
import re
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, text

from clv.scoring.lock import lock_file
from clv.store.engine import sqlite_file
from tests.helpers import CLVBOT, clvbot_env

POLL_SECONDS = 0.002
WAIT_LIMIT = 120.0  # seconds: no phase of a 3,000-customer run takes nearly this long

SESSIONS = text(
    """
    SELECT a.state, a.backend_xid IS NOT NULL AS writing, a.wait_event_type, a.wait_event,
           a.query, p.tuples_processed AS copied,
           EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.locktype = 'advisory'
                   AND l.granted) AS advisory
    FROM pg_stat_activity a LEFT JOIN pg_stat_progress_copy p ON p.pid = a.pid
    WHERE a.application_name = :name ORDER BY a.pid
    """
)
NEW_RUN = text("SELECT id, status FROM scoring_runs WHERE id > :after ORDER BY id DESC LIMIT 1")


@dataclass(frozen=True)
class Backend:
    """One session of the scoring process, as pg_stat_activity shows it."""

    state: str | None
    writing: bool  # has a transaction id: the run's write transaction has written
    wait_event_type: str | None
    wait_event: str | None
    query: str
    copied: int | None  # rows a COPY in progress has received
    advisory: bool  # holds an advisory lock (the scoring lock)

    @property
    def waiting(self) -> bool:
        return self.wait_event_type == "Lock"


@dataclass(frozen=True)
class Seen:
    """The scoring process's sessions and its run row (None before it recorded one)."""

    backends: tuple[Backend, ...]
    run_id: int | None
    status: str | None
    file_lock: bool = False  # SQLite: the process holds the scoring lock file
    wal_written: bool = False  # SQLite: it wrote to the WAL after its run row was seen

    @property
    def locked(self) -> bool:
        return self.file_lock or any(b.advisory for b in self.backends)

    @property
    def begun(self) -> bool:
        """The process has reached the store (its first session, or its lock)."""
        return bool(self.backends) or self.locked or self.run_id is not None

    @property
    def writer(self) -> Backend | None:
        return next((b for b in self.backends if b.writing), None)

    @property
    def busy(self) -> Backend | None:
        return next((b for b in self.backends if b.state == "active" and not b.advisory), None)

    def phase(self) -> str:
        """Where the run is, in words for the report's table."""
        if self.status == "complete":
            return "committed"
        writer = self.writer
        if writer is not None:
            return _in_transaction(writer)
        if self.wal_written and self.status == "running":
            return "in the transaction: pages written to the WAL"
        busy = self.busy
        doing = "" if busy is None else f": {statement(busy.query)}"
        doing += " (waits on a lock)" if busy is not None and busy.waiting else ""
        if self.status == "running":
            return f"run row committed, before the transaction{doing}"
        if self.locked:
            return f"scoring lock taken, no run row yet{doing}"
        return "connecting, before the scoring lock" if self.backends else "not at the store yet"


def _in_transaction(writer: Backend) -> str:
    said = statement(writer.query)
    if said == "COMMIT" and writer.state == "active":
        return "COMMIT sent" + (" (the server waits on a lock)" if writer.waiting else "")
    if writer.state != "active":
        return f"in the transaction, idle after {said}"
    copied = "" if writer.copied is None else f", {writer.copied:,} rows in"
    waiting = " (waits on a lock)" if writer.waiting else ""
    return f"in the transaction: {said}{copied}{waiting}"


def statement(query: str) -> str:
    """The head of a statement: `COPY customer_scores`, `DELETE FROM customer_weekly`, ..."""
    words = query.split()
    if not words:
        return "(none)"
    head = words[0].upper()
    if head in ("INSERT", "DELETE", "CREATE", "DROP") and len(words) > 2:
        return " ".join(words[:3])
    if head == "UPDATE" and len(words) > 3 and words[2].upper() == "SET":
        return f"UPDATE {words[1]} SET {words[3].split('=')[0]}"
    if head in ("UPDATE", "COPY", "LOCK") and len(words) > 1:
        return f"{head} {words[1]}"
    if head == "SELECT":
        found = re.search(r"\bFROM\s+([\w.]+)", query, re.IGNORECASE)
        return f"SELECT ... FROM {found.group(1)}" if found else "SELECT"
    return head


class Watch:
    """Polls what the server shows of the process tagged `name` and of runs after `after`."""

    def __init__(self, connection: Connection, name: str, after: int) -> None:
        self.connection, self.name, self.after = connection, name, after
        self.pid: int | None = None  # the process's, once started

    def see(self) -> Seen:
        rows = self.connection.execute(SESSIONS, {"name": self.name}).all()
        run = self.connection.execute(NEW_RUN, {"after": self.after}).first()
        backends = tuple(Backend(*row) for row in rows)
        return Seen(backends, None if run is None else run.id, None if run is None else run.status)

    def until(
        self, reached: Callable[[Seen], bool], process: subprocess.Popen[str] | None = None
    ) -> Seen:
        """Poll until `reached` holds; fail if the process ends first or it takes too long."""
        deadline = time.monotonic() + WAIT_LIMIT
        while time.monotonic() < deadline:
            seen = self.see()
            if reached(seen):
                return seen
            if process is not None and process.poll() is not None:
                out, err = process.communicate()
                raise AssertionError(f"clvbot ended ({process.returncode}) first: {out}{err}")
            time.sleep(POLL_SECONDS)
        raise AssertionError(f"never reached within {WAIT_LIMIT} s; last seen {self.see()}")

    def gone(self) -> float:
        """Wait until the server has ended every session of the (dead) process; seconds."""
        began = time.monotonic()
        self.until(lambda seen: not seen.backends)
        return time.monotonic() - began


class FileWatch(Watch):
    """The SQLite store's view of a scoring process `pid`: its lock file and run row."""

    def __init__(self, connection: Connection, name: str, after: int) -> None:
        super().__init__(connection, name, after)
        database = sqlite_file(connection.engine.url)
        lock = lock_file(connection.engine.url)
        assert database is not None
        assert lock is not None
        self.wal = database.with_name(database.name + "-wal")
        self.lock = lock
        self.wal_at_run_row: int | None = None

    def see(self) -> Seen:
        run = self.connection.execute(NEW_RUN, {"after": self.after}).first()
        written = self._wal_written(run is not None)
        status = None if run is None else run.status
        return Seen((), None if run is None else run.id, status, self._held(), written)

    def _wal_written(self, run_row: bool) -> bool:
        """Whether the WAL changed since the run row was first seen (the run writes nothing
        between its run row and its write transaction; readers write nothing)."""
        if not run_row:
            return False
        changed = self.wal.stat().st_mtime_ns if self.wal.exists() else 0
        if self.wal_at_run_row is None:
            self.wal_at_run_row = changed
        return changed != self.wal_at_run_row

    def _held(self) -> bool:
        """The process holds an flock on the lock file (Linux: /proc/locks lists it)."""
        if self.pid is None or not self.lock.exists():
            return False
        inode = f":{os.stat(self.lock).st_ino} "
        return any(
            "FLOCK" in line and f" {self.pid} " in line and inode in line
            for line in Path("/proc/locks").read_text().splitlines()
        )

    def gone(self) -> float:
        """Wait until the dead process's lock is gone; seconds."""
        began = time.monotonic()
        self.until(lambda seen: not seen.file_lock)
        return time.monotonic() - began


def start_scoring(database_url: str, cwd: Path, name: str, day: str) -> subprocess.Popen[str]:
    """`clvbot score --as-of day` in a process of its own, its sessions named `name`."""
    return subprocess.Popen(
        [*CLVBOT, "score", "--as-of", day],
        env=clvbot_env(database_url, PGAPPNAME=name),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def leftovers(connection: Connection) -> list[str]:
    """What a dead run could leave on the server: sessions' locks in this database (but the
    asking session's), advisory locks, temporary or unlogged tables, invalid indexes,
    prepared transactions. On SQLite: the lock file still locked, a hot journal, a database
    that fails its integrity check."""
    if connection.dialect.name == "sqlite":
        return _sqlite_leftovers(connection)
    checks = {
        # a client's, not autovacuum's (which analyses the tables after the runs' writes)
        "lock": """SELECT l.locktype || ' ' || l.mode || ' ' || coalesce(l.relation::regclass::text,
                    '') FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                    WHERE l.pid <> pg_backend_pid() AND a.backend_type = 'client backend'
                    AND l.database = (SELECT oid FROM pg_database
                                      WHERE datname = current_database())""",
        "temporary or unlogged table": """SELECT relname FROM pg_class WHERE relpersistence IN
                    ('t', 'u')""",
        "invalid index": "SELECT indexrelid::regclass::text FROM pg_index WHERE NOT indisvalid",
        "prepared transaction": """SELECT gid FROM pg_prepared_xacts WHERE database =
                    current_database()""",
    }
    found = []
    for kind, query in checks.items():
        found += [f"{kind}: {row[0]}" for row in connection.execute(text(query))]
    return found


def _sqlite_leftovers(connection: Connection) -> list[str]:
    database, lock = sqlite_file(connection.engine.url), lock_file(connection.engine.url)
    assert database is not None
    assert lock is not None
    found = []
    descriptor = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        found.append(f"the scoring lock {lock.name} is still held")
    finally:
        os.close(descriptor)
    if database.with_name(database.name + "-journal").exists():
        found.append("a hot rollback journal")
    checked = connection.execute(text("PRAGMA integrity_check")).scalar_one()
    return found + ([] if checked == "ok" else [f"integrity check: {checked}"])


def indexes(connection: Connection) -> list[str]:
    """The store's index definitions (a killed run that had dropped some must not lose them);
    on PostgreSQL those of the tables, not of customer_scores' partitions (each full run
    attaches its own, indexed, and drops older ones: clv.scoring.partitions)."""
    query = text(
        "SELECT indexdef FROM pg_indexes JOIN pg_class ON pg_class.relname = pg_indexes.tablename"
        " AND pg_class.relnamespace = 'public'::regnamespace WHERE schemaname = 'public' "
        "AND NOT pg_class.relispartition ORDER BY indexdef"
    )
    if connection.dialect.name == "sqlite":
        query = text("SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
    return sorted(row[0] for row in connection.execute(query))


def observer(engine: Engine) -> Connection:
    """A connection that reads outside any transaction (each poll sees the latest commits)."""
    return engine.connect().execution_options(isolation_level="AUTOCOMMIT")
