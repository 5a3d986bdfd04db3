"""`/clv subscribe …` (in the channel the digest goes to), `/clv subscriptions` and
`/clv unsubscribe <n>`. Subscribing and unsubscribing are for the people in
SLACK_ADMIN_USERS (empty: nobody from Slack); anyone who may use /clv may list. A change is
brought into this process's scheduler at once (`reports.scheduler.refresh_subscription_jobs`);
other schedulers follow the table within minutes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.slack.access import to_id_set
from bot.slack.deps import Deps
from bot.slack.payloads import ClvRequest, to_limit
from bot.slack.render import render_help, render_notice
from bot.slack.render.subscriptions import (
    render_subscribed,
    render_subscription_problem,
    render_subscription_refused,
    render_subscriptions,
    render_unsubscribed,
)
from clv.insights.scope import UnknownScopeError, known_channels
from clv.present.blocks import code
from clv.settings import Settings
from clv.store import read_snapshot
from clv.store.subscriptions import (
    TooManySubscriptionsError,
    add_subscription,
    all_subscriptions,
    remove_subscription,
)
from clv.subscriptions import Subscription, SubscriptionSyntaxError, parse_subscription
from reports.schedule import next_fire_times
from reports.scheduler import refresh_subscription_jobs

Message = dict[str, Any]


def may_manage_subscriptions(settings: Settings, user: str | None) -> bool:
    """SLACK_ADMIN_USERS: only the users it names (empty: nobody)."""
    return bool(user) and user in to_id_set(settings.slack_admin_users)


def next_fire(subscription: Subscription, now: datetime) -> datetime | None:
    upcoming = next_fire_times(subscription.crontab, subscription.zone, now, 1)
    return upcoming[0] if upcoming else None


def _refused(deps: Deps, user: str, verb: str) -> Message | None:
    if may_manage_subscriptions(deps.settings, user):
        return None
    admins = bool(to_id_set(deps.settings.slack_admin_users))
    return render_subscription_refused(admins_set=admins, verb=verb)


def subscribe_answer(deps: Deps, user: str, request: ClvRequest) -> Message:
    if (refusal := _refused(deps, user, "subscribe channels to")) is not None:
        return refusal
    if not request.channel:
        return render_notice("Type `/clv subscribe …` in the channel the digest should go to.")
    now = datetime.now(UTC)
    try:
        with read_snapshot(deps.engine) as session:
            channels = known_channels(session)
        wanted = parse_subscription(
            request.argument, default_zone=deps.settings.timezone, channels=channels
        )
        added = add_subscription(deps.engine, channel=request.channel, scope=wanted.scope,
                                 schedule=wanted.schedule, by=user, now=now)  # fmt: skip
    except (SubscriptionSyntaxError, UnknownScopeError, TooManySubscriptionsError) as exc:
        return render_subscription_problem(str(exc))
    here = refresh_subscription_jobs(deps.engine, deps.settings) if added.created else True
    return render_subscribed(added, next_fire(added.subscription, now), scheduled_here=here)


def subscriptions_answer(deps: Deps, user: str, request: ClvRequest) -> Message:
    now = datetime.now(UTC)
    with read_snapshot(deps.engine) as session:
        listing = all_subscriptions(session, deps.settings)
    return render_subscriptions([(s, next_fire(s, now)) for s in listing])


def unsubscribe_answer(deps: Deps, user: str, request: ClvRequest) -> Message:
    if (refusal := _refused(deps, user, "unsubscribe channels from")) is not None:
        return refusal
    word = request.argument.strip()
    if word.lower() == "default":
        return render_notice(
            "The default digest is the configuration's: unset `DIGEST_CHANNEL` (or change "
            "`DIGEST_CRON`) and restart clvbot to stop or move it."
        )
    number = to_limit(word.removeprefix("#"))
    if number is None:
        shown = code(word, 40) if word else "nothing"
        return render_help(
            f"`/clv unsubscribe` takes a subscription's number, as `/clv subscriptions` lists "
            f"them (e.g. `/clv unsubscribe 3`), not {shown}."
        )
    removed = remove_subscription(deps.engine, number)
    if removed is None:
        return render_notice(
            f"There is no subscription #{number}: `/clv subscriptions` lists them."
        )
    refresh_subscription_jobs(deps.engine, deps.settings)
    return render_unsubscribed(removed)
