"""The digest's Acquisition section: the channels whose CLV:CAC moved most or fell below the
target, and the newest complete cohort against the one before it at the same age; on the
first digest of a month, the cohort chart in the thread. Read from the week's run's stored
reports (`clv.insights.channels`, `clv.insights.cohorts`), nothing scanned."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session

from clv.formatting import money, money_change, signed
from clv.insights.channels import ChannelRow, channel_report
from clv.insights.cohorts import CohortComparison, CohortRow, cohort_report
from clv.insights.reports import NoReportError
from clv.insights.runs import RunRef
from clv.present.acquisition import ratio_text
from clv.present.blocks import clip
from clv.store.tables import ScoringRun
from reports.cohort_chart import chart_cohorts

MOVED = 3  # channels listed for the largest CLV:CAC moves
NAME_CHARS = 40


@dataclass(frozen=True)
class AcquisitionDigest:
    target: float
    channels: tuple[ChannelRow, ...]  # the largest moves, then any other below the target
    compared_with: date | None
    cohort: CohortComparison | None  # monthly cohorts
    chart_cohorts: tuple[CohortRow, ...]  # the newest monthly cohorts, oldest first
    chart_due: bool  # the first digest of a month: the cohort chart goes in the thread


def is_first_of_month(week_end: date) -> bool:
    """The first weekly digest of a month is the one of the week ending on its first Sunday."""
    return week_end.day <= 7


def acquisition_digest(session: Session, run: ScoringRun) -> AcquisitionDigest | None:
    """The section for the week's run (None: the run predates the acquisition reports)."""
    ref = RunRef.of(run)
    try:
        channels = channel_report(session, run=ref)
        cohorts = cohort_report(session, period="month", run=ref)
    except NoReportError:
        return None
    moved = sorted(
        (r for r in channels.channels if r.change is not None and r.change.clv_cac is not None),
        key=lambda r: -abs(r.change.clv_cac or 0.0) if r.change else 0.0,
    )[:MOVED]
    below = [r for r in channels.channels if r.band in ("losing money", "below target")]
    chosen = [*moved, *(r for r in below if r not in moved)]
    return AcquisitionDigest(
        target=channels.target,
        channels=tuple(chosen),
        compared_with=channels.compared_with,
        cohort=cohorts.comparison(),
        chart_cohorts=chart_cohorts(cohorts.cohorts),
        chart_due=is_first_of_month(run.week_end),
    )


def acquisition_context(section: AcquisitionDigest | None, currency: str) -> dict[str, Any]:
    """Display strings for the digest's templates (data values escaped by the templates)."""
    if section is None:
        return {"acquisition": None}
    rows = []
    for r in section.channels:
        change = r.change.clv_cac if r.change else None
        rows.append({
            "channel": clip(r.channel, NAME_CHARS),
            "ratio": ratio_text(r.clv_cac),
            "change": None if change is None else signed(change, "{:.1f}"),
            "band": r.band,
            "affordable": money(r.affordable_cac, currency, decimals=0),
        })  # fmt: skip
    cohort = None
    if (c := section.cohort) is not None:
        k = c.period
        cohort = {
            "newest": c.newest.cohort, "previous": c.previous.cohort, "month": k + 1,
            "now": money(c.newest.revenue_per_customer[k], currency),
            "before": money(c.previous.revenue_per_customer[k], currency),
            "change": money_change(c.revenue_change, currency, decimals=2),
            "retention_now": f"{100 * c.newest.retention[k]:.0f}%",
            "retention_before": f"{100 * c.previous.retention[k]:.0f}%",
        }  # fmt: skip
    return {"acquisition": {
        "target": f"{section.target:g}:1", "channels": rows, "cohort": cohort,
        "since": section.compared_with.isoformat() if section.compared_with else None,
        "chart": section.chart_due and bool(section.chart_cohorts),
    }}  # fmt: skip
