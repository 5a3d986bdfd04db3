"""Orders from a SQL query: `clvbot import orders --from-sql URL --query "SELECT ..."`.

Any SQLAlchemy URL (`postgresql://` is read with psycopg 3, the driver clvbot installs). The
result is streamed in batches (a server-side cursor on PostgreSQL) and imported exactly as a
CSV file is: the same column names and `--map`, validation, one transaction, rejects file and
summary. A reject names its row of the result set (`from-sql:17: amount: ...`). The URL's
password is never printed or logged: messages show the URL with `***` in its place.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Connection, Engine, create_engine, make_url, text
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from clv.ingest.source import CsvSource, ImportFileError

SOURCE_NAME = Path("from-sql")  # how summaries and rejects name a query's result
_DRIVERLESS = {"postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg"}


def source_url(url: str) -> URL:
    """The URL parsed, `postgresql://` read with psycopg 3; ImportFileError if it is no URL."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ImportFileError(
            "--from-sql: not a database URL (e.g. postgresql://user@host/shop)"
        ) from None
    driver = _DRIVERLESS.get(parsed.drivername)
    return parsed.set(drivername=driver) if driver else parsed


def masked(url: URL) -> str:
    """The URL as it may be shown: its password replaced by ***."""
    return url.render_as_string(hide_password=True)


def _problem(url: URL, exc: BaseException, doing: str) -> ImportFileError:
    """A message for a failed connection or query, without the password in it."""
    detail = (
        str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        if str(exc)
        else type(exc).__name__
    )
    if url.password:
        detail = detail.replace(str(url.password), "***")
    return ImportFileError(f"--from-sql {masked(url)}: {doing}: {detail}")


def as_text(value: Any) -> str:
    """A result value as the CSV importer reads it (exact: Decimal never through a float)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass
class QuerySource(CsvSource):
    """The result of a query, read like a CSV file: rows numbered from 1."""

    engine: Engine | None = None
    connection: Connection | None = None
    result: CursorResult[Any] | None = None
    url: URL | None = None
    query: str = ""
    params: dict[str, Any] | None = None
    rows_read: int = 0
    max_row_buffer: int = 20_000

    @property
    def bytes_read(self) -> int:
        return self.rows_read  # progress counts rows: a query has no size in bytes

    @property
    def size(self) -> int:
        return 0

    def _records(self, size: int) -> Iterator[list[tuple[int, list[str]]]]:
        assert self.result is not None
        assert self.url is not None
        try:
            while rows := self.result.fetchmany(size):
                first = self.rows_read + 1
                self.rows_read += len(rows)
                yield [(first + i, list(map(as_text, row))) for i, row in enumerate(rows)]
        except SQLAlchemyError as exc:
            raise _problem(self.url, exc, f"reading row {self.rows_read + 1} failed") from None

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
        if self.engine is not None:
            self.engine.dispose()

    def release(self) -> None:
        """Close this process's connection before a reader process runs the query again."""
        self.close()
        self.result = self.connection = self.engine = None

    def reopen(self) -> QuerySource:
        """The query run again on a connection of its own (in a reader process)."""
        assert self.url is not None
        again = open_query(
            self.url.render_as_string(hide_password=False),
            self.query,
            batch_size=self.max_row_buffer,
            params=self.params,
        )
        again.columns, again.reshape, again.layout_width = (
            self.columns,
            self.reshape,
            self.layout_width,
        )
        return again


def open_query(
    url: str, query: str, *, batch_size: int, params: dict[str, Any] | None = None
) -> QuerySource:
    """Connect to `url` and run `query` (with `params` bound to its `:name`s), ready to
    stream its rows."""
    parsed = source_url(url)
    if not query.strip():
        raise ImportFileError("--query: the query is empty")
    try:
        engine = create_engine(parsed)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise _problem(parsed, exc, "cannot use this database") from None
    try:
        connection = engine.connect().execution_options(
            stream_results=True, max_row_buffer=batch_size
        )
    except SQLAlchemyError as exc:
        engine.dispose()
        raise _problem(parsed, exc, "cannot connect") from None
    try:
        if params:  # SQLAlchemy binds `:name`; otherwise the query goes to the driver as written
            result = connection.execute(text(query), params)
        else:
            result = connection.exec_driver_sql(query)
    except SQLAlchemyError as exc:
        connection.close()
        engine.dispose()
        raise _problem(parsed, exc, "the query failed") from None
    names = result.keys()
    header = [str(name) for name in names]
    source = QuerySource(SOURCE_NAME, header, {}, io.StringIO(), None)
    source.engine, source.connection, source.result, source.url = engine, connection, result, parsed
    source.query, source.params, source.max_row_buffer = query, params, batch_size
    return source
