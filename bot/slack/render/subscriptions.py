"""`/clv subscribe`, `/clv subscriptions`, `/clv unsubscribe`: confirmations, the list, and
the refusals. Pure: subscriptions and their next fire times in, Block Kit out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.slack.payloads import is_slack_id
from bot.slack.render.notices import render_help, render_notice
from clv.present.blocks import context, escape, header, line_sections, to_message
from clv.store.subscriptions import Added
from clv.subscriptions import Subscription, summarize

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
    return f"the {escape(summarize(subscription).group)}"


def channel_ref(channel: str) -> str:
    """A channel id as a mention (`<#C123>`); a name (DIGEST_CHANNEL may be one) as text."""
    return f"<#{channel}>" if is_slack_id(channel) else escape(channel)


def subscription_line(subscription: Subscription, fire: datetime | None) -> str:
    """One listing line: the summary's words (`clv.subscriptions.summarize`), styled."""
    summary = summarize(subscription)
    line = (
        f"*{summary.number}* · {channel_ref(summary.channel)} · the {escape(summary.group)}, "
        f"{summary.cadence} · {escape(summary.schedule)} · next "
        f"{to_local_time(fire, subscription)}"
    )
    if summary.set_by:
        line += f" · _set by {summary.set_by}_"
    return line


def render_subscriptions(upcoming: list[Upcoming]) -> dict[str, Any]:
    """Every delivery with its number, channel, group, schedule and next fire time."""
    if not upcoming:
        return render_notice(f"No digest is delivered anywhere yet. {MANAGE}")
    lines = [subscription_line(s, fire) for s, fire in upcoming]
    blocks = [header("Digest subscriptions"), *line_sections(lines), context(MANAGE)]
    return to_message(f"{len(upcoming)} digest subscription(s)", blocks)


def render_subscribed(
    added: Added, fire: datetime | None, *, scheduled_here: bool, in_channel: bool | None
) -> dict[str, Any]:
    """The confirmation; `in_channel`: whether clvbot is a member of the channel (None: it
    could not be told), since it can only post where it is one."""
    subscription = added.subscription
    number = summarize(subscription).number
    what = f"{describe_group(subscription)}'s digest, {escape(subscription.describe_schedule())}"
    member = _membership(subscription.channel, in_channel)
    if not added.created:
        return render_notice(
            f"{channel_ref(subscription.channel)} already has this subscription: *{number}*, "
            f"{what}. Next: {to_local_time(fire, subscription)}.{member}"
        )
    later = "" if scheduled_here else " (the scheduler picks it up within a few minutes)"
    return render_notice(
        f"Subscribed {channel_ref(subscription.channel)} to {what}: subscription *{number}*. "
        f"First delivery {to_local_time(fire, subscription)}{later}.{member} "
        f"`/clv unsubscribe {subscription.key}` stops it."
    )


def _membership(channel: str, in_channel: bool | None) -> str:
    if in_channel is True:
        return ""
    if in_channel is False:
        return (
            f" :warning: I am not a member of {channel_ref(channel)}, so I cannot post its "
            "digests: invite me with `/invite @clvbot`."
        )
    return " I can only post where I am a member: if I am not, invite me with `/invite @clvbot`."


def render_unsubscribed(subscription: Subscription) -> dict[str, Any]:
    number = summarize(subscription).number
    return render_notice(
        f"Removed subscription *{number}*: {describe_group(subscription)}'s digest to "
        f"{channel_ref(subscription.channel)}, {escape(subscription.describe_schedule())}. "
        "Its past posts stay in the channel."
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
