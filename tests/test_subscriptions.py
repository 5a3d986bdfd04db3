"""`/clv subscribe …` parsed: every accepted form, the defaults, and a clear message naming
the wrong word for everything else (pure: no store)."""

from __future__ import annotations

import pytest

from clv.insights.scope import GroupScope, UnknownScopeError
from clv.settings import Settings
from clv.subscriptions import (
    Schedule,
    Subscription,
    SubscriptionSummary,
    SubscriptionSyntaxError,
    default_subscription,
    delivery_key,
    parse_subscription,
    summarize,
)

CHANNELS = ["email", "paid search", "campaign 001"]


def parse(text: str) -> tuple[GroupScope | None, Schedule]:
    request = parse_subscription(text, default_zone="Europe/Paris", channels=CHANNELS)
    return request.scope, request.schedule


@pytest.mark.parametrize(
    ("text", "scope", "schedule"),
    [
        ("", None, Schedule("weekly", 0, 9, 0, "Europe/Paris")),
        ("weekly", None, Schedule("weekly", 0, 9, 0, "Europe/Paris")),
        ("tier gold", GroupScope("tier", "Gold"), Schedule("weekly", 0, 9, 0, "Europe/Paris")),
        (
            "tier Gold weekly mon 09:00 Europe/Berlin",
            GroupScope("tier", "Gold"),
            Schedule("weekly", 0, 9, 0, "Europe/Berlin"),
        ),
        (
            "segment can't lose them FRIDAY 7:45 america/los_angeles",
            GroupScope("segment", "Can't Lose Them"),
            Schedule("weekly", 4, 7, 45, "America/Los_Angeles"),
        ),
        (
            "segment at risk monthly 15 23:59 UTC",
            GroupScope("segment", "At Risk"),
            Schedule("monthly", 15, 23, 59, "UTC"),
        ),
        ("monthly", None, Schedule("monthly", 1, 9, 0, "Europe/Paris")),
        ("monthly 28th 00:00", None, Schedule("monthly", 28, 0, 0, "Europe/Paris")),
        ("sun thurs", None, None),  # two days: refused below, not here
        (
            "channel paid search tue",
            GroupScope("channel", "paid search"),
            Schedule("weekly", 1, 9, 0, "Europe/Paris"),
        ),
        (  # a channel name with a number in it is the channel's, not a day of the month
            "channel campaign 001 monthly 2",
            GroupScope("channel", "campaign 001"),
            Schedule("monthly", 2, 9, 0, "Europe/Paris"),
        ),
        ("Asia/Kolkata 18:30 wed", None, Schedule("weekly", 2, 18, 30, "Asia/Kolkata")),
    ],
)
def test_accepted_forms_and_defaults(
    text: str, scope: GroupScope | None, schedule: Schedule | None
) -> None:
    if schedule is None:
        with pytest.raises(SubscriptionSyntaxError):
            parse(text)
        return
    assert parse(text) == (scope, schedule)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("weekly mondy", "I don't understand `mondy`"),
        ("weekly mondy", "Did you mean `monday`?"),
        ("gold", "For the Gold tier, say `tier Gold` first"),
        ("tier", "`tier` needs the name of a tier after it"),
        ("tier weekly", "tiers: Platinum, Gold, Silver, Bronze, Medium, Low"),
        ("tier Golden weekly", "no tier called 'Golden'; did you mean Gold?"),
        ("segment prospects", "Prospects have not bought yet"),
        ("channel tv", "no acquisition channel called 'tv'"),
        ("monthly 31", "`31` is not a day a monthly digest can use: say 1 to 28"),
        ("monthly 0", "`0` is not a day a monthly digest can use"),
        ("monthly monday", "not on `monday`: e.g. `monthly 1 09:00`"),
        ("weekly 15", "`15` is a day of the month: say `monthly 15`"),
        ("25:00", "`25:00` is not a time of day: use HH:MM on a 24-hour clock"),
        ("09:75", "`09:75` is not a time of day"),
        ("9am", "I don't understand `9am`"),
        ("Europe/Berlim", "`Europe/Berlim` is not a time zone: use an IANA name"),
        ("Europe/Berlim", "Did you mean Europe/Berlin"),
        ("../../etc/passwd", "is not a time zone"),
        ("weekly monthly", "`weekly` and `monthly`: say one cadence"),
        ("09:00 10:00", "`09:00` and `10:00`: say one time"),
        ("UTC Europe/Berlin", "`UTC` and `Europe/Berlin`: say one zone"),
    ],
)
def test_every_wrong_word_is_named_with_the_accepted_forms(text: str, message: str) -> None:
    with pytest.raises((SubscriptionSyntaxError, UnknownScopeError)) as caught:
        parse(text)
    assert message in str(caught.value)


def test_a_schedule_says_when_and_is_a_crontab_in_its_zone() -> None:
    weekly = Schedule("weekly", 6, 7, 5, "America/Los_Angeles")
    assert weekly.describe() == "weekly on Sunday at 07:05 America/Los_Angeles"
    assert weekly.crontab == "5 7 * * sun"
    monthly = Schedule("monthly", 22, 9, 0, "UTC")
    assert monthly.describe() == "monthly on the 22nd at 09:00 UTC"
    assert monthly.crontab == "0 9 22 * *"
    assert Schedule("monthly", 11, 9, 0, "UTC").describe().startswith("monthly on the 11th")


def test_a_subscription_is_summarised_once_for_every_listing() -> None:
    """`/clv subscriptions` and `clvbot digest subscriptions` show these words."""
    schedule = Schedule("weekly", 0, 9, 0, "Europe/Berlin")
    gold = Subscription("3", "C0SALES001", GroupScope("tier", "Gold"), "weekly",
                        schedule.crontab, schedule.timezone, schedule, 3)  # fmt: skip
    assert summarize(gold) == SubscriptionSummary(
        "#3", "C0SALES001", "Gold tier", "weekly", "weekly on Monday at 09:00 Europe/Berlin", None
    )
    settings = Settings(digest_channel="C0DIGEST01", digest_cron="30 8 * * fri",
                        timezone="UTC", _env_file=None)  # type: ignore[call-arg]  # fmt: skip
    default = default_subscription(settings)
    assert default is not None
    assert summarize(default) == SubscriptionSummary(
        "default", "C0DIGEST01", "whole shop", "weekly", "DIGEST_CRON `30 8 * * fri` in UTC",
        "DIGEST_CHANNEL and DIGEST_CRON",
    )  # fmt: skip


def test_the_delivery_key_tells_every_defining_column_apart() -> None:
    base = Schedule("weekly", 0, 9, 0, "UTC")
    keys = {
        delivery_key("C1", None, base),
        delivery_key("C2", None, base),
        delivery_key("C1", GroupScope("tier", "Gold"), base),
        delivery_key("C1", GroupScope("segment", "Gold"), base),
        delivery_key("C1", None, Schedule("monthly", 1, 9, 0, "UTC")),
        delivery_key("C1", None, Schedule("weekly", 1, 9, 0, "UTC")),
        delivery_key("C1", None, Schedule("weekly", 0, 9, 1, "UTC")),
        delivery_key("C1", None, Schedule("weekly", 0, 9, 0, "Europe/Berlin")),
    }
    assert len(keys) == 8
    assert delivery_key("C1", GroupScope("tier", "Gold"), base) == "C1|tier|Gold|weekly|0|09:00|UTC"
