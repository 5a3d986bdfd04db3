"""Posting a digest exactly once per subscription, channel and period.

The default digest (DIGEST_CHANNEL, `clvbot digest --send`) is subscription "default" and
its period is the week; a channel's subscription (`/clv subscribe`) posts its own digest,
of its group and its period (the week, or the month before a monthly one fires).

1. Claim (subscription, channel, period) in the store (`claims`): one process wins, others
   back off.
2. If an earlier attempt on this claim may have reached Slack (it failed after sending, or its
   process died), look for it in the channel: every digest carries message metadata naming its
   period (and subscription), so a digest that was posted is found and recorded instead of
   posted again. When the channel cannot be searched, nothing is posted: at most once beats
   twice.
3. Post with `chat.postMessage`, record the message ts, then upload the chart into its thread.

The Web API client used here retries only on rate limits (a 429 was not processed); it never
re-sends a message after a server error, which may have been posted.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from slack_sdk import WebClient
from sqlalchemy import Engine

from clv.insights.runs import NoScoresError
from clv.outreach.holdout import record
from clv.settings import Settings
from clv.store import read_snapshot
from clv.subscriptions import DEFAULT_KEY, Subscription
from reports.charts import render_trend_points
from reports.cohort_chart import CHART_ALT, cohort_chart
from reports.digest.claims import Claim, claim_digest, mark_failed, mark_posted, note_on_post
from reports.digest.data import Digest, build_digest, experiment_entries, subscription_digest
from reports.digest.render import render_blocks
from reports.history import find_posted
from reports.slack_retry import LoggedRateLimitRetryHandler

log = logging.getLogger("clvbot.digest")
EVENT_TYPE = "clvbot_digest"
# Slack's refusals that another attempt at the same post cannot change: the bot is not in the
# channel, the channel is gone or archived, the token or its scopes do not allow it
# (https://api.slack.com/methods/chat.postMessage#errors, and the errors every method can
# return). A subscription's period is given up at once on them instead of retried.
PERMANENT_ERRORS = frozenset({
    "not_in_channel", "channel_not_found", "is_archived", "missing_scope", "invalid_auth",
    "not_authed", "account_inactive", "token_revoked", "token_expired", "no_permission",
    "restricted_action", "restricted_action_read_only_channel", "ekm_access_denied",
    "team_access_not_granted", "org_login_required", "not_allowed_token_type",
})  # fmt: skip
INVITE_HINT = {
    "not_in_channel": "invite me with `/invite @clvbot`",
    "channel_not_found": "the channel is gone, or private and I am not in it: invite me with "
    "`/invite @clvbot`",
}


@dataclass(frozen=True)
class PostOutcome:
    # posted | recovered | already_posted | in_progress | failed (to be retried) | given_up
    # (not retried: a permanent Slack error, or too many attempts) | no_scores
    status: str
    channel: str
    week_end: date | None  # the period's key; None: no scored week to post (no_scores)
    message_ts: str | None
    detail: str
    subscription: str = DEFAULT_KEY


def digest_client(settings: Settings) -> WebClient:
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    client = WebClient(token=token, base_url=settings.slack_api_url.rstrip("/") + "/", timeout=15)
    client.retry_handlers.append(LoggedRateLimitRetryHandler())
    return client


def chart_png(digest: Digest) -> bytes:
    points = [(p.week_end, p.customer_equity, p.mean_clv) for p in digest.trend]
    return render_trend_points(points, currency=digest.currency)


def cohort_chart_png(digest: Digest) -> bytes | None:
    """The cohort chart, on the first digest of a month (None otherwise, or without cohorts)."""
    section = digest.acquisition
    if section is None or not section.chart_due:
        return None
    return cohort_chart(section.chart_cohorts, currency=digest.currency, period="month")


def publish_digest(
    engine: Engine,
    settings: Settings,
    client: WebClient,
    *,
    channel: str,
    week_end: date | None = None,
    trigger: str = "schedule",
    force: bool = False,
    now: datetime | None = None,
) -> PostOutcome:
    """Post the digest of `week_end` (None: the digest's week at `now`, as the preview shows
    it) to `channel`, once: the claim is for the week the digest shows."""
    now = now or datetime.now(UTC)
    with read_snapshot(engine) as session:
        try:
            digest = build_digest(session, settings, week_end=week_end, now=now)
        except NoScoresError as exc:  # nothing to post, and nothing claimed
            return PostOutcome("no_scores", channel, None, None, str(exc))
    return post_once(engine, client, digest, channel=channel, subscription=DEFAULT_KEY,
                     trigger=trigger, force=force, now=now)  # fmt: skip


def publish_subscription(
    engine: Engine,
    settings: Settings,
    client: WebClient,
    subscription: Subscription,
    *,
    trigger: str = "schedule",
    force: bool = False,
    now: datetime | None = None,
) -> PostOutcome:
    """Post `subscription`'s digest of its period at `now` (`subscription_digest`) to its
    channel, once per subscription and period."""
    now = now or datetime.now(UTC)
    channel = subscription.channel
    with read_snapshot(engine) as session:
        try:
            digest = subscription_digest(session, settings, subscription, now=now)
        except NoScoresError as exc:
            return PostOutcome("no_scores", channel, None, None, str(exc), subscription.key)
    return post_once(engine, client, digest, channel=channel, subscription=subscription.key,
                     trigger=trigger, force=force, now=now,
                     permanent=PERMANENT_ERRORS)  # fmt: skip


def post_once(
    engine: Engine,
    client: WebClient,
    digest: Digest,
    *,
    channel: str,
    subscription: str,
    trigger: str,
    force: bool,
    now: datetime,
    permanent: frozenset[str] = frozenset(),
) -> PostOutcome:
    """Claim the digest's period for `subscription` and `channel`, and post it if ours;
    `permanent`: the Slack errors that give the period up at once."""
    period = digest.period_key
    claim = claim_digest(engine, channel=channel, week_end=period, now=now, force=force,
                         trigger="force" if force else trigger,
                         subscription=subscription)  # fmt: skip
    if not isinstance(claim, Claim):
        what = _what(subscription, period)
        detail = {
            "already_posted": f"{what} was already posted to {channel}",
            "given_up": f"{what} to {channel} was given up ({claim.error}): `--force` tries again",
        }.get(claim.status, f"another clvbot process is posting {what} to {channel}")
        return PostOutcome(claim.status, channel, period, claim.message_ts, detail, subscription)
    return _post(engine, client, claim, digest, channel=channel, subscription=subscription,
                 now=now, permanent=permanent)  # fmt: skip


def _what(subscription: str, period: date) -> str:
    if subscription == DEFAULT_KEY:
        return f"the digest of week {period}"
    return f"subscription #{subscription}'s digest of {period}"


def _post(
    engine: Engine,
    client: WebClient,
    claim: Claim,
    digest: Digest,
    *,
    channel: str,
    subscription: str,
    now: datetime,
    permanent: frozenset[str],
) -> PostOutcome:
    """Post the claimed digest, unless an earlier attempt on the claim already had."""
    period = digest.period_key
    try:
        if claim.previous_attempt_at is not None:
            found = find_posted_digest(client, channel=channel, week_end=period,
                                       since=claim.previous_attempt_at,
                                       subscription=subscription)  # fmt: skip
            if found is not None:
                mark_posted(engine, claim, message_ts=found, now=now,
                            note="found in the channel after an interrupted attempt")  # fmt: skip
                return PostOutcome(
                    "recovered", channel, period, found,
                    "an earlier attempt had posted it: recorded, not reposted", subscription,
                )  # fmt: skip
        with engine.begin() as connection:  # the list's arms, before anyone can click
            record(connection, experiment_entries(digest), source="digest", now=now)
        message = render_blocks(digest, channel=channel)
        response = client.chat_postMessage(
            channel=channel,
            **message,
            unfurl_links=False,
            metadata={
                "event_type": EVENT_TYPE,
                "event_payload": _payload(period, claim.token, subscription),
            },
        )
        ts = str(response["ts"])
    except Exception as exc:
        return _failed(engine, claim, exc, channel=channel, period=period,
                       subscription=subscription, permanent=permanent)  # fmt: skip
    mark_posted(engine, claim, message_ts=ts, now=now)
    _upload_chart(
        engine, client, claim, digest, channel=str(response.get("channel") or channel), thread_ts=ts
    )
    return PostOutcome("posted", channel, period, ts, f"posted {_what(subscription, period)}",
                       subscription)  # fmt: skip


def _failed(
    engine: Engine,
    claim: Claim,
    exc: Exception,
    *,
    channel: str,
    period: date,
    subscription: str,
    permanent: frozenset[str],
) -> PostOutcome:
    """Record the failed attempt: to be retried, or given up (a permanent Slack error, or the
    last attempt allowed), with the reason and what would fix it."""
    error = slack_error(exc)
    reason = slack_reason(exc)
    if error in INVITE_HINT:
        reason = f"{reason}: {INVITE_HINT[error]}"
    final = error is not None and error in permanent
    if final:
        reason += " (not retried for this period)"
    status = mark_failed(engine, claim, reason=reason, final=final)
    what = _what(subscription, period)
    if status == "given_up":
        log.error("%s to %s given up: %s", what, channel, reason)
    else:
        log.warning("%s to %s failed (attempt %d): %s", what, channel, claim.attempt, reason)
    return PostOutcome(status, channel, period, None, reason, subscription)


def _payload(period: date, token: str, subscription: str) -> dict[str, str]:
    """The message metadata's payload: the period (and the subscription, but for the default
    digest, whose messages carried none before subscriptions existed)."""
    payload = {"week_end": period.isoformat(), "claim": token}
    if subscription != DEFAULT_KEY:
        payload["subscription"] = subscription
    return payload


def find_posted_digest(
    client: WebClient,
    *,
    channel: str,
    week_end: date,
    since: datetime,
    subscription: str = DEFAULT_KEY,
) -> str | None:
    """The ts of `subscription`'s digest of `week_end` (the period's key) posted in `channel`
    since `since`, or None.

    Raises when the channel cannot be searched: the caller must not post blindly then.
    """
    week = week_end.isoformat()

    def match(payload: dict[str, Any]) -> bool:
        return (
            payload.get("week_end") == week
            and payload.get("subscription", DEFAULT_KEY) == subscription
        )

    return find_posted(client, channel=channel, since=since, event_type=EVENT_TYPE, match=match)


def _upload_chart(
    engine: Engine,
    client: WebClient,
    claim: Claim,
    digest: Digest,
    *,
    channel: str,
    thread_ts: str,
) -> None:
    week = digest.week_end.isoformat()
    of = f" of the {digest.scope.label}" if digest.scope is not None else ""
    try:
        client.files_upload_v2(
            channel=channel,
            thread_ts=thread_ts,
            content=chart_png(digest),
            filename=f"clv-trend-{week}.png",
            title=f"Customer equity and mean CLV{of}, {len(digest.trend)} weeks to {week}",
            alt_txt="Bar chart of customer equity and line of mean CLV per week; "
            "the numbers are in the digest's text.",
        )
    except Exception as exc:  # the digest is posted; the chart is a nice-to-have
        reason = f"chart upload failed: {slack_reason(exc)}"
        log.warning("digest of week %s to %s: %s", week, channel, reason)
        note_on_post(engine, claim, reason)
    cohorts = cohort_chart_png(digest)
    if cohorts is None:
        return
    try:
        client.files_upload_v2(
            channel=channel,
            thread_ts=thread_ts,
            content=cohorts,
            filename=f"clv-cohorts-{week}.png",
            title=f"Cumulative revenue per customer by monthly acquisition cohort, as of {week}",
            alt_txt=CHART_ALT,
        )
    except Exception as exc:
        reason = f"cohort chart upload failed: {slack_reason(exc)}"
        log.warning("digest of week %s to %s: %s", week, channel, reason)
        note_on_post(engine, claim, reason)


def slack_error(exc: Exception) -> str | None:
    """Slack's error code of a failed Web API call (`not_in_channel`), None for another error."""
    response = getattr(exc, "response", None)
    error = response.get("error") if response is not None and hasattr(response, "get") else None
    return str(error) if error else None


def slack_reason(exc: Exception) -> str:
    """A failed Web API call in a line: Slack's error code, or the exception."""
    error = slack_error(exc)
    return f"Slack said {error}" if error else f"{type(exc).__name__}: {exc}"
