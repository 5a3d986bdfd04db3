"""Exactly-once claims on a (subscription, channel, period) digest, in the store.

Whoever inserts the `digest_posts` row for a subscription, channel and period (the week's
Sunday; a monthly subscription's month end) posts it; everyone else backs off. The default
digest (DIGEST_CHANNEL, and `clvbot digest --send`) claims as subscription "default".
The unique constraint makes that atomic on SQLite and PostgreSQL alike, across threads and
processes. A claim that failed, or whose holder died before it finished (older than the lease),
can be taken over by a conditional update — but the new holder must first check the channel
for a digest the previous attempt may have posted before it died (see `publish`). A period
is given up (status "given_up", the reason kept) after MAX_ATTEMPTS attempts, or at once when
Slack refused for good (not in the channel, no such channel, a revoked token): nothing
retries it; a later period, or `--force`, tries again.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from clv.store.tables import digest_posts_table
from clv.subscriptions import DEFAULT_KEY

posts = digest_posts_table
CLAIM_LEASE = timedelta(minutes=15)  # a claim not finished after this is presumed dead


MAX_ATTEMPTS = 6  # then the period is given up: a failure that lasts is not retried for ever
STATUSES = ("claimed", "posted", "failed", "given_up")


@dataclass(frozen=True)
class Claim:
    id: int
    token: str
    previous_attempt_at: datetime | None  # set when an earlier attempt may have posted
    attempt: int = 1  # this claim's attempt on its period: 1, then one more per takeover


@dataclass(frozen=True)
class Refusal:
    status: str  # already_posted | in_progress | given_up
    message_ts: str | None
    claimed_at: datetime
    error: str | None = None  # why it was given up


@dataclass(frozen=True)
class ClaimState:
    """Where a period's claim stands: its status, when it was claimed, how often tried."""

    status: str  # one of STATUSES
    claimed_at: datetime
    attempts: int

    def unfinished(self, now: datetime) -> bool:
        return is_unfinished(self.status, self.claimed_at, now, attempts=self.attempts)


def is_unfinished(status: str, claimed_at: datetime, now: datetime, *, attempts: int = 1) -> bool:
    """A failed attempt, or a claim whose holder is presumed dead: it may be taken over, unless
    the period was given up (a permanent Slack error, or MAX_ATTEMPTS attempts)."""
    if status not in ("failed", "claimed") or attempts >= MAX_ATTEMPTS:
        return False
    return status == "failed" or claimed_at <= now - CLAIM_LEASE


def claim_status(
    engine: Engine, *, subscription: str, channel: str, week_end: date
) -> ClaimState | None:
    """The claim on a subscription's period, None when unclaimed."""
    with engine.connect() as connection:
        row = connection.execute(
            select(posts.c.status, posts.c.claimed_at, posts.c.attempts).where(
                posts.c.subscription == subscription,
                posts.c.channel == channel,
                posts.c.week_end == week_end,
            )
        ).first()
    return None if row is None else ClaimState(row.status, row.claimed_at, row.attempts)


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
    say why not: the first to insert the row has it; a later one may take an unfinished
    claim over (`force`: any claim)."""
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
    return _take_over(
        engine,
        subscription=subscription,
        channel=channel,
        week_end=week_end,
        now=now,
        trigger=trigger,
        force=force,
        token=token,
    )


def _take_over(
    engine: Engine,
    *,
    subscription: str,
    channel: str,
    week_end: date,
    now: datetime,
    trigger: str,
    force: bool,
    token: str,
) -> Claim | Refusal:
    """Take the existing claim over when it is unfinished (or `force`), by a conditional
    update that only one process can win."""
    with engine.begin() as connection:
        row = connection.execute(
            select(posts).where(
                posts.c.subscription == subscription,
                posts.c.channel == channel,
                posts.c.week_end == week_end,
            )
        ).one()
        if not force and not is_unfinished(row.status, row.claimed_at, now, attempts=row.attempts):
            return _refusal(row)
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
    earlier = None if force or row.status == "posted" else row.claimed_at
    return Claim(int(row.id), token, earlier, attempt=row.attempts + 1)


def _refusal(row: Any) -> Refusal:
    if row.status == "posted":
        return Refusal("already_posted", row.message_ts, row.claimed_at)
    if row.status == "given_up" or row.attempts >= MAX_ATTEMPTS:
        return Refusal("given_up", None, row.claimed_at, row.error)
    return Refusal("in_progress", None, row.claimed_at)


def mark_posted(
    engine: Engine, claim: Claim, *, message_ts: str, now: datetime, note: str | None = None
) -> None:
    with engine.begin() as connection:
        connection.execute(
            update(posts)
            .where(posts.c.id == claim.id, posts.c.claimed_by == claim.token)
            .values(status="posted", message_ts=message_ts, posted_at=now, error=note)
        )


def mark_failed(engine: Engine, claim: Claim, *, reason: str, final: bool = False) -> str:
    """Record a failed attempt: "failed" (to be retried), or "given_up" when `final` (Slack
    refused for a reason a retry cannot change) or this was attempt MAX_ATTEMPTS. The status
    recorded is returned."""
    status = "given_up" if final or claim.attempt >= MAX_ATTEMPTS else "failed"
    if status == "given_up" and not final:
        reason = f"gave up after {claim.attempt} attempts: {reason}"
    with engine.begin() as connection:
        connection.execute(
            update(posts)
            .where(posts.c.id == claim.id, posts.c.claimed_by == claim.token)
            .values(status=status, error=reason[:2000])
        )
    return status


def note_on_post(engine: Engine, claim: Claim, note: str) -> None:
    """Record a problem after posting (e.g. the chart upload failed) without un-posting."""
    with engine.begin() as connection:
        connection.execute(update(posts).where(posts.c.id == claim.id).values(error=note[:2000]))
