"""Acquisition channels and the lifecycle funnel as the readers see them, from the run's
stored reports (one row each): value against acquisition cost, and the change since four
weeks ago."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import date
from typing import Any

from sqlmodel import Session

from clv.insights.reports import UnknownChannelError, load_report, match_name, report_before
from clv.insights.runs import RunRef, current_ref
from clv.segments.acquisition import Band, clv_cac_band


@dataclass(frozen=True)
class ChannelChange:
    """A channel now against the same channel in the run four weeks before."""

    since: date
    customers: int
    predicted_total: float
    clv_cac: float | None  # None: no ratio then or now


@dataclass(frozen=True)
class ChannelRow:
    channel: str
    customers: int
    customers_with_cac: int
    buyers: int
    cac_total: float
    cac_mean: float | None
    historical_total: float  # net revenue to date, before margin
    predicted_total: float  # Σ predicted CLV (the channels' add up to customer equity)
    total_clv_total: float
    total_clv_with_cac: float
    total_clv_mean: float
    clv_cac: float | None  # None: no customer with a cost
    payback_months: int | None  # None: not yet (or no cost)
    affordable_cac: float | None
    equity_share: float | None
    band: Band | None
    change: ChannelChange | None  # None: no run four weeks back, or the channel is new

    @property
    def customers_without_cac(self) -> int:
        return self.customers - self.customers_with_cac

    def as_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "change"}
        data["customers_without_cac"] = self.customers_without_cac
        change = self.change
        data["change_4_weeks"] = None if change is None else {
            "since": change.since.isoformat(),
            "customers": change.customers,
            "predicted_total": change.predicted_total,
            "clv_cac": change.clv_cac,
        }  # fmt: skip
        return data


@dataclass(frozen=True)
class ChannelReport:
    run: RunRef
    target: float
    customer_equity: float
    customers: int
    channels: tuple[ChannelRow, ...]  # by CLV:CAC, highest first; those without one last
    compared_with: date | None  # the day of the run four weeks back, if any

    def as_dict(self) -> dict[str, Any]:
        return {
            "run": self.run.as_dict(),
            "target": self.target,
            "customer_equity": self.customer_equity,
            "compared_with": self.compared_with.isoformat() if self.compared_with else None,
            "channels": [row.as_dict() for row in self.channels],
        }


_STORED = {f.name for f in fields(ChannelRow)} - {"band", "change"}


def channel_report(session: Session, *, run: RunRef | None = None) -> ChannelReport:
    ref = run or current_ref(session)
    payload = load_report(session, ref, "channels", "channels")
    target = float(payload["target"])
    earlier = report_before(session, ref, "channels")
    before = {r["channel"]: r for r in earlier[1]["channels"]} if earlier else {}
    rows = []
    for stored in payload["channels"]:
        old = before.get(stored["channel"])
        change = None
        if earlier is not None and old is not None:
            change = _change(stored, old, earlier[0])
        values = {key: stored[key] for key in _STORED}
        band = clv_cac_band(stored["clv_cac"], target=target)
        rows.append(ChannelRow(**values, band=band, change=change))
    return ChannelReport(
        ref, target, float(payload["customer_equity"]), int(payload["customers"]), tuple(rows),
        earlier[0] if earlier else None,
    )  # fmt: skip


def _change(now: dict[str, Any], old: dict[str, Any], since: date) -> ChannelChange:
    ratio = None
    if now["clv_cac"] is not None and old["clv_cac"] is not None:
        ratio = now["clv_cac"] - old["clv_cac"]
    return ChannelChange(
        since, now["customers"] - old["customers"], now["predicted_total"] - old["predicted_total"],
        ratio,
    )  # fmt: skip


@dataclass(frozen=True)
class FunnelRow:
    group: str  # a channel, a cohort, or "all customers"
    acquired: int
    prospects: int  # acquired, no purchase yet
    converted: int
    converted_share: float
    median_days_to_first_order: float | None  # over the converted with an acquisition date
    timed: int  # how many those are
    retained: int
    retained_share: float
    loyal: int
    loyal_share: float
    dormant: int
    dormant_share: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class FunnelReport:
    run: RunRef
    overall: FunnelRow
    channels: tuple[FunnelRow, ...]
    cohorts_month: tuple[FunnelRow, ...]
    cohorts_quarter: tuple[FunnelRow, ...]
    channel: str | None = None  # the channel asked for: `channels` holds it alone

    def as_dict(self) -> dict[str, Any]:
        return {
            "run": self.run.as_dict(),
            "all": self.overall.as_dict(),
            "channels": [row.as_dict() for row in self.channels],
            "cohorts_month": [row.as_dict() for row in self.cohorts_month],
            "cohorts_quarter": [row.as_dict() for row in self.cohorts_quarter],
        }


def _funnel_rows(stored: list[dict[str, Any]]) -> tuple[FunnelRow, ...]:
    names = {f.name for f in fields(FunnelRow)}
    return tuple(FunnelRow(**{k: v for k, v in row.items() if k in names}) for row in stored)


def funnel_report(
    session: Session, *, channel: str | None = None, run: RunRef | None = None
) -> FunnelReport:
    """The funnel of every channel and cohort, or of one `channel` (matched forgivingly)."""
    ref = run or current_ref(session)
    payload = load_report(session, ref, "funnel", "funnel")
    channels = _funnel_rows(payload["channels"])
    chosen = None
    if channel is not None:
        chosen = match_name(channel, [row.group for row in channels])
        if chosen is None:
            raise UnknownChannelError(channel, [row.group for row in channels])
        channels = tuple(row for row in channels if row.group == chosen)
    return FunnelReport(
        ref, _funnel_rows(payload["all"])[0], channels, _funnel_rows(payload["cohorts_month"]),
        _funnel_rows(payload["cohorts_quarter"]), chosen,
    )  # fmt: skip
