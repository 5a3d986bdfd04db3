"""The digest's re-engagement list: the most valuable dormant customers (of a group, or of
the whole shop) with the outreach policy's verdict on each, masked, and the experiment's
entries it records when posted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement
from sqlmodel import Session

from clv.insights import dormant_customers
from clv.insights.lists import list_entries
from clv.outreach.holdout import ListEntry
from clv.outreach.policy import OutreachRules
from clv.present.privacy import to_masked_key, to_masked_name
from clv.settings import Settings
from reports.digest.model import Digest, DormantRow


def dormant_rows(
    session: Session,
    settings: Settings,
    now: datetime,
    *,
    within: ColumnElement[bool] | None = None,
) -> list[DormantRow]:
    ranked = dormant_customers(
        session,
        limit=settings.digest_dormant_limit,
        rules=OutreachRules.of(settings),
        now=now,
        within=within,
    )
    rows = []
    entries = {e.assignment.customer_id: e for e in list_entries(ranked.rows)}
    for r in ranked.rows:
        verdict = r.outreach
        assert verdict is not None  # the dormant list carries the policy's verdict
        # the policy's reason says why there is no button; a cooldown is also said with who
        cooldown = verdict.in_cooldown
        rows.append(
            DormantRow(
                customer_id=r.store_id,
                key=to_masked_key(r.customer_id),
                name=to_masked_name(r.name),
                segment=r.segment,
                predicted_clv=r.predicted_clv,
                value_at_stake=r.value_at_stake,
                reason=r.dormant_reason,
                opted_out=r.opted_out,
                eligible=verdict.eligible,
                why_not=verdict.reason,
                contacted_by=verdict.last_by if cooldown else None,
                contacted_on=verdict.last_at.date() if cooldown and verdict.last_at else None,
                next_possible=verdict.next_possible if cooldown else None,
                held_out=verdict.held_out,
                entry=entries.get(r.store_id),
            )
        )
    return rows


def experiment_entries(digest: Digest) -> list[ListEntry]:
    """The re-engagement list's customers, as the experiment records them."""
    return [row.entry for row in digest.dormant if row.entry is not None]
