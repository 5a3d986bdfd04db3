"""Is the store usable now? The health check, and which errors mean "the store is down"."""

from __future__ import annotations

import os
import re

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from clv.store.deadline import StoreNotAnsweringError
from clv.store.engine import StoreFileError, sqlite_file
from clv.store.schema import SchemaNotCurrentError, require_current_schema

# SQLite reports an unusable store only in its messages ("no such table" is a bug, not this)
_SQLITE_DOWN = re.compile(
    r"locked|busy|unable to open|disk i/o|not a database|readonly|malformed|no such file",
    re.IGNORECASE,
)


def is_store_unavailable(exc: BaseException) -> bool:
    """True when `exc` says the store cannot be reached or used right now (down, hung, locked,
    deleted, unreadable), as opposed to a bug in a query."""
    if isinstance(exc, StoreNotAnsweringError | PoolTimeoutError | StoreFileError):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    orig = exc.orig
    module = type(orig).__module__
    if module.startswith("psycopg"):
        import psycopg

        # connection failures, cancelled (timed-out) statements, a shutting-down server
        return isinstance(orig, psycopg.OperationalError)
    return bool(_SQLITE_DOWN.search(str(orig)))


def store_problem(engine: Engine) -> str | None:
    """None when the store at the engine's URL can be read and written now; else what is wrong
    (one line, no secrets)."""
    path = sqlite_file(engine.url)
    if path is not None:
        if not path.exists():
            return f"the database file {path} does not exist"
        if not os.access(path, os.R_OK | os.W_OK) or not os.access(path.parent, os.W_OK):
            return f"the database file {path} or its folder is not readable and writable"
    try:
        require_current_schema(engine)
        if path is None:
            with engine.connect() as connection:
                read_only = connection.exec_driver_sql("SHOW transaction_read_only").scalar()
            if read_only == "on":
                return "the database is read-only (a standby or a read-only user)"
    except SchemaNotCurrentError as exc:
        return str(exc)
    except SQLAlchemyError as exc:
        return f"the store cannot be used: {one_line(exc)}"
    return None


def one_line(exc: BaseException) -> str:
    """An error for a log line or a status: its type and first line, without the SQL."""
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    first = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
    return f"{type(cause).__name__}: {first}"[:300]
