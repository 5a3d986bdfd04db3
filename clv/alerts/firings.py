"""Each alert rule asked of one run: a `Firing` (what the message will say) or nothing.

The rules are defined in `clv.segments.alerts`; this module reads what they need from the
stored runs (aggregates, reports and run details) and the current customer scores. Customer
values in a payload are masked: alerts are channel posts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from clv.formatting import money
from clv.insights.channels import channel_report
from clv.insights.lists import RankedCustomer, ranked_where
from clv.insights.reports import NoReportError, report_before
from clv.insights.runs import RunRef
from clv.present.predictions import overdue_reason
from clv.present.privacy import to_masked_key, to_masked_name
from clv.scoring.details import RunDetails
from clv.segments.acquisition import CLV_CAC_LOSING
from clv.segments.alerts import MAX_LISTED, NEW_AFTER_DAYS, WEEK_DAYS, equity_fell
from clv.store.tables import ScoringRun, alert_subjects_table, customer_scores_table
from clv.store.tables import scoring_runs_table as runs

subjects = alert_subjects_table
scores = customer_scores_table


@dataclass(frozen=True)
class Firing:
    rule: str
    fire_key: str  # unique per channel and rule: the run's day
    summary: str  # one line of plain text
    payload: dict[str, Any]


@dataclass(frozen=True)
class VipCheck:
    """A customer rule's verdict: the firing (None: nobody new) and everyone it saw at risk
    (whose `last_seen` the evaluation moves to the run's day)."""

    firing: Firing | None
    at_risk: tuple[int, ...]
    listed: tuple[RankedCustomer, ...]


def vip_check(session: Session, run: RunRef, rule: str, tiers: list[str]) -> VipCheck:
    """`vip_dormant` / `vip_overdue`: VIPs at risk in `run` the rule has not seen for a week."""
    flag = scores.c.dormant if rule == "vip_dormant" else scores.c.overdue
    where = flag.is_(True) & scores.c.tier.in_(tiers)
    rows = ranked_where(session, run, where, scores.c.value_at_stake.desc())
    query = select(subjects.c.customer_id, subjects.c.last_seen).where(subjects.c.rule == rule)
    seen: dict[int, date] = {row.customer_id: row.last_seen for row in session.execute(query)}
    recent = run.as_of - timedelta(days=NEW_AFTER_DAYS)
    new = [r for r in rows if seen.get(r.store_id) is None or seen[r.store_id] < recent]
    at_risk = tuple(r.store_id for r in rows)
    if not new:
        return VipCheck(None, at_risk, ())
    listed = tuple(new[:MAX_LISTED])
    stake = sum(r.value_at_stake for r in new)
    one = len(new) == 1
    what = "turned dormant" if rule == "vip_dormant" else "is overdue" if one else "are overdue"
    noun = "customer" if one else "customers"
    summary = (
        f"{len(new):,} {' or '.join(tiers)} {noun} {what} "
        f"({money(stake, run.currency, decimals=0)} at stake)"
    )
    payload = {"customers": [_vip(r, rule) for r in listed], "total": len(new),
               "value_at_stake": stake, "tiers": tiers}  # fmt: skip
    return VipCheck(Firing(rule, run.as_of.isoformat(), summary, payload), at_risk, listed)


def _vip(row: RankedCustomer, rule: str) -> dict[str, Any]:
    if rule == "vip_dormant":
        reason = row.dormant_reason or "dormant"
    else:
        reason = overdue_reason(row.order_gap_days, row.days_since_last)
    return {
        "store_id": row.store_id, "key": to_masked_key(row.customer_id),
        "name": to_masked_name(row.name), "tier": row.tier, "segment": row.segment,
        "predicted_clv": row.predicted_clv, "value_at_stake": row.value_at_stake,
        "p_alive": row.p_alive, "days_since_last": row.days_since_last, "reason": reason,
    }  # fmt: skip


def equity_firing(session: Session, run: RunRef, threshold: float) -> Firing | None:
    """`equity_drop`: equity against the newest complete run at least a week older."""
    now = session.get(ScoringRun, run.run_id)
    before = session.execute(
        select(ScoringRun)
        .where(runs.c.status == "complete", runs.c.as_of <= run.as_of - timedelta(days=WEEK_DAYS))
        .order_by(runs.c.as_of.desc(), runs.c.id.desc())
        .limit(1)
    ).scalars().first()  # fmt: skip
    if now is None or before is None:
        return None
    if not equity_fell(before.customer_equity, now.customer_equity, threshold):
        return None
    change = now.customer_equity - before.customer_equity
    share = change / before.customer_equity
    drivers = _drivers(RunDetails.from_json(now.details), before.week_end)
    was, now_worth = (money(v, run.currency, decimals=0)
                      for v in (before.customer_equity, now.customer_equity))  # fmt: skip
    summary = f"Customer equity fell {abs(share):.1%} in a week: {was} → {now_worth}"
    payload = {"before": before.customer_equity, "after": now.customer_equity,
               "before_as_of": before.as_of.isoformat(), "change": change, "share": share,
               "threshold": threshold, "drivers": drivers}  # fmt: skip
    return Firing("equity_drop", run.as_of.isoformat(), summary, payload)


def _drivers(details: RunDetails, before_week: date) -> dict[str, Any] | None:
    changes = details.changes
    if changes is None or changes.previous_week_end != before_week:
        return None  # the run compared itself with another week
    return {"new_customers": changes.new_customers, "new_customers_clv": changes.new_customers_clv,
            "went_dormant": changes.went_dormant,
            "went_dormant_change": changes.went_dormant_change,
            "others_change": changes.others_change}  # fmt: skip


def channel_firing(session: Session, run: RunRef) -> Firing | None:
    """`channel_cac`: channels below target now that were not in the previous run's report."""
    try:
        report = channel_report(session, run=run)
    except NoReportError:
        return None  # no channel figures: nothing to say
    earlier = report_before(session, run, "channels", days=1)
    before = {r["channel"]: r["clv_cac"] for r in earlier[1]["channels"]} if earlier else {}
    fell = [
        row for row in report.channels
        if row.clv_cac is not None and row.clv_cac < report.target
        and not (before.get(row.channel) is not None and before[row.channel] < report.target)
    ]  # fmt: skip
    if not fell:
        return None
    names = ", ".join(row.channel for row in fell[:3]) + (" …" if len(fell) > 3 else "")
    summary = f"CLV:CAC fell below {report.target:g}:1 in {len(fell)} channel(s): {names}"
    payload = {"target": report.target, "channels": [
        {"channel": r.channel, "clv_cac": r.clv_cac, "before": before.get(r.channel),
         "customers": r.customers, "affordable_cac": r.affordable_cac, "cac_mean": r.cac_mean,
         "losing": r.clv_cac is not None and r.clv_cac < CLV_CAC_LOSING}
        for r in fell
    ]}  # fmt: skip
    return Firing("channel_cac", run.as_of.isoformat(), summary, payload)
