"""Who may use the bot: SLACK_ALLOWED_USERS and SLACK_ALLOWED_CHANNELS (empty: everyone);
who may send outreach (SLACK_OUTREACH_USERS) and change digest subscriptions
(SLACK_ADMIN_USERS)."""

from __future__ import annotations

from clv.settings import Settings


def to_id_set(value: str) -> frozenset[str]:
    return frozenset(part.strip() for part in value.split(",") if part.strip())


def is_allowed(
    settings: Settings, user_id: str | None, channel_id: str | None, *, own_surface: bool = False
) -> bool:
    """Allowed users only; in a channel, allowed channels only. `own_surface`: a request from
    the user's own App Home, a modal or a global shortcut, in no channel, seen by nobody else."""
    users = to_id_set(settings.slack_allowed_users)
    channels = to_id_set(settings.slack_allowed_channels)
    if users and user_id not in users:
        return False
    if own_surface:
        return True
    return not (channels and channel_id not in channels)


def may_send_outreach(settings: Settings, user_id: str | None) -> bool:
    """SLACK_OUTREACH_USERS, or anyone who can see the button when it is empty."""
    users = to_id_set(settings.slack_outreach_users)
    return user_id is not None and (not users or user_id in users)


def may_manage_subscriptions(settings: Settings, user_id: str | None) -> bool:
    """SLACK_ADMIN_USERS: only the users it names (empty: nobody)."""
    return bool(user_id) and user_id in to_id_set(settings.slack_admin_users)
