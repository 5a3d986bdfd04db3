"""A column-at-a-time parser for batches of clean order rows.

Most batches of a real export are clean. Parsing them a column at a time with C-level `map`s
and comprehensions costs a fraction of calling a Python function per field; a batch with any
value this parser does not accept as-is returns None and is parsed row by row instead, which
finds and reports every bad row exactly as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from decimal import Context, Decimal, InvalidOperation
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

    lines: Lines
    order_ids: list[str]
    customer_ids: list[str]
    ordered_at: list[Any]
    ordered_on: list[Any]
    amounts: list[int]
    emails: list[str | None] | None  # None: no email in this batch
    names: list[str | None] | None

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
            self.emails or [None] * n,
            self.names or [None] * n,
            strict=True,
        )
        pairs = zip(self.lines, values, strict=True)
        if only is not None:
            pairs = (pair for pair in pairs if pair[1][1] in only)  # type: ignore[assignment]
        return [(line, fields, make_row(v)) for (line, fields), v in pairs]


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
        self.exact = (
            rf"[+-]?[0-9]+\.[0-9]{{{exponent}}}" if exponent else "[+-]?[0-9]+"
        )  # all amounts with exactly the currency's decimals: the fastest path

    def __call__(self, lines: Lines) -> OrderColumns | None:
        columns = self.columns
        i_order, i_customer = columns["order_id"], columns["customer_id"]
        i_date, i_amount = columns["ordered_at"], columns["amount"]
        rows = [fields for _, fields in lines]
        if not rows or (type(rows[0]) is Reshaped and any_problem(lines)):
            return None
        if set(map(len, rows)) != {self.width} or "\0" in "".join(map("".join, rows)):
            return None
        cols = list(zip(*rows, strict=True))
        order_ids = [v.strip() for v in cols[i_order]]
        customer_ids = [v.strip() for v in cols[i_customer]]
        if not (all(order_ids) and all(customer_ids)):
            return None
        if max(map(len, order_ids)) > 128 or max(map(len, customer_ids)) > 128:
            return None
        try:
            moments = list(map(datetime.fromisoformat, cols[i_date]))
        except ValueError:
            return None
        if any(moment.tzinfo is not None for moment in moments):  # an offset: the instant
            try:
                moments = [m if m.tzinfo is None else m.astimezone(UTC).replace(tzinfo=None)
                           for m in moments]  # fmt: skip
            except OverflowError:  # 9999-12-31T23:00-05:00: the row parser names the range
                return None
        if min(moments) < self.first or max(moments) >= self.end:
            return None  # the row-by-row parser names the accepted range
        minor = _minor_units(cols[i_amount], self.exponent, re.compile(self.exact))
        if minor is None:
            return None
        emails = _optional(cols, columns.get("email"), str.strip)
        if emails is not None and (emails := _addresses(emails)) is None:
            return None
        names = _optional(cols, columns.get("name"), str.strip)
        if names is not None and max(len(name or "") for name in names) > 256:
            return None
        if self.sqlite:  # SQLAlchemy's SQLite format, built from canonical text when it can
            at: list[Any] = [
                f"{t[:10]} {t[11:19]}.000000"
                if len(t) == 19 and t[10] in "T "
                else m.isoformat(" ", "microseconds")
                for t, m in zip(cols[i_date], moments, strict=True)
            ]
            on: list[Any] = [text[:10] for text in at]
        else:
            at = [m.replace(tzinfo=UTC) for m in moments]
            on = [m.date() for m in moments]
        return OrderColumns(lines, order_ids, customer_ids, at, on, minor, emails, names)


def _optional(
    cols: list[tuple[str, ...]], index: int | None, clean: Callable[[str], str]
) -> list[str | None] | None:
    """A cleaned optional column, or None when the batch has no value in it at all."""
    if index is None or not any(cols[index]):
        return None
    values = [clean(v.strip()) or None for v in cols[index]]
    return values if any(values) else None


def _addresses(emails: list[str | None]) -> list[str | None] | None:
    """The addresses as the row parser stores them, each distinct one checked once; None if
    any is not valid (the row-by-row parser says why)."""
    try:
        stored = {email: parse_email(email) for email in set(emails) if email is not None}
    except FieldError:
        return None
    return [stored[email] if email is not None else None for email in emails]


def _minor_units(
    amounts: tuple[str, ...], exponent: int, exact: re.Pattern[str]
) -> list[int] | None:
    """Amounts in minor units, or None if any needs the row-by-row parser."""
    if max(map(len, amounts)) > MAX_AMOUNT_TEXT:
        return None  # before int(): thousands of digits cost time (and hit int's own limit)
    if all(map(exact.fullmatch, amounts)):  # e.g. all "12.30": drop the point
        minor = [int(a.replace(".", "")) for a in amounts]
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
