"""Digest subscriptions: a channel's delivery of the digest, of the whole shop or of one
group, weekly or monthly, at a time of day in a time zone of its own (`/clv subscribe`)."""

from clv.subscriptions.spec import (
    Cadence,
    Schedule,
    SubscriptionRequest,
    SubscriptionSyntaxError,
    parse_subscription,
)
from clv.subscriptions.store import (
    DEFAULT_KEY,
    MAX_SUBSCRIPTIONS,
    Added,
    Subscription,
    TooManySubscriptionsError,
    add_subscription,
    all_subscriptions,
    default_subscription,
    find_subscription,
    remove_subscription,
    stored_subscriptions,
)

__all__ = [
    "DEFAULT_KEY",
    "MAX_SUBSCRIPTIONS",
    "Added",
    "Cadence",
    "Schedule",
    "Subscription",
    "SubscriptionRequest",
    "SubscriptionSyntaxError",
    "TooManySubscriptionsError",
    "add_subscription",
    "all_subscriptions",
    "default_subscription",
    "find_subscription",
    "parse_subscription",
    "remove_subscription",
    "stored_subscriptions",
]
