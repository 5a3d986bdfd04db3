"""Each customer's acquisition facts (channel, NPS answer, acquisition time), read in the
scoring run's scan of the customers as one packed integer per customer.

A Python integer per value read costs about half a microsecond, so three facts for a million
customers would add seconds to a run; packed into the same row as the id and the acquisition
cost they cost one column. The channel comes as its code from a CASE over the distinct names
(read off `ix_customers_channel`); a store with more than MAX_CASE_CHANNELS channels reads
them as names instead. The acquisition time is kept in quarter-hours since 1970 (UTC): time
zone offsets are whole quarter-hours, so its calendar day in any zone is still exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import BigInteger, Connection, case, func, literal, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.expression import FunctionElement

from clv.segments.scores import IntArray
from clv.store.tables import customers_table as customers

MAX_CASE_CHANNELS = 2000  # channel codes + 1 fit CHANNEL_BITS
CHANNEL_BITS, NPS_BITS = 11, 4
QUARTER_HOUR = 900


class epoch_seconds(FunctionElement[int]):  # noqa: N801  (an SQL function, named like one)
    """Seconds since 1970-01-01 UTC of a UTC timestamp column, in each dialect's arithmetic."""

    type = BigInteger()
    inherit_cache = True


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    return f"CAST(strftime('%s', {compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(epoch_seconds)
def _epoch_default(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    # FLOOR: a cast rounds, and 21:59:59.6 must stay in its quarter-hour (and day)
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})) AS BIGINT)"


@dataclass(frozen=True)
class CustomerFacts:
    """One entry per customer, in the summary's order."""

    channel: IntArray  # index into `channel_names`; -1: no channel
    channel_names: tuple[str, ...]  # sorted, stripped
    nps: IntArray  # 0-10; -1: no answer
    acquired_quarter_hour: IntArray  # quarter-hours since 1970 UTC; -1: no acquired_at


def channel_codes(connection: Connection) -> tuple[tuple[str, ...], dict[str, int]]:
    """The channel names (stripped, sorted) and each stored spelling's code among them."""
    c = customers.c
    raw = [row[0] for row in connection.execute(select(c.channel).distinct()) if row[0]]
    names = tuple(sorted({name.strip() for name in raw} - {""}))
    index = {name: i for i, name in enumerate(names)}
    return names, {name: index.get(name.strip(), -1) for name in raw}


def packed_facts(codes: dict[str, int]) -> ColumnElement[int]:
    """The SQL expression of a customer's packed facts (channel + 1 in the low bits, then
    NPS + 1, then the acquisition quarter-hour + 1; 0 in a field: unknown)."""
    c = customers.c
    small = len(codes) <= MAX_CASE_CHANNELS
    channel = case(codes, value=c.channel, else_=-1) if codes and small else literal(-1)
    quarter = func.coalesce(epoch_seconds(c.acquired_at) // QUARTER_HOUR, -1)
    nps = func.coalesce(c.nps, -1)
    shift = CHANNEL_BITS + NPS_BITS
    return (quarter + 1) * (1 << shift) + (nps + 1) * (1 << CHANNEL_BITS) + (channel + 1)


def unpack(
    connection: Connection, packed: IntArray, ids: IntArray, names: tuple[str, ...],
    codes: dict[str, int],
) -> CustomerFacts:  # fmt: skip
    channel = (packed & ((1 << CHANNEL_BITS) - 1)) - 1
    if len(codes) > MAX_CASE_CHANNELS:
        channel = _channels_by_name(connection, ids, codes)
    nps = ((packed >> CHANNEL_BITS) & ((1 << NPS_BITS) - 1)) - 1
    quarter = (packed >> (CHANNEL_BITS + NPS_BITS)) - 1
    return CustomerFacts(channel, names, nps, quarter)


def _channels_by_name(connection: Connection, ids: IntArray, codes: dict[str, int]) -> IntArray:
    """Channel codes read as names (a shop with very many channels)."""
    c = customers.c
    rows = connection.execute(select(c.id, c.channel).order_by(c.id)).all()
    by_id = {row_id: codes.get(name, -1) if name else -1 for row_id, name in rows}
    return np.array([by_id.get(int(i), -1) for i in ids.tolist()], dtype=np.int64)
