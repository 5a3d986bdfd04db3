"""`/clv subscribe`, `/clv subscriptions`, `/clv unsubscribe`: confirmations, the list, and
the refusals. Pure: subscriptions and their next fire times in, Block Kit out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.slack.payloads import is_slack_id
from bot.slack.render.notices import render_help, render_notice
from clv.present.blocks import context, escape, header, line_sections, to_message
from clv.store.subscriptions import Added
from clv.subscriptions import Subscription

MANAGE = (
    "Add one with `/clv subscribe [segment|tier|channel &lt;name&gt;] [weekly|monthly] [day] "
    "[HH:MM] [time zone]` in the channel it should go to; remove one with "
    "`/clv unsubscribe &lt;n&gt;` (both for the people in `SLACK_ADMIN_USERS`)."
)
Upcoming = tuple[Subscription, datetime | None]  # a subscription and its next fire time


def to_local_time(fire: datetime | None, subscription: Subscription) -> str:
    """ "Mon 02 Nov 2026 09:00 CET (08:00 UTC)": in the subscription's own zone."""
    if fire is None:
        return "never"
    local = fire.astimezone(subscription.zone)
    return f"{local:%a %d %b %Y %H:%M %Z} ({fire.astimezone(UTC):%H:%M} UTC)"


def describe_group(subscription: Subscription) -> str:
    """Whose digest, as mrkdwn: "the whole shop", "the Gold tier" (data escaped)."""
    scope = subscription.scope
    return "the whole shop" if scope is None else f"the {escape(scope.label)}"


def channel_ref(channel: str) -> str:
    """A channel id as a mention (`<#C123>`); a name (DIGEST_CHANNEL may be one) as text."""
    return f"<#{channel}>" if is_slack_id(channel) else escape(channel)


def _number(subscription: Subscription) -> str:
    return "default" if subscription.is_default else f"#{subscription.key}"


def subscription_line(subscription: Subscription, fire: datetime | None) -> str:
    cadence = "monthly" if subscription.cadence == "monthly" else "weekly"
    where = channel_ref(subscription.channel)
    line = (
        f"*{_number(subscription)}* · {where} · {describe_group(subscription)}, {cadence} · "
        f"{escape(subscription.describe_schedule())} · next {to_local_time(fire, subscription)}"
    )
    if subscription.is_default:
        line += " · _set by DIGEST_CHANNEL and DIGEST_CRON_"
    return line


def render_subscriptions(upcoming: list[Upcoming]) -> dict[str, Any]:
    """Every delivery with its number, channel, group, schedule and next fire time."""
    if not upcoming:
        return render_notice(f"No digest is delivered anywhere yet. {MANAGE}")
    lines = [subscription_line(s, fire) for s, fire in upcoming]
    blocks = [header("Digest subscriptions"), *line_sections(lines), context(MANAGE)]
    return to_message(f"{len(upcoming)} digest subscription(s)", blocks)


def render_subscribed(
    added: Added, fire: datetime | None, *, scheduled_here: bool
) -> dict[str, Any]:
    subscription = added.subscription
    what = f"{describe_group(subscription)}'s digest, {escape(subscription.describe_schedule())}"
    if not added.created:
        return render_notice(
            f"{channel_ref(subscription.channel)} already has this subscription: "
            f"*{_number(subscription)}*, {what}. Next: {to_local_time(fire, subscription)}."
        )
    later = "" if scheduled_here else " (the scheduler picks it up within a few minutes)"
    return render_notice(
        f"Subscribed {channel_ref(subscription.channel)} to {what}: subscription "
        f"*{_number(subscription)}*. First delivery {to_local_time(fire, subscription)}"
        f"{later}. clvbot must be a member of the channel to post there; "
        f"`/clv unsubscribe {subscription.key}` stops it."
    )


def render_unsubscribed(subscription: Subscription) -> dict[str, Any]:
    return render_notice(
        f"Removed subscription *{_number(subscription)}*: {describe_group(subscription)}'s "
        f"digest to {channel_ref(subscription.channel)}, "
        f"{escape(subscription.describe_schedule())}. Its past posts stay in the channel."
    )


def render_subscription_refused(*, admins_set: bool, verb: str) -> dict[str, Any]:
    """Someone not in SLACK_ADMIN_USERS; `admins_set=False`: it names nobody."""
    if not admins_set:
        return render_notice(
            f"Nobody can {verb} digests from Slack: `SLACK_ADMIN_USERS` names nobody. An "
            "admin can add your Slack user id there. `/clv subscriptions` lists the deliveries."
        )
    return render_notice(
        f"Sorry, only the people in `SLACK_ADMIN_USERS` can {verb} digests: ask one of them. "
        "`/clv subscriptions` lists the deliveries."
    )


def render_subscription_problem(problem: str) -> dict[str, Any]:
    """A wrong word or an unknown group: the core's sentence (plain text), and the help."""
    return render_help(escape(problem))
