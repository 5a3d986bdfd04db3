"""Exactly-once claims on an alert row, with the digest's lease (`reports.digest.claims`).

An alert row is written `pending` by the evaluation. Whoever moves it to `claimed` with a
conditional update (on its status and attempt count, so two claimers cannot both win) posts
it; a `failed` row, or a claim older than the lease (its holder presumed dead), may be taken
over, and then the new holder looks in the channel first: the earlier attempt may have posted.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, select, update

from clv.store.tables import alerts_table as alerts
from reports.digest.claims import Claim, is_unfinished, new_token

STALE_AFTER = timedelta(days=7)  # an alert not posted within a week is not posted late


def due_alerts(engine: Engine, *, channel: str, now: datetime) -> list[int]:
    """The ids of the channel's alerts to post now: pending, failed, or claimed by a holder
    presumed dead; oldest first."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(alerts.c.id, alerts.c.status, alerts.c.claimed_at)
            .where(
                alerts.c.channel == channel,
                alerts.c.status.in_(("pending", "failed", "claimed")),
                alerts.c.created_at > now - STALE_AFTER,
            )
            .order_by(alerts.c.created_at, alerts.c.id)
        ).all()
    return [
        r.id for r in rows if r.status == "pending" or is_unfinished(r.status, r.claimed_at, now)
    ]


def claim_alert(
    engine: Engine, alert_id: int, *, now: datetime, token: str | None = None
) -> Claim | None:
    """Claim the alert for posting, or None when it is posted, muted or held by a live claim."""
    token = token or new_token()
    with engine.begin() as connection:
        row = connection.execute(
            select(alerts.c.status, alerts.c.claimed_at, alerts.c.attempts).where(
                alerts.c.id == alert_id
            )
        ).first()
        if row is None:
            return None
        if row.status != "pending" and not is_unfinished(row.status, row.claimed_at, now):
            return None
        taken = connection.execute(
            update(alerts)
            .where(
                alerts.c.id == alert_id,
                alerts.c.status == row.status,
                alerts.c.attempts == row.attempts,
            )
            .values(
                status="claimed",
                claimed_by=token,
                claimed_at=now,
                attempts=row.attempts + 1,
                error=None,
            )
        ).rowcount
    if taken != 1:
        return None
    # a failed or dead attempt may have reached Slack before it stopped
    return Claim(alert_id, token, None if row.status == "pending" else row.claimed_at)


def mark_alert(
    engine: Engine, claim: Claim, *, status: str, now: datetime, message_ts: str | None = None,
    error: str | None = None,
) -> None:  # fmt: skip
    """Record the claimed alert as `posted` (with its ts) or `failed` (with the reason)."""
    values: dict[str, object] = {"status": status, "error": error[:2000] if error else None}
    if status == "posted":
        values.update(message_ts=message_ts, posted_at=now)
    with engine.begin() as connection:
        connection.execute(
            update(alerts)
            .where(alerts.c.id == claim.id, alerts.c.claimed_by == claim.token)
            .values(**values)
        )
