"""PostgreSQL's binary COPY format, written and read with numpy: no Python object per value.

A scoring run moves millions of values each way; through Python tuples each costs a
microsecond or more, through the binary format (https://www.postgresql.org/docs/current/
sql-copy.html, "Binary Format") a few nanoseconds. A tuple is a 16-bit field count, then per
field a 32-bit length (-1: NULL) and the value, big-endian. Rows whose fields all have the same
width are records of one numpy dtype: the rows are grouped by their shape (which fields are
NULL, how long each text is) and each group is written as one array. COPY does not care
about the order of the rows, so the groups follow each other.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags, header extension length
TRAILER = b"\xff\xff"
PG_EPOCH_DAY = 10_957  # 2000-01-01 in days since 1970-01-01: where PostgreSQL counts from
PG_EPOCH_US = PG_EPOCH_DAY * 86_400 * 1_000_000

# PostgreSQL type -> the big-endian numpy type of its binary value
FIXED = {"int2": ">i2", "int4": ">i4", "int8": ">i8", "float8": ">f8", "bool": "?", "date": ">i4"}


@dataclass(frozen=True)
class Column:
    """One column of the rows to copy.

    `kind` is a key of FIXED or "text". Fixed kinds take `values` of numbers (a "date" in days
    since 1970-01-01, a "bool" as booleans); NULL where `null` is true. A "text" column is
    categorical: `values` are codes into `labels`, -1 for NULL; or, without labels, a numpy
    bytes array whose values all have its full width (keys like b"o00000042").
    """

    kind: str
    values: npt.NDArray[Any]
    null: npt.NDArray[np.bool_] | None = None
    labels: Sequence[str] = ()


CHUNK_ROWS = 100_000  # rows encoded at a time: a few tens of MB, whatever the total


def encode(columns: Sequence[Column], chunk_rows: int = CHUNK_ROWS) -> Iterator[bytes]:
    """The rows of `columns` as a binary COPY stream (header, tuples, trailer), in pieces of
    at most `chunk_rows` rows."""
    yield HEADER
    n = columns[0].values.size if columns else 0
    for start in range(0, n, chunk_rows):
        part = [_rows(column, start, start + chunk_rows) for column in columns]
        yield from _tuples(part, part[0].values.size)
    yield TRAILER


def _rows(column: Column, start: int, stop: int) -> Column:
    null = None if column.null is None else column.null[start:stop]
    return Column(column.kind, column.values[start:stop], null, column.labels)


def _tuples(columns: Sequence[Column], n: int) -> Iterator[bytes]:
    shapes = np.zeros(n, dtype=np.int64)  # a row's shape: which fields are NULL, text lengths
    texts: list[tuple[npt.NDArray[np.int64], list[bytes], npt.NDArray[np.int64]]] = []
    for column in columns:
        if column.kind == "text" and column.values.dtype.kind == "S":
            continue  # one width for every row
        if column.kind == "text":
            encoded = [label.encode() for label in column.labels]
            lengths = np.array([len(b) for b in encoded] + [-1], dtype=np.int64)  # -1: NULL
            codes = np.asarray(column.values, dtype=np.int64)
            codes = np.where(codes < 0, len(encoded), codes)
            texts.append((codes, encoded, lengths))
            distinct = np.unique(lengths).size
            shapes = shapes * distinct + np.searchsorted(np.unique(lengths), lengths[codes])
        elif column.null is not None:
            shapes = shapes * 2 + column.null
    order = np.argsort(shapes, kind="stable")
    bounds = np.flatnonzero(np.diff(shapes[order])) + 1
    for rows in np.split(order, bounds):
        yield _group(columns, texts, rows)


def _group(
    columns: Sequence[Column],
    texts: list[tuple[npt.NDArray[np.int64], list[bytes], npt.NDArray[np.int64]]],
    rows: npt.NDArray[np.intp],
) -> bytes:
    """The tuples of `rows`, which all have one shape: one record array."""
    first = int(rows[0])
    fields: list[tuple[str, str]] = [("count", ">i2")]
    fills: list[tuple[str, Any]] = [("count", len(columns))]
    text_at = iter(texts)
    for i, column in enumerate(columns):
        if column.kind == "text" and column.values.dtype.kind == "S":
            fields += [(f"n{i}", ">i4"), (f"v{i}", column.values.dtype.str)]
            fills += [(f"n{i}", column.values.dtype.itemsize), (f"v{i}", column.values[rows])]
            continue
        if column.kind == "text":
            codes, encoded, lengths = next(text_at)
            width = int(lengths[codes[first]])
            fields.append((f"n{i}", ">i4"))
            fills.append((f"n{i}", width))
            if width > 0:
                labels = np.array([*encoded, b""], dtype=f"S{width}")
                fields.append((f"v{i}", f"S{width}"))
                fills.append((f"v{i}", labels[codes[rows]]))
            continue
        null = column.null is not None and bool(column.null[first])
        width = np.dtype(FIXED[column.kind]).itemsize
        fields.append((f"n{i}", ">i4"))
        fills.append((f"n{i}", -1 if null else width))
        if not null:
            fields.append((f"v{i}", FIXED[column.kind]))
            fills.append((f"v{i}", _binary_values(column, rows)))
    records = np.empty(rows.size, dtype=np.dtype(fields))
    for name, value in fills:
        records[name] = value
    return records.tobytes()


def _binary_values(column: Column, rows: npt.NDArray[np.intp]) -> npt.NDArray[Any]:
    values = column.values[rows]
    if column.kind == "date":
        return values - PG_EPOCH_DAY
    return values


def decode_int8(data: bytes | bytearray | memoryview, width: int) -> npt.NDArray[np.int64]:
    """Rows of `width` non-NULL int8 fields (a COPY ... TO STDOUT (FORMAT binary) body, no
    header or trailer) as an (n, width) matrix."""
    fields: list[tuple[str, str]] = [("count", ">i2")]
    for i in range(width):
        fields += [(f"n{i}", ">i4"), (f"v{i}", ">i8")]
    records = np.frombuffer(data, dtype=np.dtype(fields))
    out = np.empty((records.size, width), dtype=np.int64)
    for i in range(width):
        out[:, i] = records[f"v{i}"]
    return out
