"""Digest subscriptions in the store (`clv.subscriptions`: what one is).

The default delivery is the configuration's (`clv.subscriptions.default_subscription`).
Every other subscription is a `digest_subscriptions` row, keyed by
its id, which is also the number `/clv subscriptions` shows and `/clv unsubscribe` takes: it
never changes and is never reused, so removing #3 removes #3 whatever was added or removed
in between, and a new subscription starts with no claims of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Engine, delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from clv.errors import UserFacingError
from clv.insights.scope import DIMENSIONS, Dimension, GroupScope
from clv.settings import Settings
from clv.store.tables import digest_subscriptions_table
from clv.subscriptions import (
    Cadence,
    Schedule,
    Subscription,
    default_subscription,
    delivery_key,
)

subs = digest_subscriptions_table
MAX_SUBSCRIPTIONS = 50  # each is a scheduler job and a line of `/clv subscriptions`


class TooManySubscriptionsError(UserFacingError, RuntimeError):
    pass


def _of(row: Any) -> Subscription:
    schedule = Schedule(cast(Cadence, row.cadence), row.day, row.hour, row.minute, row.timezone)
    scope = None
    if row.dimension in DIMENSIONS and row.group_name:
        scope = GroupScope(cast(Dimension, row.dimension), row.group_name)
    return Subscription(str(row.id), row.channel, scope, schedule.cadence, schedule.crontab,
                        schedule.timezone, schedule, int(row.id), row.created_by,
                        row.created_at)  # fmt: skip


def stored_subscriptions(reader: Session | Connection) -> list[Subscription]:
    """Every subscription row, oldest first."""
    return [_of(row) for row in reader.execute(select(subs).order_by(subs.c.id))]


def all_subscriptions(reader: Session | Connection, settings: Settings) -> list[Subscription]:
    """The default delivery (when DIGEST_CHANNEL is set), then the stored ones."""
    default = default_subscription(settings)
    return [*([default] if default else []), *stored_subscriptions(reader)]


def find_subscription(reader: Session | Connection, subscription_id: int) -> Subscription | None:
    row = reader.execute(select(subs).where(subs.c.id == subscription_id)).first()
    return None if row is None else _of(row)


@dataclass(frozen=True)
class Added:
    subscription: Subscription
    created: bool  # False: the channel had this very subscription already


def add_subscription(
    engine: Engine,
    *,
    channel: str,
    scope: GroupScope | None,
    schedule: Schedule,
    by: str,
    now: datetime,
) -> Added:
    """Subscribe `channel`; the same subscription twice is one (the first is returned), even
    when two requests race: the unique `delivery` key refuses the second insert."""
    delivery = delivery_key(channel, scope, schedule)
    values = {
        "delivery": delivery,
        "channel": channel,
        "dimension": scope.dimension if scope else None,
        "group_name": scope.name if scope else None,
        "cadence": schedule.cadence,
        "day": schedule.day,
        "hour": schedule.hour,
        "minute": schedule.minute,
        "timezone": schedule.timezone,
        "created_by": by,
        "created_at": now,
    }
    try:
        with engine.begin() as connection:
            _check_room(connection, delivery)
            row = connection.execute(insert(subs).values(**values).returning(*subs.c)).one()
        return Added(_of(row), created=True)
    except IntegrityError:  # stored already, by an earlier request or one racing this one
        pass
    with engine.connect() as connection:
        existing = connection.execute(select(subs).where(subs.c.delivery == delivery)).one()
    return Added(_of(existing), created=False)


def _check_room(connection: Connection, delivery: str) -> None:
    """TooManySubscriptionsError when the table is full, unless `delivery` is stored already
    (the insert then finds it)."""
    count = connection.execute(select(func.count()).select_from(subs)).scalar_one()
    if count < MAX_SUBSCRIPTIONS:
        return
    if connection.execute(select(subs.c.id).where(subs.c.delivery == delivery)).first():
        return
    raise TooManySubscriptionsError(
        f"there are {count} subscriptions, the most clvbot keeps: remove one first "
        "(`/clv unsubscribe <n>`)"
    )


def remove_subscription(engine: Engine, subscription_id: int) -> Subscription | None:
    """Remove subscription `subscription_id`; the one removed, or None if there was none.
    Its claims stay: they are the record of what was posted."""
    with engine.begin() as connection:
        found = find_subscription(connection, subscription_id)
        if found is not None:
            connection.execute(delete(subs).where(subs.c.id == subscription_id))
    return found
