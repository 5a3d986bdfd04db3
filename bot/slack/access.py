"""Who may use the bot: SLACK_ALLOWED_USERS and SLACK_ALLOWED_CHANNELS (empty: everyone);
who may send outreach (SLACK_OUTREACH_USERS) and change digest subscriptions
(SLACK_ADMIN_USERS)."""

from __future__ import annotations

from clv.settings import Settings, to_id_set

__all__ = ["is_allowed", "may_manage_subscriptions", "may_send_outreach", "to_id_set"]


def is_allowed(
    settings: Settings, user_id: str | None, channel_id: str | None, *, own_surface: bool = False
) -> bool:
    """Allowed users only; in a channel, allowed channels only. `own_surface`: a request from
    the user's own App Home, a modal or a global shortcut, in no channel, seen by nobody else."""
    if not settings.is_allowed_user(user_id):
        return False
    channels = to_id_set(settings.slack_allowed_channels)
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
