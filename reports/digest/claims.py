"""Exactly-once claims on a (subscription, channel, period) digest, in the store.

Whoever inserts the `digest_posts` row for a subscription, channel and period (the week's
Sunday; a monthly subscription's month end) posts it; everyone else backs off. The default
digest (DIGEST_CHANNEL, and `clvbot digest --send`) claims as subscription "default".
The unique constraint makes that atomic on SQLite and PostgreSQL alike, across threads and
processes. A claim that failed, or whose holder died before it finished (older than the lease),
can be taken over by a conditional update — but the new holder must first check the channel
for a digest the previous attempt may have posted before it died (see `publish`).
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from clv.store.tables import digest_posts_table
from clv.subscriptions import DEFAULT_KEY

posts = digest_posts_table
CLAIM_LEASE = timedelta(minutes=15)  # a claim not finished after this is presumed dead


@dataclass(frozen=True)
class Claim:
    id: int
    token: str
    previous_attempt_at: datetime | None  # set when an earlier attempt may have posted


@dataclass(frozen=True)
class Refusal:
    status: str  # already_posted | in_progress
    message_ts: str | None
    claimed_at: datetime


def is_unfinished(status: str, claimed_at: datetime, now: datetime) -> bool:
    """A failed attempt, or a claim whose holder is presumed dead: it may be taken over."""
    return status == "failed" or (status == "claimed" and claimed_at <= now - CLAIM_LEASE)


def claim_status(
    engine: Engine, *, subscription: str, channel: str, week_end: date
) -> tuple[str, datetime] | None:
    """(status, claimed_at) of the claim on a subscription's period, None when unclaimed."""
    with engine.connect() as connection:
        row = connection.execute(
            select(posts.c.status, posts.c.claimed_at).where(
                posts.c.subscription == subscription,
                posts.c.channel == channel,
                posts.c.week_end == week_end,
            )
        ).first()
    return None if row is None else (row.status, row.claimed_at)


def new_token() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def claim_digest(
    engine: Engine,
    *,
    channel: str,
    week_end: date,
    now: datetime,
    trigger: str,
    force: bool = False,
    token: str | None = None,
    subscription: str = DEFAULT_KEY,
) -> Claim | Refusal:
    """Claim the digest of `subscription`, `channel` and `week_end` (the period's key), or
    say why not."""
    token = token or new_token()
    try:
        with engine.begin() as connection:
            row_id = connection.execute(
                insert(posts)
                .returning(posts.c.id)
                .values(
                    subscription=subscription,
                    channel=channel,
                    week_end=week_end,
                    status="claimed",
                    claimed_by=token,
                    claimed_at=now,
                    attempts=1,
                    trigger=trigger,
                )
            ).scalar_one()
        return Claim(int(row_id), token, None)
    except IntegrityError:
        pass  # claimed before: by whom, and may it be taken over?
    with engine.begin() as connection:
        row = connection.execute(
            select(posts).where(
                posts.c.subscription == subscription,
                posts.c.channel == channel,
                posts.c.week_end == week_end,
            )
        ).one()
        posted = row.status == "posted"
        if not force and not is_unfinished(row.status, row.claimed_at, now):
            return Refusal(
                "already_posted" if posted else "in_progress", row.message_ts, row.claimed_at
            )
        taken = connection.execute(
            update(posts)
            .where(
                posts.c.id == row.id,
                posts.c.claimed_by == row.claimed_by,
                posts.c.status == row.status,
            )
            .values(
                status="claimed",
                claimed_by=token,
                claimed_at=now,
                attempts=row.attempts + 1,
                trigger=trigger,
                error=None,
            )
        ).rowcount
    if taken != 1:  # someone else took it over in between
        return Refusal("in_progress", None, now)
    # a forced repost posts whatever happened before; otherwise a dead or failed attempt may
    # have reached Slack before it died
    return Claim(int(row.id), token, None if force or posted else row.claimed_at)


def mark_posted(
    engine: Engine, claim: Claim, *, message_ts: str, now: datetime, note: str | None = None
) -> None:
    with engine.begin() as connection:
        connection.execute(
            update(posts)
            .where(posts.c.id == claim.id, posts.c.claimed_by == claim.token)
            .values(status="posted", message_ts=message_ts, posted_at=now, error=note)
        )


def mark_failed(engine: Engine, claim: Claim, *, reason: str) -> None:
    with engine.begin() as connection:
        connection.execute(
            update(posts)
            .where(posts.c.id == claim.id, posts.c.claimed_by == claim.token)
            .values(status="failed", error=reason[:2000])
        )


def note_on_post(engine: Engine, claim: Claim, note: str) -> None:
    """Record a problem after posting (e.g. the chart upload failed) without un-posting."""
    with engine.begin() as connection:
        connection.execute(update(posts).where(posts.c.id == claim.id).values(error=note[:2000]))
