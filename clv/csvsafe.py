"""CSV cells a spreadsheet would run as a formula: neutralised on write, restored on read.

Every CSV clvbot writes goes through `writer`: a cell starting with `=`, `+`, `-`, `@`, tab or
carriage return gets a leading single quote, so a spreadsheet shows it as text instead of
running it (OWASP, CSV Injection: https://owasp.org/www-community/attacks/CSV_Injection).
Every CSV clvbot imports goes through `restore_rows`, which removes that quote again: a rejects
file fixed and imported again gives back the values it was written from (`'-12.50` is the
refund -12.50, `'=x` is `=x`). To keep that exact for any value, one that already starts with
quotes before such a character gets one more quote (`'=x` is written `''=x`).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import IO, Any

_RISKY = re.compile(r"'*[=+\-@\t\r]")  # optional quotes, then a character that starts a formula


def neutralise(value: object) -> object:
    """The cell to write for `value`: a quote before text that would start a formula."""
    if isinstance(value, str) and _RISKY.match(value):
        return "'" + value
    return value


def restore(cell: str) -> str:
    """The value a cell written by `neutralise` came from (other cells are unchanged)."""
    if cell[:1] == "'" and _RISKY.match(cell, 1):
        return cell[1:]
    return cell


class SafeWriter:
    """`csv.writer` with every cell neutralised."""

    def __init__(self, file: IO[str]) -> None:
        self._writer: Any = csv.writer(file)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([neutralise(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(file: IO[str]) -> SafeWriter:
    """A CSV writer for `file` (opened with `newline=""`) that neutralises formula cells."""
    return SafeWriter(file)


def restore_rows(rows: list[tuple[int, list[str]]]) -> None:
    """Restore, in place, the fields of (line, fields) records that `neutralise` quoted."""
    # one C-level scan of the batch; only rows with a quote somewhere pay for a closer look
    if "'" not in "".join(["".join(fields) for _, fields in rows]):
        return
    for _, fields in rows:
        if "'" in "".join(fields):
            fields[:] = [restore(field) for field in fields]
