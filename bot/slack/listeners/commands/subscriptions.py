"""`/clv subscribe …` (in the channel the digest goes to), `/clv subscriptions` and
`/clv unsubscribe <n>`. Subscribing and unsubscribing are for the people in
SLACK_ADMIN_USERS (empty: nobody from Slack); anyone who may use /clv may list. A change is
brought into this process's scheduler at once (`reports.scheduler.refresh_subscription_jobs`);
other schedulers follow the table within minutes.

Subscribing and unsubscribing write, so they are answered from bolt's lazy listener, after
the acknowledgement, through the response_url: a write is never left running behind a reply
that gave up waiting for it (`clv.store.deadline.within` is for reads), and each wait on the
store is bounded by STORE_TIMEOUT_SECONDS all the same (`bot.slack.deps.bot_engine`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.access import may_manage_subscriptions, to_id_set
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
from clv.store import read_snapshot
from clv.store.subscriptions import (
    TooManySubscriptionsError,
    add_subscription,
    all_subscriptions,
    remove_subscription,
)
from clv.subscriptions import SubscriptionSyntaxError, parse_subscription
from reports.schedule import next_fire
from reports.scheduler import refresh_subscription_jobs

Message = dict[str, Any]
NOT_A_MEMBER = ("not_in_channel", "channel_not_found")  # a private channel hides itself


def _refused(deps: Deps, user: str, verb: str) -> Message | None:
    if may_manage_subscriptions(deps.settings, user):
        return None
    admins = bool(to_id_set(deps.settings.slack_admin_users))
    return render_subscription_refused(admins_set=admins, verb=verb)


def is_bot_in_channel(client: WebClient, channel: str) -> bool | None:
    """Whether clvbot is a member of `channel`, from the scopes it has (channels:history,
    groups:history; conversations.info would need channels:read): conversations.history
    answers `not_in_channel` for a public channel the bot is not in, `channel_not_found` for
    a private one (https://api.slack.com/methods/conversations.history#errors). The one
    message asked for is not looked at. None: Slack could not tell (another error)."""
    try:
        client.conversations_history(channel=channel, limit=1)
    except SlackApiError as exc:
        return False if exc.response.get("error") in NOT_A_MEMBER else None
    except Exception:  # Slack unreachable: the subscription stands, the reply says to check
        return None
    return True


def subscribe_answer(deps: Deps, user: str, request: ClvRequest, client: WebClient) -> Message:
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
    return render_subscribed(added, next_fire(added.subscription, now), scheduled_here=here,
                             in_channel=is_bot_in_channel(client, request.channel))  # fmt: skip


def subscriptions_answer(deps: Deps, user: str, request: ClvRequest) -> Message:
    now = datetime.now(UTC)
    with read_snapshot(deps.engine) as session:
        listing = all_subscriptions(session, deps.settings)
    return render_subscriptions([(s, next_fire(s, now)) for s in listing])


def unsubscribe_answer(deps: Deps, user: str, request: ClvRequest, client: WebClient) -> Message:
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
