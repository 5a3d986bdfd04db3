"""PostgreSQL's COPY text format and text-array parameters, built a column at a time.

psycopg's `write_row` and its list dumper cost a few microseconds per value in Python; an
import sends tens of millions of values. Joining whole columns with `str.join` costs a tenth of
that. COPY's text format (https://www.postgresql.org/docs/current/sql-copy.html, "Text
Format"): fields separated by tabs, rows by newlines, `\\N` for NULL, and a backslash, tab,
newline or carriage return inside a value written as `\\\\`, `\\t`, `\\n`, `\\r`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

NULL = "\\N"
_SPECIAL = ("\\", "\t", "\n", "\r")
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
SEPARATOR = "\x1f"  # joins a text array's elements (ASCII unit separator; see `text_array`)


def copy_column(values: Sequence[str | None]) -> Sequence[str]:
    """A column's values as COPY text fields: escaped where needed, None as NULL."""
    nulls = None in values
    joined = "".join([v for v in values if v is not None] if nulls else values)  # type: ignore[arg-type]
    if not any(c in joined for c in _SPECIAL):
        return [NULL if v is None else v for v in values] if nulls else values  # type: ignore[return-value]
    return [NULL if v is None else v.translate(_ESCAPES) for v in values]


def copy_rows(*columns: Iterable[str]) -> str:
    """The rows whose fields are `columns` (already COPY text fields), as one COPY payload."""
    text = "\n".join(map("\t".join, zip(*columns, strict=True)))
    return text + "\n" if text else ""


def text_array(values: Sequence[str | None]) -> tuple[str, Any]:
    """SQL for a text[] parameter and its value: `values` joined into one string, which the
    server splits (`string_to_array`), or the list itself (psycopg's dumper) when a value
    holds the separator. None and '' both become NULL (the importers never store '')."""
    joined = SEPARATOR.join([v or "" for v in values])
    # one empty string would split into no element at all
    if joined.count(SEPARATOR) == len(values) - 1 and joined:
        return f"string_to_array(%s, E'\\x{ord(SEPARATOR):02x}', '')", joined
    return "%s::text[]", [v or None for v in values]


def int_array(values: Iterable[int]) -> tuple[str, str]:
    """SQL for an int8[] parameter and its value (decimal text joined with commas)."""
    return "string_to_array(%s, ',')::int8[]", ",".join(map(str, values))
