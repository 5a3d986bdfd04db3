"""Digest subscriptions in the store (`clv.subscriptions`: what one is).

The default delivery is the configuration's (`clv.subscriptions.default_subscription`).
Every other subscription is a `digest_subscriptions` row, keyed by
its id, which is also the number `/clv subscriptions` shows and `/clv unsubscribe` takes: it
never changes, so removing #3 removes #3 whatever was added or removed in between.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Engine, delete, func, insert, select
from sqlmodel import Session

from clv.errors import UserFacingError
from clv.insights.scope import DIMENSIONS, Dimension, GroupScope
from clv.settings import Settings
from clv.store.tables import digest_subscriptions_table
from clv.subscriptions import Cadence, Schedule, Subscription, default_subscription

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
    """Subscribe `channel`; the same subscription twice is one (the first is returned)."""
    values = {
        "channel": channel,
        "dimension": scope.dimension if scope else None,
        "group_name": scope.name if scope else None,
        "cadence": schedule.cadence,
        "day": schedule.day,
        "hour": schedule.hour,
        "minute": schedule.minute,
        "timezone": schedule.timezone,
    }
    with engine.begin() as connection:
        same = [subs.c[k] == v if v is not None else subs.c[k].is_(None) for k, v in values.items()]
        existing = connection.execute(select(subs).where(*same)).first()
        if existing is not None:
            return Added(_of(existing), created=False)
        count = connection.execute(select(func.count()).select_from(subs)).scalar_one()
        if count >= MAX_SUBSCRIPTIONS:
            raise TooManySubscriptionsError(
                f"there are {count} subscriptions, the most clvbot keeps: remove one first "
                "(`/clv unsubscribe <n>`)"
            )
        row_id = connection.execute(
            insert(subs).returning(subs.c.id).values(**values, created_by=by, created_at=now)
        ).scalar_one()
        row = connection.execute(select(subs).where(subs.c.id == row_id)).one()
    return Added(_of(row), created=True)


def remove_subscription(engine: Engine, subscription_id: int) -> Subscription | None:
    """Remove subscription `subscription_id`; the one removed, or None if there was none.
    Its claims stay: they are the record of what was posted."""
    with engine.begin() as connection:
        found = find_subscription(connection, subscription_id)
        if found is not None:
            connection.execute(delete(subs).where(subs.c.id == subscription_id))
    return found
