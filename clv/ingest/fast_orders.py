"""A column-at-a-time parser for batches of clean order rows.

Most batches of a real export are clean. Parsing them a column at a time with C-level `map`s
and comprehensions costs a fraction of calling a Python function per field; a batch with any
value this parser does not accept as-is returns None and is parsed row by row instead, which
finds and reports every bad row exactly as before.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, time, timedelta
from decimal import Context, Decimal, InvalidOperation
from operator import attrgetter, itemgetter
from typing import Any, NamedTuple

from clv.ingest.formats.base import Reshaped, any_problem
from clv.ingest.parsing import (
    MAX_AMOUNT_TEXT,
    DayRange,
    FieldError,
    largest_amount,
    parse_email,
)

_AMOUNT = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")
_EXACT = Context(prec=MAX_AMOUNT_TEXT + 4)  # never rounds an amount text the parser accepts
Lines = list[tuple[int, list[str]]]


class OrderColumns(NamedTuple):
    """A clean batch, column by column (timestamps and days in the store's own format)."""

    lines: Sequence[tuple[int, list[str]]]  # a list, or `PackedLines` from a reader process
    order_ids: list[str]
    customer_ids: list[str]
    ordered_at: list[Any]
    ordered_on: list[Any]
    amounts: list[int]
    emails: list[str] | None  # '' for none; None: no email in this batch
    names: list[str] | None

    def rows(
        self, make_row: Callable[[Any], Any], only: set[str] | None = None
    ) -> list[tuple[int, list[str], Any]]:
        """The batch as (line, fields, row) tuples, optionally only of some customers."""
        n = len(self.lines)
        values = zip(
            self.order_ids,
            self.customer_ids,
            self.ordered_at,
            self.ordered_on,
            self.amounts,
            [e or None for e in self.emails] if self.emails else [None] * n,
            [e or None for e in self.names] if self.names else [None] * n,
            strict=True,
        )
        pairs = zip(self.lines, values, strict=True)
        if only is not None:
            pairs = (pair for pair in pairs if pair[1][1] in only)  # type: ignore[assignment]
        return [(line, fields, make_row(v)) for (line, fields), v in pairs]

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickled with its records and columns packed, each into one string (a reader
        process hands batches over: pickling a million small objects costs more than
        parsing them)."""
        return (_unpickle, (PackedLines.pack(self.lines), *map(_pack, self[1:])))


def _unpickle(lines: Sequence[tuple[int, list[str]]], *columns: Any) -> OrderColumns:
    return OrderColumns(lines, *map(_unpack, columns))


_UNIT = "\x1f"  # ASCII unit separator: joins a packed column


def _pack(column: list[Any] | None) -> Any:
    if not column:
        return column
    if type(column[0]) is int:
        return array("q", column)  # pickled as its bytes
    if type(column[0]) is str and (text := _UNIT.join(column)).count(_UNIT) == len(column) - 1:
        return text
    return column  # a value holds the separator (or is no text): as it is


def _unpack(column: Any) -> Any:
    if isinstance(column, str):
        return column.split(_UNIT)
    if isinstance(column, array):
        return column.tolist()
    return column


class PackedLines(Sequence[tuple[int, list[str]]]):
    """A clean batch's records in one string, unpacked when first read.

    Pickling millions of small strings and lists costs more than parsing them; a clean batch's
    records are only read again for a report (a conflict), so they travel as one string.
    """

    _RECORD, _FIELD = "\x1e", "\x1f"  # ASCII record and unit separators

    def __init__(self, numbers: Sequence[int], text: str) -> None:
        self.numbers = numbers
        self.text = text
        self._lines: list[tuple[int, list[str]]] | None = None

    @classmethod
    def pack(cls, lines: Sequence[tuple[int, list[str]]]) -> Sequence[tuple[int, list[str]]]:
        """`lines` packed, or as they are if a field holds a separator (or is no plain list)."""
        if not lines or isinstance(lines, PackedLines) or type(lines[0][1]) is not list:
            return lines
        rows = list(map(itemgetter(1), lines))
        text = cls._RECORD.join(map(cls._FIELD.join, rows))
        fields = sum(map(len, rows))
        if text.count(cls._FIELD) != fields - len(rows) or text.count(cls._RECORD) != len(rows) - 1:
            return lines
        first, last = lines[0][0], lines[-1][0]
        contiguous = last - first == len(lines) - 1
        numbers = range(first, last + 1) if contiguous else list(map(itemgetter(0), lines))
        return cls(numbers, text)

    def _unpacked(self) -> list[tuple[int, list[str]]]:
        if self._lines is None:
            records = self.text.split(self._RECORD)
            rows = [record.split(self._FIELD) for record in records]
            self._lines = list(zip(self.numbers, rows, strict=True))
        return self._lines

    def __len__(self) -> int:
        return len(self.numbers)

    def __getitem__(self, index: Any) -> Any:
        return self._unpacked()[index]

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        return iter(self._unpacked())

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (PackedLines, (self.numbers, self.text))


class OrderBatchParser:
    """Parses clean batches of rows in UTC without a date format (the caller checks that):
    a timestamp with a UTC offset is that instant, one without is in UTC.

    A plain picklable object, so that a reader process can run it.
    """

    def __init__(
        self, columns: dict[str, int], width: int, exponent: int, sqlite: bool, *, days: DayRange
    ) -> None:
        self.columns = columns
        self.width = width
        self.exponent = exponent
        self.sqlite = sqlite
        # accepted moments (UTC, naive): from the first day's midnight to the last day's end
        self.first = datetime.combine(days.earliest, time())
        self.end = datetime.combine(days.latest + timedelta(days=1), time())
        # all amounts with exactly the currency's decimals: the fastest path
        amount = rf"[+-]?[0-9]+\.[0-9]{{{exponent}}}" if exponent else "[+-]?[0-9]+"
        self.exact = re.compile(rf"{amount}(?:{_UNIT}{amount})*")
        self.addresses: dict[str, str] = {}  # see `_addresses`

    def __call__(self, lines: Lines) -> OrderColumns | None:
        columns = self.columns
        i_order, i_customer = columns["order_id"], columns["customer_id"]
        i_date, i_amount = columns["ordered_at"], columns["amount"]
        rows = list(map(itemgetter(1), lines))
        if not rows or (type(rows[0]) is Reshaped and any_problem(lines)):
            return None
        if set(map(len, rows)) != {self.width} or "\0" in "".join(map("".join, rows)):
            return None
        cols = list(zip(*rows, strict=True))
        order_ids = list(map(str.strip, cols[i_order]))
        customer_ids = list(map(str.strip, cols[i_customer]))
        if not (all(order_ids) and all(customer_ids)):
            return None
        if max(map(len, order_ids)) > 128 or max(map(len, customer_ids)) > 128:
            return None
        try:
            moments = list(map(datetime.fromisoformat, cols[i_date]))
        except ValueError:
            return None
        converted = set(map(attrgetter("tzinfo"), moments)) != {None}
        if converted:  # an offset: the instant
            try:
                moments = [m if m.tzinfo is None else m.astimezone(UTC).replace(tzinfo=None)
                           for m in moments]  # fmt: skip
            except OverflowError:  # 9999-12-31T23:00-05:00: the row parser names the range
                return None
        if min(moments) < self.first or max(moments) >= self.end:
            return None  # the row-by-row parser names the accepted range
        minor = _minor_units(cols[i_amount], self.exponent, self.exact)
        if minor is None:
            return None
        emails = _optional(cols, columns.get("email"))
        if emails is not None and (emails := _addresses(emails, self.addresses)) is None:
            return None
        names = _optional(cols, columns.get("name"))
        if names is not None and max(map(len, names)) > 256:
            return None
        at: list[Any] = iso_texts(cols[i_date], moments, converted=converted)
        if self.sqlite:  # SQLAlchemy's SQLite format
            at = sqlite_texts(at)
        on: list[Any] = [text[:10] for text in at]
        return OrderColumns(lines, order_ids, customer_ids, at, on, minor, emails, names)


_SEPARATOR = "\x1f"  # joins a column to match it at once (no field holds it after a check)
_SECOND = r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}"
_SECONDS = re.compile(rf"{_SECOND}(?:{_SEPARATOR}{_SECOND})*")
_DAY = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_DAYS = re.compile(rf"{_DAY}(?:{_SEPARATOR}{_DAY})*")
_MIDNIGHT = "T00:00:00"


def iso_texts(texts: tuple[str, ...], moments: list[datetime], *, converted: bool) -> list[str]:
    """Each moment (naive, in UTC) as `datetime.isoformat()` writes it: one text per instant,
    which PostgreSQL reads back as that instant in a UTC session.

    Taken from the texts themselves when the whole column is `YYYY-MM-DD` or
    `YYYY-MM-DD[T ]HH:MM:SS` (most exports), without a Python call per row. `datetime` reads
    more than that (`2024-W01-1`, `20240105T10`, `10:00+01`): those are written anew.
    """
    if not converted:  # each text was read by `datetime`: none holds the separator
        joined = _SEPARATOR.join(texts)
        if _SECONDS.fullmatch(joined):
            return joined.replace(" ", "T").split(_SEPARATOR) if " " in joined else list(texts)
        if _DAYS.fullmatch(joined):
            return (joined.replace(_SEPARATOR, _MIDNIGHT + _SEPARATOR) + _MIDNIGHT).split(
                _SEPARATOR
            )
    return [moment.isoformat() for moment in moments]


def sqlite_texts(iso: list[str]) -> list[str]:
    """ISO texts of naive UTC moments in SQLAlchemy's SQLite format (`YYYY-MM-DD HH:MM:SS.ffffff`,
    as `UTCDateTime` stores them)."""
    joined = _SEPARATOR.join(iso)
    if len(joined) == 20 * len(iso) - 1:  # all to the second: `isoformat` wrote no fraction
        return (
            (joined.replace(_SEPARATOR, ".000000" + _SEPARATOR) + ".000000")
            .replace("T", " ")
            .split(_SEPARATOR)
        )
    return [
        text.replace("T", " ") if len(text) > 19 else f"{text[:10]} {text[11:]}.000000"
        for text in iso
    ]


def _optional(cols: list[tuple[str, ...]], index: int | None) -> list[str] | None:
    """An optional column stripped ('' where empty), or None when the batch has no value in
    it at all."""
    if index is None or not any(cols[index]):
        return None
    values = list(map(str.strip, cols[index]))
    return values if any(values) else None


_ADDRESSES_KEPT = 200_000  # checked addresses remembered across batches (customers repeat)


def _addresses(emails: list[str], checked: dict[str, str]) -> list[str] | None:
    """The addresses as the row parser stores them, each distinct one checked once (`checked`
    remembers them: text -> stored address); None if any is not valid (the row-by-row parser
    says why)."""
    new = set(emails).difference(checked)
    new.discard("")
    if len(checked) + len(new) > _ADDRESSES_KEPT:
        checked.clear()
        new = set(emails) - {""}
    try:
        checked.update({email: parse_email(email) for email in new})
    except FieldError:
        return None
    stored = list(map(checked.get, emails, emails))  # an empty one stays empty
    return emails if stored == emails else stored  # most are written as stored already


def _minor_units(
    amounts: tuple[str, ...], exponent: int, exact: re.Pattern[str]
) -> list[int] | None:
    """Amounts in minor units, or None if any needs the row-by-row parser; `exact` matches
    a column (joined by `_UNIT`) of amounts with exactly the currency's decimals."""
    if max(map(len, amounts)) > MAX_AMOUNT_TEXT:
        return None  # before int(): thousands of digits cost time (and hit int's own limit)
    joined = _UNIT.join(amounts)
    if exact.fullmatch(joined):  # e.g. all "12.30": drop the points
        minor = list(map(int, joined.replace(".", "").split(_UNIT)))
    elif not all(map(_AMOUNT.fullmatch, amounts)):
        return None
    else:
        try:
            scaled = [Decimal(a).scaleb(exponent, _EXACT) for a in amounts]
        except InvalidOperation:
            return None
        minor = list(map(int, scaled))
        if any(s != m for s, m in zip(scaled, minor, strict=True)):
            return None  # too many decimals: the row-by-row parser says which
    largest = largest_amount(exponent)
    if max(minor) > largest or min(minor) < -largest:
        return None  # the row-by-row parser names the limit
    return minor
