"""Which week a weekly subscription's digest is of: the last week complete on the
subscription's own calendar when its job fires (capped by the newest scored week), so each
fire asks for the week after the previous fire's, across the autumn 2026 and spring 2027
clock changes of the shop's zone and of the subscription's, for zone pairs whose changes fall
on different Sundays (Europe, the US, New Zealand) or not at all (UTC). Before, the week was
read on the shop's calendar, and a fire near the shop's midnight fell on either side of it:
the same week twice (the second refused as already posted), then a week skipped.

A shop scored weekly from 13 Sep 2026 to 11 Apr 2027, on SQLite and PostgreSQL; frozen
clocks (time-machine)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import Engine

from clv.settings import Settings
from clv.store import read_snapshot
from clv.store.subscriptions import add_subscription
from clv.subscriptions import Schedule, Subscription
from reports.digest.data import subscription_period
from reports.jobs import JobContext, configure, subscription_job
from reports.schedule import next_fire_times
from tests.bot.fake_slack import FakeSlack
from tests.reports.conftest import build_small_shop

FIRST_WEEK, LAST_WEEK = date(2026, 9, 13), date(2027, 4, 11)  # Sundays, 31 weekly runs
AUTUMN = datetime(2026, 9, 14, tzinfo=UTC)  # NZ 27 Sep, Europe 25 Oct, US 1 Nov 2026
SPRING = datetime(2027, 2, 15, tzinfo=UTC)  # US 14 Mar, Europe 28 Mar, NZ 4 Apr 2027
FIRES = 8
# (shop TIMEZONE, subscription: day, HH:MM, zone); each fire near the shop's midnight
PAIRS = [
    ("Europe/Berlin", 6, "15:30", "America/Los_Angeles"),  # Sun 00:30 or 23:30 in Berlin
    ("America/Los_Angeles", 0, "08:30", "Europe/Berlin"),  # Sun 23:30 or Mon 00:30 in LA
    ("UTC", 0, "12:30", "Pacific/Auckland"),  # Sun 23:30 or Mon 00:30 UTC
    ("Pacific/Auckland", 6, "11:30", "UTC"),  # Sun 23:30 or Mon 00:30 in Auckland
    ("Europe/Berlin", 0, "09:00", "Europe/Berlin"),  # the shop's own zone: as before
]


@pytest.fixture
def long_shop(engine: Engine, settings: Settings, tmp_path: Path) -> Engine:
    weeks = (LAST_WEEK - FIRST_WEEK).days // 7
    build_small_shop(engine, settings, tmp_path, as_of=LAST_WEEK, backfill=weeks)
    return engine


def _subscription(day: int, at: str, zone: str) -> Subscription:
    hour, minute = (int(part) for part in at.split(":"))
    schedule = Schedule("weekly", day, hour, minute, zone)
    return Subscription("7", "C0WEEKS001", None, "weekly", schedule.crontab, zone, schedule, 7)


@pytest.mark.parametrize("start", [AUTUMN, SPRING], ids=["autumn", "spring"])
@pytest.mark.parametrize(("shop_zone", "day", "at", "zone"), PAIRS)
def test_each_fire_is_of_the_week_after_the_previous_fires_week(
    long_shop: Engine,
    settings: Settings,
    start: datetime,
    shop_zone: str,
    day: int,
    at: str,
    zone: str,
) -> None:
    shop = settings.model_copy(update={"timezone": shop_zone})
    subscription = _subscription(day, at, zone)
    fires = next_fire_times(subscription.crontab, subscription.zone, start, FIRES)
    with read_snapshot(long_shop) as session:
        weeks = [subscription_period(session, shop, subscription, now=f) for f in fires]
    # the last Sunday before the fire's local date: the week it is of
    expected = [_last_sunday_before(f.astimezone(subscription.zone).date()) for f in fires]
    assert weeks == expected
    assert [b - a for a, b in pairwise(weeks)] == [timedelta(7)] * (FIRES - 1)


def _last_sunday_before(day: date) -> date:
    return day - timedelta(days=(day.weekday() + 1) % 7 or 7)


def test_the_shops_and_the_subscriptions_clocks_change_apart_and_every_fire_posts_a_week(
    long_shop: Engine, digest_settings: Settings, fake_slack: FakeSlack
) -> None:
    """The review's case: shop Europe/Berlin, "sun 15:30 America/Los_Angeles". Berlin's clocks
    go back on 25 Oct, Los Angeles' on 1 Nov: the 18 Oct fire is 00:30 Monday in Berlin, the
    25 Oct one 23:30 Sunday. Before, both were of week 18 Oct (the second refused as already
    posted) and week 25 Oct was never posted."""
    shop = digest_settings.model_copy(update={"timezone": "Europe/Berlin"})
    added = add_subscription(long_shop, channel="C0LOSANGEL", scope=None, by="U0ADMIN",
                             now=AUTUMN, schedule=Schedule("weekly", 6, 15, 30,
                                                           "America/Los_Angeles"))  # fmt: skip
    subscription = added.subscription
    configure(JobContext(long_shop, shop))
    fires = next_fire_times(subscription.crontab, subscription.zone, AUTUMN + timedelta(21), 4)
    assert [f.astimezone(UTC).strftime("%m-%d %H:%M") for f in fires] == [
        "10-11 22:30", "10-18 22:30", "10-25 22:30", "11-01 23:30",
    ]  # fmt: skip
    statuses = []
    for fire in fires:
        with time_machine.travel(fire, tick=False):
            fake_slack.ts_base = fire.timestamp()
            statuses.append(str(getattr(subscription_job(subscription.id or 0), "status", None)))
            again = subscription_job(subscription.id or 0)  # a second run of the same fire
            statuses.append(str(getattr(again, "status", None)))
    assert statuses == ["posted", "already_posted"] * 4
    posted = [m["metadata"]["event_payload"]["week_end"]
              for m in fake_slack.channel_posts("C0LOSANGEL")]  # fmt: skip
    assert posted == ["2026-10-04", "2026-10-11", "2026-10-18", "2026-10-25"]
