"""Engines and sessions for the configured database (SQLite by default, PostgreSQL alike).

A SQLite file is opened, never created: only `clvbot db upgrade` (`create_sqlite_file`) makes
a new one, so a mistyped or deleted path is an error, not an empty store. A pooled SQLite
connection is checked at every checkout against the file now at the path, so a deleted or
replaced file fails the next request instead of writing into a file nobody will read again.
"""

from __future__ import annotations

import math
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

from sqlalchemy import URL, Connection, Engine, Table, create_engine, event, make_url
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DisconnectionError
from sqlmodel import Session


class StoreFileError(OSError):
    """The SQLite file behind a pooled connection cannot be read and written any more."""


BATCH_BUSY_TIMEOUT_SECONDS = 30  # imports and scoring wait this long for SQLite's write lock
_FILE_KEY = "clvbot_sqlite_file"


def make_engine(database_url: str, *, timeout: float | None = None, **kwargs: Any) -> Engine:
    """An engine for `database_url`.

    `timeout` bounds, in seconds, each wait on the store: connecting, a statement and a lock
    (SQLite's busy timeout; PostgreSQL's connect_timeout, statement_timeout and lock_timeout,
    and the pool's checkout). The bot's handlers pass STORE_TIMEOUT_SECONDS; batch work
    (imports, scoring) passes nothing and waits as long as it takes.
    """
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        kwargs.setdefault("connect_args", {"timeout": timeout or BATCH_BUSY_TIMEOUT_SECONDS})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "do_connect", _open_existing_file_only)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "checkout", _same_file_still_there)
        return engine
    if timeout is not None:
        millis = int(timeout * 1000)
        kwargs.setdefault(
            "connect_args",
            {
                "connect_timeout": max(1, math.ceil(timeout)),
                "options": f"-c statement_timeout={millis} -c lock_timeout={millis}",
            },
        )
        kwargs.setdefault("pool_timeout", timeout)
    return create_engine(url, pool_pre_ping=True, **kwargs)


def sqlite_file(url: URL | str) -> Path | None:
    """The file behind a SQLite URL (resolved as SQLAlchemy resolves it), or None when the URL
    is not a plain SQLite file (PostgreSQL, in-memory, or a `file:` URI)."""
    url = make_url(url)
    if url.get_backend_name() != "sqlite" or url.query.get("uri") in ("true", "1"):
        return None
    if not url.database or url.database == ":memory:":
        return None
    return Path(os.path.abspath(url.database))


def create_sqlite_file(url: URL | str) -> bool:
    """Create an empty SQLite database at `url`'s path if none is there; True if it did."""
    path = sqlite_file(url)
    if path is None or path.exists():
        return False
    sqlite3.connect(path).close()
    return True


def _open_existing_file_only(
    _dialect: Any, record: Any, cargs: list[Any], cparams: dict[str, Any]
) -> None:
    filename = cargs[0] if cargs else ":memory:"
    if cparams.get("uri") or filename == ":memory:" or filename.startswith("file:"):
        return
    # mode=rw: SQLite's "open, never create" (https://www.sqlite.org/uri.html)
    cargs[0] = f"file:{quote(filename)}?mode=rw"
    cparams["uri"] = True
    record.info[_FILE_KEY] = filename


def _sqlite_pragmas(dbapi_connection: Any, record: Any) -> None:
    path = record.info.get(_FILE_KEY)
    if path is not None:
        found = os.stat(path)
        record.info[_FILE_KEY + "_id"] = (found.st_dev, found.st_ino)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _same_file_still_there(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """Refuse a pooled connection whose file was deleted or replaced (the pool then opens a new
    connection: to the file now there, or failing clearly when there is none) or made
    unreadable (StoreFileError: a new connection would not help, SQLite would even reuse the
    open file descriptor)."""
    path = record.info.get(_FILE_KEY)
    if path is None:
        return
    try:
        found = os.stat(path)
    except OSError:
        raise DisconnectionError(f"the database file {path} is gone") from None
    if (found.st_dev, found.st_ino) != record.info.get(_FILE_KEY + "_id"):
        raise DisconnectionError(f"the database file {path} was replaced")
    if not os.access(path, os.R_OK | os.W_OK):
        raise StoreFileError(f"the database file {path} is not readable and writable")


@contextmanager
def read_snapshot(engine: Engine) -> Iterator[Session]:
    """A session for reading only, whose every statement sees the same committed state.

    One answer reads several tables (the current run, then that run's customer scores); a
    scoring run committing in between must not make it see the old run and the new rows.
    PostgreSQL gets REPEATABLE READ; SQLite an explicit BEGIN, since pysqlite runs a SELECT
    outside any transaction (WAL mode then keeps the snapshot for the transaction).
    """
    with Session(engine) as session:
        if engine.dialect.name == "sqlite":
            session.connection().exec_driver_sql("BEGIN")
        else:
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        # closing ends the transaction (the pool rolls back on return) and, unlike a rollback,
        # leaves what was read loaded for the renderers
        yield session


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on any error."""
    with Session(engine) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


IN_CHUNK = 2_000  # bound parameters per IN (...) list, well inside SQLite's limit
T = TypeVar("T")


def in_chunks(values: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    """`values` in runs of at most `size`, for IN lists and multi-row inserts."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def upsert_insert(connection: Connection, table: Table) -> Any:
    """`INSERT` of `table` in the connection's dialect, which has `on_conflict_do_nothing` and
    `on_conflict_do_update` (PostgreSQL and SQLite; any other is refused)."""
    dialects: dict[str, Any] = {"postgresql": postgresql, "sqlite": sqlite}
    dialect = dialects.get(connection.dialect.name)
    if dialect is None:
        raise NotImplementedError(
            f"clvbot needs PostgreSQL or SQLite, not {connection.dialect.name}"
        )
    return dialect.insert(table)
