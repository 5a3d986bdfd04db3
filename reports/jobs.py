"""The scheduler's jobs: plain functions over the same core the bot and the CLI use.

A persistent job store keeps jobs as references ("reports.jobs:digest_job"), so the jobs take
no arguments: what they work on (store, settings, Slack client, clock) is configured once per
process with `configure` before the scheduler starts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from slack_sdk import WebClient
from sqlalchemy import Engine

from clv.alerts.evaluate import evaluate_alerts
from clv.ingest.sync import run_sync
from clv.insights.runs import NoScoresError
from clv.insights.syncs import SyncOutcome
from clv.scoring.pipeline import ScoringError, ScoringInProgressError, score
from clv.settings import Settings
from clv.store import read_snapshot
from clv.store.subscriptions import find_subscription, stored_subscriptions
from clv.subscriptions import DEFAULT_KEY, Subscription
from reports.alerts.publish import AlertOutcome, publish_alerts
from reports.digest.claims import claim_status
from reports.digest.data import digest_week_end, subscription_period
from reports.digest.publish import (
    PostOutcome,
    digest_client,
    publish_digest,
    publish_subscription,
)
from reports.home.refresh import refresh_homes
from reports.schedule import score_as_of
from reports.scheduler import running_scheduler, sync_subscription_jobs

log = logging.getLogger("clvbot.jobs")


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class JobContext:
    engine: Engine
    settings: Settings
    client: WebClient | None = None  # None: built from the settings
    clock: Callable[[], datetime] = field(default=_utc_now)

    def slack(self) -> WebClient:
        if self.client is None:
            self.client = digest_client(self.settings)
        return self.client


_context: JobContext | None = None


def configure(context: JobContext) -> None:
    global _context
    _context = context


def current_context() -> JobContext:
    if _context is None:
        raise RuntimeError("reports.jobs.configure() was not called before the scheduler ran")
    return _context


def score_job() -> None:
    """Re-score as of yesterday (the last complete day) in TIMEZONE."""
    ctx = current_context()
    as_of = score_as_of(ctx.clock(), ctx.settings.tzinfo)
    try:
        runs = score(ctx.engine, ctx.settings, as_of=as_of)
        log.info("scored %d customers as of %s", runs[-1].n_customers, as_of)
    except ScoringInProgressError as exc:  # someone else is scoring: nothing to do, no failure
        log.info("scheduled scoring skipped: %s", exc)
        return
    except ScoringError as exc:  # recorded in the store; the previous scores stay readable
        log.error("scheduled scoring failed: %s", exc)
        return
    run_alerts(ctx)
    run_home_refresh(ctx)


def run_home_refresh(ctx: JobContext) -> int:
    """Republish the home tabs opened within APP_HOME_REFRESH_DAYS from the new run; a failure
    is logged and leaves the old homes up (they say which run they show)."""
    if ctx.settings.slack_bot_token is None:
        return 0
    try:
        return refresh_homes(ctx.engine, ctx.settings, ctx.slack(), now=ctx.clock())
    except Exception:
        log.exception("republishing the home tabs failed")
        return 0


def run_alerts(ctx: JobContext) -> list[AlertOutcome]:
    """Evaluate the alert rules on the current run (a no-op for a run day evaluated before),
    then post what is due to ALERTS_CHANNEL, each firing once."""
    if not ctx.settings.alerts_channel:
        return []
    now = ctx.clock()
    try:
        evaluation = evaluate_alerts(ctx.engine, ctx.settings, now=now)
        log.info("alerts: %d firing(s), %d new", len(evaluation.firings), evaluation.inserted)
    except Exception:  # a failing rule must not stop the posting of earlier firings
        log.exception("evaluating the alert rules failed")
    return publish_alerts(ctx.engine, ctx.settings, ctx.slack(), now=now)


def alerts_job() -> list[AlertOutcome]:
    """Post the alerts that are due: a failed post, or one whose process died, is retried."""
    ctx = current_context()
    if not ctx.settings.alerts_channel:
        return []
    return publish_alerts(ctx.engine, ctx.settings, ctx.slack(), now=ctx.clock())


def sync_job() -> SyncOutcome:
    """The nightly sync: import what is new in SYNC_SOURCE, then re-score. A failed sync is
    recorded (and imported nothing of the failing file or query); the scoring still runs, on
    the data already there."""
    ctx = current_context()
    try:
        outcome = run_sync(ctx.engine, ctx.settings, now=ctx.clock())
        if outcome.status == "ok":
            log.info("%s", outcome.sentence(ctx.settings.tzinfo))
        else:
            log.error("%s", outcome.sentence(ctx.settings.tzinfo))
    finally:
        score_job()
    return outcome


def digest_job() -> PostOutcome | None:
    """Post the digest's week (`reports.schedule.digest_week`) to DIGEST_CHANNEL, once."""
    return run_digest(current_context())


def run_digest(ctx: JobContext) -> PostOutcome | None:
    """The digest job on an explicit context (the demo's "post now" button uses this)."""
    channel = ctx.settings.digest_channel
    if not channel:
        log.info("DIGEST_CHANNEL is not set: no digest posted")
        return None
    now = ctx.clock()
    # the week is the one the preview names: publish_digest asks the same rule at `now`
    outcome = publish_digest(ctx.engine, ctx.settings, ctx.slack(), channel=channel, now=now)
    log.info(
        "digest of week %s to %s: %s (%s)",
        outcome.week_end,
        channel,
        outcome.status,
        outcome.detail,
    )
    return outcome


def digest_retry_job() -> PostOutcome | None:
    """Finish the digest's week if an attempt failed or died mid-way (see `publish`)."""
    ctx = current_context()
    channel = ctx.settings.digest_channel
    if not channel:
        return None
    now = ctx.clock()
    try:
        with read_snapshot(ctx.engine) as session:
            week = digest_week_end(session, ctx.settings, now=now)
    except NoScoresError:  # no week to post: nothing was attempted either
        return None
    claimed = claim_status(ctx.engine, subscription=DEFAULT_KEY, channel=channel, week_end=week)
    unfinished = claimed is not None and claimed.unfinished(now)
    return run_digest(ctx) if unfinished else None


def subscription_job(subscription_id: int) -> PostOutcome | None:
    """Post subscription `subscription_id`'s digest of its period, once (None: the
    subscription was removed since its job was scheduled: nothing is posted)."""
    return run_subscription(current_context(), subscription_id)


def run_subscription(
    ctx: JobContext, subscription_id: int, *, trigger: str = "schedule"
) -> PostOutcome | None:
    with ctx.engine.connect() as connection:
        subscription = find_subscription(connection, subscription_id)
    if subscription is None:
        log.info("subscription #%d was removed: no digest posted", subscription_id)
        return None
    outcome = publish_subscription(
        ctx.engine, ctx.settings, ctx.slack(), subscription, trigger=trigger, now=ctx.clock()
    )
    log.info(
        "subscription #%d's digest of %s to %s: %s (%s)",
        subscription_id,
        outcome.week_end,
        subscription.channel,
        outcome.status,
        outcome.detail,
    )
    return outcome


def subscriptions_job() -> list[PostOutcome]:
    """Every few minutes: this scheduler's subscription jobs made those of the table (one
    added or removed by another process), then any subscription's digest whose attempt
    failed or died mid-way finished (see `publish`)."""
    ctx = current_context()
    scheduler = running_scheduler()
    if scheduler is not None:
        sync_subscription_jobs(scheduler, ctx.engine, ctx.settings)
    return retry_subscriptions(ctx)


def retry_subscriptions(ctx: JobContext) -> list[PostOutcome]:
    """Re-run the subscriptions whose claim on their period at now is unfinished. Each is
    tried on its own: one that cannot be read or built (its zone left tzdata, its month has
    no scored week yet) is logged and the others are still retried."""
    now = ctx.clock()
    with ctx.engine.connect() as connection:
        subscriptions = stored_subscriptions(connection)
    outcomes: list[PostOutcome] = []
    for subscription in subscriptions:
        try:
            outcome = _retry_subscription(ctx, subscription, now)
        except NoScoresError as exc:  # no period to post yet: nothing was attempted either
            log.info("subscription #%s: nothing to retry (%s)", subscription.key, exc)
            continue
        except Exception:
            log.exception("retrying subscription #%s failed; the others go on", subscription.key)
            continue
        if outcome is not None:
            outcomes.append(outcome)
    return outcomes


def _retry_subscription(
    ctx: JobContext, subscription: Subscription, now: datetime
) -> PostOutcome | None:
    with read_snapshot(ctx.engine) as session:
        period = subscription_period(session, ctx.settings, subscription, now=now)
    claimed = claim_status(ctx.engine, subscription=subscription.key,
                           channel=subscription.channel, week_end=period)  # fmt: skip
    if claimed is None or not claimed.unfinished(now):
        return None
    return run_subscription(ctx, subscription.id or 0, trigger="retry")
