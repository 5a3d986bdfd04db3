"""Which SQLite stores clvbot processes have open, so that none is deleted under a running one.

Every clvbot process that opens a SQLite store holds a shared `flock` on `<file>.inuse.lock`
beside it for as long as its engine lives (`hold_while_open`, which `make_engine` calls). A
command that deletes and builds a store again (`clvbot demo`, `clvbot walkthrough`) first
takes that lock exclusively without waiting (`claim_for_rebuild`) and refuses, naming the
file, while another process holds it. While it rebuilds, other processes cannot open the
store; once it is built it holds the lock shared, like any other user, until it ends.

Why a lock and not a scan of /proc for processes with the file open: the kernel drops a
process's locks when it ends, however it ends (kill -9 included), so a crashed bot never
leaves a store "in use" and a reused pid can never pass for a user; a scan sees only this
user's processes, only on Linux, only while SQLite happens to hold the file open, and cannot
stop a process from opening the file between the scan and the delete. Like the scoring lock,
it needs a local file system.

flock(2) does not promise that turning an exclusive lock into a shared one is atomic, so a
rebuild also holds `<file>.rebuild.lock` exclusively until it shares the store: no second
rebuild can slip in between. Locks are per open file, not per process, so this module counts
the holds of its own process on one descriptor per store: a process may rebuild a store that
its own engines have open. An engine's hold is given back by its finalizer, which the garbage
collector may run anywhere, even inside this module's own critical section: a give-back
therefore never waits for the mutex, it is queued and applied by whoever holds it.
"""

from __future__ import annotations

import fcntl
import os
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

INUSE_SUFFIX = ".inuse.lock"
REBUILD_SUFFIX = ".rebuild.lock"
# the files of one SQLite store: the database, its write-ahead log and shared memory, and the
# rollback journal of a store that was last opened outside WAL mode
STORE_FILE_SUFFIXES = ("", "-wal", "-shm", "-journal")


class StoreInUseError(RuntimeError):
    """Another clvbot process has the store open, or is building it."""


@dataclass
class _Hold:
    """This process's lock on one store: one descriptor, counted holds."""

    fd: int
    holds: int = 0


_holds: dict[Path, _Hold] = {}
_mutex = threading.Lock()
_given_back: list[_Release] = []  # queued by `_Release`, applied under the mutex


def _new_mutex_after_fork() -> None:
    global _mutex
    _mutex = threading.Lock()  # a thread of the parent may have held it at the fork


os.register_at_fork(after_in_child=_new_mutex_after_fork)


def in_use_lock_file(database: Path) -> Path:
    """The lock file every process using `database` holds shared."""
    return database.with_name(database.name + INUSE_SUFFIX)


def hold_shared(database: Path) -> Callable[[], None]:
    """Hold `database` as in use by this process until the returned function is called.

    StoreInUseError while another clvbot process is building it again.
    """
    key = _key(database)
    with _locked():
        hold = _holds.get(key)
        if hold is None:
            fd = _open(in_use_lock_file(key))
            if not _flock(fd, fcntl.LOCK_SH):
                os.close(fd)
                raise StoreInUseError(_being_rebuilt(database))
            hold = _holds[key] = _Hold(fd)
        hold.holds += 1
    return _Release(key, hold)


def hold_while_open(owner: object, database: Path | None) -> None:
    """Hold `database` shared for as long as `owner` (an engine) lives: `make_engine`'s hook.

    Nothing to hold for PostgreSQL or an in-memory database (None), nor for a file that does not
    exist (yet): a lock file is never left beside a mistyped path. A folder without room for the
    lock file is no reason to refuse a store: the guard is then skipped.
    """
    if database is None or not database.exists():
        return
    try:
        release = hold_shared(database)
    except OSError:
        return
    weakref.finalize(owner, release)


class StoreClaim:
    """This process's exclusive claim on a store it is about to delete and build again."""

    def __init__(self, database: Path, key: Path, hold: _Hold, rebuild_fd: int) -> None:
        self.database = database
        self._release: Callable[[], None] | None = _Release(key, hold)
        self._hold = hold
        self._rebuild_fd: int | None = rebuild_fd

    def delete_files(self) -> None:
        """Delete the store's files (the database, its WAL, shared memory and journal)."""
        for suffix in STORE_FILE_SUFFIXES:
            Path(f"{self.database}{suffix}").unlink(missing_ok=True)

    def share(self) -> None:
        """The store is built: let other processes open it, but still let none delete it."""
        if self._rebuild_fd is None:
            return
        if not _flock(self._hold.fd, fcntl.LOCK_SH):  # cannot happen: nobody else can hold it
            raise StoreInUseError(_being_rebuilt(self.database))
        os.close(self._rebuild_fd)
        self._rebuild_fd = None

    def release(self) -> None:
        """Give the claim up (a store not yet shared is then free for anyone to rebuild)."""
        if self._rebuild_fd is not None:
            self.share()
        if self._release is not None:
            self._release()
            self._release = None

    def __enter__(self) -> StoreClaim:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()


def claim_for_rebuild(database: Path) -> StoreClaim:
    """Claim `database` for deleting and building again: StoreInUseError, naming the file, while
    another clvbot process has it open or is building it."""
    key = _key(database)
    rebuild_fd = _open(key.with_name(key.name + REBUILD_SUFFIX))
    if not _flock(rebuild_fd, fcntl.LOCK_EX):
        os.close(rebuild_fd)
        raise StoreInUseError(_being_rebuilt(database))
    try:
        with _locked():
            hold = _holds.get(key)
            if hold is None:
                hold = _Hold(_open(in_use_lock_file(key)))
            if not _flock(hold.fd, fcntl.LOCK_EX):
                if hold.holds:  # a failed conversion may have dropped this process's lock
                    _flock(hold.fd, fcntl.LOCK_SH)
                else:
                    os.close(hold.fd)
                raise StoreInUseError(
                    f"{database} is in use by another clvbot process: stop it first"
                )
            _holds[key] = hold
            hold.holds += 1
    except BaseException:
        os.close(rebuild_fd)
        raise
    return StoreClaim(database, key, hold, rebuild_fd)


class _Release:
    """Give one hold back (once); closing the descriptor after the last one drops the lock.
    Never LOCK_UN: a forked child shares the lock, and unlocking would drop its parent's."""

    def __init__(self, key: Path, hold: _Hold) -> None:
        self.key, self.hold, self.done = key, hold, False

    def __call__(self) -> None:
        _given_back.append(self)  # never wait for the mutex: see the module's docstring
        _apply_given_back()

    def apply(self) -> None:  # under the mutex
        if self.done:
            return
        self.done = True
        self.hold.holds -= 1
        if self.hold.holds == 0:
            os.close(self.hold.fd)
            if _holds.get(self.key) is self.hold:
                del _holds[self.key]


@contextmanager
def _locked() -> Iterator[None]:
    """The mutex for a critical section; the holds given back meanwhile are applied after."""
    try:
        with _mutex:
            yield
    finally:
        _apply_given_back()


def _apply_given_back() -> None:
    # a holder that fails to take the mutex leaves the queue to the thread holding it, which
    # looks again after releasing it: nothing queued is left behind
    while _given_back and _mutex.acquire(blocking=False):
        try:
            while _given_back:
                _given_back.pop().apply()
        finally:
            _mutex.release()


def _key(database: Path) -> Path:
    return Path(os.path.realpath(database))  # the lock files sit beside the real file


def _open(path: Path) -> int:
    return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)


def _flock(fd: int, operation: int) -> bool:
    try:
        fcntl.flock(fd, operation | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _being_rebuilt(database: Path) -> str:
    return f"{database} is being built by another clvbot process: try again when it is done"
