"""The per-customer facts the acquisition reports are summed from, in one place.

The scoring run's summary and scores give value and behaviour; the customers table gives the
acquisition channel, the NPS answer and the acquisition time (`read_attributes`, one scan).
An acquisition time is turned into the calendar day it fell on in TIMEZONE, as an order's
`ordered_on` is, so that a customer acquired late on the last day of a month belongs to the
month the shop saw. A customer acquired after the run's day, who had not bought by then, is
not yet a customer of that run (a backfill run four weeks back does not count today's
sign-ups).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import BigInteger, Connection, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from clv.scoring.summary import CustomerMonths, CustomerSummary, month_of, to_day
from clv.segments.classify import Classes, StrArray
from clv.segments.definitions import LOYAL_STAGE, total_clv
from clv.segments.scores import BoolArray, FloatArray, IntArray
from clv.store.tables import customers_table as customers

UNKNOWN = -(1 << 62)  # an absent acquisition time, in SQL (NULL would not fit an int matrix)
QUARTER_HOUR = 900  # time zone offsets change on quarter-hour boundaries


class epoch_seconds(FunctionElement[int]):  # noqa: N801  (an SQL function, named like one)
    """Seconds since 1970-01-01 UTC of a UTC timestamp column, in each dialect's arithmetic."""

    type = BigInteger()
    inherit_cache = True


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    return f"CAST(strftime('%s', {compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(epoch_seconds)
def _epoch_default(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) AS BIGINT)"


@dataclass(frozen=True)
class Attributes:
    channel: IntArray  # index into `channel_names`; -1: no channel
    channel_names: tuple[str, ...]  # sorted
    nps: IntArray  # 0-10; -1: no answer
    acquired_day: IntArray  # local day (days since 1970-01-01); -1: unknown


def read_attributes(connection: Connection, ids: IntArray, zone: ZoneInfo) -> Attributes:
    """Channel, NPS answer and acquisition day of the customers `ids` (sorted store ids)."""
    c = customers.c
    query = select(
        c.id,
        func.coalesce(c.channel, ""),
        func.coalesce(c.nps, -1),
        func.coalesce(epoch_seconds(c.acquired_at), UNKNOWN),
    ).order_by(c.id)
    rows = connection.execute(query).cursor.fetchall()
    n = ids.size
    channel, nps = np.full(n, -1, dtype=np.int64), np.full(n, -1, dtype=np.int64)
    acquired = np.full(n, -1, dtype=np.int64)
    if not rows:
        return Attributes(channel, (), nps, acquired)
    read_ids, names, answers, seconds = zip(*rows, strict=True)
    found = np.array(read_ids, dtype=np.int64)
    position = np.searchsorted(ids, found)
    known = (position < n) & (ids[np.minimum(position, n - 1)] == found)
    position = position[known]
    labels = np.array(names, dtype=object)[known]
    distinct = sorted({str(name).strip() for name in set(labels.tolist())} - {""})
    index = {name: i for i, name in enumerate(distinct)}
    channel[position] = [index.get(str(name).strip(), -1) for name in labels.tolist()]
    nps[position] = np.array(answers, dtype=np.int64)[known]
    acquired[position] = local_days(np.array(seconds, dtype=np.int64)[known], zone)
    return Attributes(channel, tuple(distinct), nps, acquired)


def local_days(seconds: IntArray, zone: ZoneInfo) -> IntArray:
    """The calendar day in `zone` of each UTC time (seconds since 1970); -1 for UNKNOWN."""
    known = seconds != UNKNOWN
    days = np.full(seconds.size, -1, dtype=np.int64)
    if not known.any():
        return days
    moments = seconds[known]
    buckets, inverse = np.unique(moments // QUARTER_HOUR, return_inverse=True)
    offsets = np.array(
        [_offset(int(bucket) * QUARTER_HOUR, zone) for bucket in buckets], dtype=np.int64
    )
    days[known] = (moments + offsets[inverse]) // 86_400
    return days


def _offset(second: int, zone: ZoneInfo) -> int:
    offset = datetime.fromtimestamp(second, UTC).astimezone(zone).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


@dataclass(frozen=True)
class Base:
    """One entry per customer of the run (see the module's note on who is one)."""

    buyer: BoolArray
    first_day: IntArray  # -1: no purchase yet
    acquisition_day: IntArray  # acquired_at's day, else the first purchase day; -1: neither
    days_to_first_order: IntArray  # from acquired_at to the first purchase; -1: not known
    retained: BoolArray  # a repeat purchase day
    loyal: BoolArray
    dormant: BoolArray
    historical_minor: FloatArray  # net revenue to date, minor units (sums of them are exact)
    predicted: FloatArray  # predicted CLV
    total: FloatArray  # total CLV
    cac_minor: FloatArray  # NaN: unknown
    scale: float  # minor units per major unit
    channel: IntArray
    channel_names: tuple[str, ...]
    nps: IntArray
    segment: StrArray
    tier: StrArray
    months: CustomerMonths  # rows renumbered to this base's customers

    @property
    def has_cac(self) -> BoolArray:
        return ~np.isnan(self.cac_minor)

    def total_of(self, codes: IntArray, groups: int, minor: FloatArray) -> FloatArray:
        """Per group, the sum of an amount in minor units, in major units (exact cents)."""
        return group_sum(codes, groups, np.nan_to_num(minor)) / self.scale

    @property
    def acquisition_month(self) -> IntArray:
        return np.where(self.acquisition_day >= 0, month_of(self.acquisition_day), -1)

    def __len__(self) -> int:
        return int(self.buyer.size)


def build_base(
    summary: CustomerSummary,
    months: CustomerMonths,
    values: dict[str, Any],
    attributes: Attributes,
    *,
    gross_margin: float,
    exponent: int,
) -> Base:
    """The run's customers with what the reports need, the not-yet-acquired left out."""
    scale = 10.0**exponent
    buyer, first = summary.buyers, summary.first_day
    today = to_day(summary.as_of)
    keep = buyer | (attributes.acquired_day <= today)
    # an acquired_at after the run's day is not known to the run: a buyer was acquired by
    # their first purchase then (a backfill run never sees a later sign-up)
    acquired = np.where(attributes.acquired_day <= today, attributes.acquired_day, -1)
    classes: Classes = values["classes"]
    predicted = values["predicted_clv"]
    historical = summary.historical_minor / scale
    since = np.where(buyer & (acquired >= 0), np.maximum(first - acquired, 0), -1)
    renumber = np.cumsum(keep) - 1
    kept_rows = keep[months.row]
    return Base(
        buyer=buyer[keep],
        first_day=first[keep],
        acquisition_day=np.where(acquired >= 0, acquired, first)[keep],
        days_to_first_order=since[keep],
        retained=(buyer & (summary.frequency > 0))[keep],
        loyal=(classes.stage == LOYAL_STAGE.name)[keep],
        dormant=classes.dormant[keep],
        historical_minor=summary.historical_minor[keep].astype(np.float64),
        predicted=predicted[keep],
        total=total_clv(historical, predicted, gross_margin)[keep],
        cac_minor=summary.acquisition_cost_minor[keep],
        scale=scale,
        channel=attributes.channel[keep],
        channel_names=attributes.channel_names,
        nps=attributes.nps[keep],
        segment=classes.segment[keep],
        tier=classes.tier[keep],
        months=CustomerMonths(
            renumber[months.row[kept_rows]],
            months.month[kept_rows],
            months.net_minor[kept_rows],
            months.purchased[kept_rows],
        ),
    )


def group_sum(codes: IntArray, groups: int, weights: Any = None) -> FloatArray:
    """Per group 0..groups-1, the count (or the sum of `weights`) of the entries with a code
    >= 0."""
    placed = codes >= 0
    chosen = None if weights is None else np.asarray(weights, dtype=np.float64)[placed]
    sums: FloatArray = np.bincount(codes[placed], weights=chosen, minlength=groups).astype(
        np.float64
    )
    return sums
