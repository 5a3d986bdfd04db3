"""The outreach experiment in words: one sentence for the digest, lines for the CLI."""

from __future__ import annotations

from clv.formatting import money, money_change, percent
from clv.outreach.experiment import Comparison, ExperimentReport
from clv.outreach.lift import LiftEstimate


def points(value: float) -> str:
    """A difference of two rates in percentage points: '+4.2 pts', '−1.0 pts'."""
    sign = "+" if value > 0 else "−" if value < 0 else "±"
    return f"{sign}{abs(100 * value):.1f} pts"


def lift_sentence(lift: LiftEstimate, currency: str) -> str:
    """Contacted against held out: each group's rate and revenue, the difference with its
    interval, and what that comes to; or why it is too early to tell."""
    c, h = lift.contacted, lift.held_out
    too_few = lift.too_few()
    if too_few is not None:
        return too_few
    level = f"{lift.level:.0%}"
    return (
        f"{c.customers:,} contacted customers: {percent(c.repurchase_rate)} bought again, "
        f"{money(c.revenue_per_customer, currency)} per customer; {h.customers:,} held out: "
        f"{percent(h.repurchase_rate)}, {money(h.revenue_per_customer, currency)}. "
        f"Outreach added {points(lift.rate_difference)} of repurchase rate ({level}: "
        f"{points(lift.rate_interval.low)} to {points(lift.rate_interval.high)}) and "
        f"{money_change(lift.revenue_difference, currency, decimals=2)} per customer ({level}: "
        f"{money_change(lift.revenue_interval.low, currency, decimals=2)} to "
        f"{money_change(lift.revenue_interval.high, currency, decimals=2)}): about "
        f"{lift.incremental_repurchases:+,.0f} repurchases and "
        f"{money_change(lift.incremental_revenue, currency)} of revenue."
    )


def experiment_sentence(report: ExperimentReport, currency: str) -> str:
    """The digest's outreach results: the list weeks reported, then `lift_sentence`."""
    weeks = f"lists of the weeks ending {report.first_week} to {report.last_week}"
    return f"{weeks}: {lift_sentence(report.overall.contacted, currency)}"


def comparison_line(row: Comparison, currency: str) -> str:
    """One row of `clvbot outreach report`."""
    lift = row.contacted
    c, h = lift.contacted, lift.held_out
    head = f"{row.group:<12} contacted {c.customers:>5,}  held out {h.customers:>5,}"
    if not lift.enough:
        return f"{head}  too few customers yet to tell"
    return (
        f"{head}  rate {percent(c.repurchase_rate)} vs {percent(h.repurchase_rate)} "
        f"{points(lift.rate_difference)} [{points(lift.rate_interval.low)}, "
        f"{points(lift.rate_interval.high)}]  per customer "
        f"{money_change(lift.revenue_difference, currency, decimals=2)}"
    )
