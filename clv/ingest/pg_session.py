"""The import's PostgreSQL cursor, with a COPY that stays open across batches.

While a COPY is open, the server inserts the rows already sent as this process parses and
prepares the next batch: the two work at once, on the machine's two cores. Any other
statement ends the open COPY first (a connection runs one command at a time). A failed
import ends it with an error (the server drops what it had), before the rollback.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, suppress
from types import TracebackType
from typing import Any

from sqlalchemy import Connection


class PgSession:
    def __init__(self, connection: Connection) -> None:
        raw: Any = connection.connection.dbapi_connection
        self.cursor: Any = raw.cursor()
        self._open: tuple[str, AbstractContextManager[Any], Any] | None = None

    def execute(self, query: str, params: Any = None) -> Any:
        """Run a statement (ending an open COPY first); the cursor, to fetch from."""
        self.end_copy()
        self.cursor.execute(query, params)
        return self.cursor

    def copy(self, statement: str, payload: str) -> None:
        """COPY `payload` (COPY text) in a statement of its own."""
        self.end_copy()
        with self.cursor.copy(statement) as copy:
            copy.write(payload)

    def stream(self, statement: str, payload: str) -> None:
        """Send `payload` to the open COPY `statement` (opening it if need be), without
        waiting for the server to insert it."""
        if self._open is None or self._open[0] != statement:
            self.end_copy()
            context = self.cursor.copy(statement)
            self._open = (statement, context, context.__enter__())
        self._open[2].write(payload)

    def end_copy(self) -> None:
        """Wait for the open COPY, if any, to be done."""
        if self._open is not None:
            context, self._open = self._open[1], None
            context.__exit__(None, None, None)

    def __enter__(self) -> PgSession:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._open is None:
            return
        if kind is None:
            self.end_copy()
            return
        context, self._open = self._open[1], None
        with suppress(Exception):  # the import's own error is the one to report
            context.__exit__(kind, error, trace)  # the server abandons the COPY
