"""Posting each alert firing to ALERTS_CHANNEL exactly once, as the digest is posted.

1. The evaluation wrote the firing as a `pending` row (`clv.alerts.evaluate`): one per channel,
   rule and run day, however often the run day is evaluated.
2. Claim the row (`claims`): one process wins, others back off.
3. If an earlier attempt on it may have reached Slack (it failed, or its process died), look
   for it in the channel by message metadata (`clvbot_alert`, the alert id); found, it is
   recorded, not posted again; the channel cannot be searched, nothing is posted.
4. Post with `chat.postMessage` and record the ts, or the failure (retried later by the job).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from slack_sdk import WebClient
from sqlalchemy import Engine, select

from clv.outreach.policy import Eligibility, OutreachRules, outreach_eligibility
from clv.settings import Settings
from clv.store import read_snapshot
from clv.store.tables import alerts_table as alerts
from reports.alerts.claims import claim_alert, due_alerts, mark_alert
from reports.alerts.render import render_alert
from reports.digest.claims import Claim
from reports.digest.publish import slack_reason
from reports.history import find_posted

log = logging.getLogger("clvbot.alerts")
EVENT_TYPE = "clvbot_alert"


@dataclass(frozen=True)
class AlertOutcome:
    alert_id: int
    rule: str
    status: str  # posted | recovered | skipped | failed
    message_ts: str | None
    detail: str


def publish_alerts(
    engine: Engine, settings: Settings, client: WebClient, *, now: datetime | None = None
) -> list[AlertOutcome]:
    """Post every alert due in ALERTS_CHANNEL (pending, failed, or of a dead attempt), once."""
    now = now or datetime.now(UTC)
    channel = settings.alerts_channel
    if not channel:
        return []
    outcomes = []
    for alert_id in due_alerts(engine, channel=channel, now=now):
        outcome = publish_alert(engine, settings, client, alert_id, now=now)
        log.info("alert %d (%s) to %s: %s (%s)", alert_id, outcome.rule, channel, outcome.status,
                 outcome.detail)  # fmt: skip
        outcomes.append(outcome)
    return outcomes


def publish_alert(
    engine: Engine, settings: Settings, client: WebClient, alert_id: int, *, now: datetime
) -> AlertOutcome:
    claim = claim_alert(engine, alert_id, now=now)
    with engine.connect() as connection:
        row = connection.execute(select(alerts).where(alerts.c.id == alert_id)).one()
    if claim is None:
        return AlertOutcome(alert_id, row.rule, "skipped", row.message_ts,
                            f"{row.status}: another attempt holds or finished it")  # fmt: skip
    try:
        found = _earlier_post(client, claim, row.channel)
        if found is not None:
            mark_alert(engine, claim, status="posted", now=now, message_ts=found,
                       error="found in the channel after an interrupted attempt")  # fmt: skip
            detail = "an earlier attempt had posted it: recorded, not reposted"
            return AlertOutcome(alert_id, row.rule, "recovered", found, detail)
        message = render_alert(alert_id, row.rule, row.summary, row.payload,
                               listed_verdicts(engine, settings, row.payload, now))  # fmt: skip
        response = client.chat_postMessage(
            channel=row.channel, **message, unfurl_links=False,
            metadata={"event_type": EVENT_TYPE,
                      "event_payload": {"alert_id": alert_id, "rule": row.rule,
                                        "fire_key": row.fire_key}},
        )  # fmt: skip
    except Exception as exc:
        reason = slack_reason(exc)
        mark_alert(engine, claim, status="failed", now=now, error=reason)
        log.warning("alert %d to %s failed: %s", alert_id, row.channel, reason)
        return AlertOutcome(alert_id, row.rule, "failed", None, reason)
    ts = str(response["ts"])
    mark_alert(engine, claim, status="posted", now=now, message_ts=ts)
    return AlertOutcome(alert_id, row.rule, "posted", ts, row.summary)


def _earlier_post(client: WebClient, claim: Claim, channel: str) -> str | None:
    if claim.previous_attempt_at is None:
        return None
    return find_posted(client, channel=channel, since=claim.previous_attempt_at,
                       event_type=EVENT_TYPE,
                       match=lambda payload: payload.get("alert_id") == claim.id)  # fmt: skip


def listed_verdicts(
    engine: Engine, settings: Settings, payload: dict[str, Any], now: datetime
) -> dict[int, Eligibility]:
    """The outreach policy's verdict now on each customer the alert lists (its buttons)."""
    listed = payload.get("customers")
    ids = [int(row["store_id"]) for row in listed] if isinstance(listed, list) else []
    if not ids:
        return {}
    with read_snapshot(engine) as session:
        found = outreach_eligibility(session, customer_ids=ids, rules=OutreachRules.of(settings),
                                     now=now)  # fmt: skip
    return dict(found)
