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

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from clv.scoring.facts import CustomerFacts
from clv.scoring.order_stats import CustomerMonths, month_of
from clv.scoring.summary import CustomerSummary, to_day
from clv.segments.classify import Classes
from clv.segments.definitions import LOYAL_STAGE, total_clv
from clv.segments.scores import BoolArray, FloatArray, IntArray

QUARTER_HOUR = 900  # time zone offsets are whole quarter-hours
# rows of the month log per pass of a report: at 1M customers the log has ~8M rows, and one
# pass over all of them held ~270 MB of temporaries, the run's peak memory
MONTH_PASS_ROWS = 1 << 20


def local_days(quarter_hours: IntArray, zone: ZoneInfo) -> IntArray:
    """The calendar day in `zone` of each UTC quarter-hour since 1970; -1 for unknown (-1)."""
    known = quarter_hours >= 0
    days = np.full(quarter_hours.size, -1, dtype=np.int64)
    if not known.any():
        return days
    buckets, inverse = np.unique(quarter_hours[known], return_inverse=True)
    offsets = np.array(
        [_offset(int(bucket) * QUARTER_HOUR, zone) for bucket in buckets], dtype=np.int64
    )
    days[known] = (quarter_hours[known] * QUARTER_HOUR + offsets[inverse]) // 86_400
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
    acquisition_month: IntArray  # its calendar month since January 1970; -1: neither
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
    segment_code: IntArray  # position in all_segments()
    tier_code: IntArray  # position in CLV_TIERS; -1: none
    months: CustomerMonths  # rows renumbered to this base's customers

    @property
    def has_cac(self) -> BoolArray:
        return ~np.isnan(self.cac_minor)

    def total_of(self, codes: IntArray, groups: int, minor: FloatArray) -> FloatArray:
        """Per group, the sum of an amount in minor units, in major units (exact cents)."""
        return group_sum(codes, groups, np.nan_to_num(minor)) / self.scale

    def __len__(self) -> int:
        return int(self.buyer.size)


def build_base(
    summary: CustomerSummary,
    months: CustomerMonths,
    values: dict[str, Any],
    facts: CustomerFacts,
    *,
    zone: ZoneInfo,
    gross_margin: float,
    exponent: int,
) -> Base:
    """The run's customers with what the reports need, the not-yet-acquired left out."""
    scale = 10.0**exponent
    acquired_day = local_days(facts.acquired_quarter_hour, zone)
    buyer, first = summary.buyers, summary.first_day
    today = to_day(summary.as_of)
    keep = buyer | (acquired_day <= today)
    # an acquired_at after the run's day is not known to the run: a buyer was acquired by
    # their first purchase then (a backfill run never sees a later sign-up)
    acquired = np.where(acquired_day <= today, acquired_day, -1)
    classes: Classes = values["classes"]
    predicted = values["predicted_clv"]
    historical = summary.historical_minor / scale
    since = np.where(buyer & (acquired >= 0), np.maximum(first - acquired, 0), -1)
    start = np.where(acquired >= 0, acquired, first)
    everyone = bool(keep.all())  # as a run as of today: no copies (a million rows each)

    def kept(values: Any) -> Any:
        return values if everyone else values[keep]

    return Base(
        buyer=kept(buyer),
        first_day=kept(first),
        acquisition_day=kept(start),
        acquisition_month=kept(np.where(start >= 0, month_of(np.maximum(start, 0)), -1)),
        days_to_first_order=kept(since),
        retained=kept(buyer & (summary.frequency > 0)),
        loyal=kept(classes.stage == LOYAL_STAGE.name),
        dormant=kept(classes.dormant),
        historical_minor=kept(summary.historical_minor.astype(np.float64)),
        predicted=kept(predicted),
        total=kept(total_clv(historical, predicted, gross_margin)),
        cac_minor=kept(summary.acquisition_cost_minor),
        scale=scale,
        channel=kept(facts.channel),
        channel_names=facts.channel_names,
        nps=kept(facts.nps),
        segment_code=kept(classes.segment_code),
        tier_code=kept(classes.tier_code),
        months=months if everyone else _kept_months(months, keep),
    )


def _kept_months(months: CustomerMonths, keep: BoolArray) -> CustomerMonths:
    """The months of the kept customers, their rows renumbered."""
    renumber = np.cumsum(keep) - 1
    rows = keep[months.row]
    return CustomerMonths(renumber[months.row[rows]], months.month[rows],
                          months.net_minor[rows], months.purchased[rows])  # fmt: skip


def month_passes(months: CustomerMonths) -> Iterator[CustomerMonths]:
    """The month log in consecutive slices of MONTH_PASS_ROWS rows (views, not copies); an
    empty log is one empty slice."""
    for low in range(0, max(months.row.size, 1), MONTH_PASS_ROWS):
        high = low + MONTH_PASS_ROWS
        yield CustomerMonths(months.row[low:high], months.month[low:high],
                             months.net_minor[low:high], months.purchased[low:high])  # fmt: skip


def group_sum(codes: IntArray, groups: int, weights: Any = None) -> FloatArray:
    """Per group 0..groups-1, the count (or the sum of `weights`) of the entries with a code
    >= 0 (code -1, in no group, is counted in a bin that is dropped)."""
    sums = np.bincount(codes + 1, weights=weights, minlength=groups + 1)[1:]
    result: FloatArray = sums.astype(np.float64, copy=False)
    return result
