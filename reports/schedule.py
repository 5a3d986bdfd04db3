"""The scheduler's time logic, pure: which week (or month) a digest is about, which day a
re-score is as of, when a subscription fires.

Weeks run Monday to Sunday in the shop's time zone (`TIMEZONE`), as in the scoring history. The
digest's week is decided by `digest_week` alone: the preview, `--send`, the sandbox's button
and the scheduler all ask it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo

from apscheduler.triggers.cron import CronTrigger

from clv.subscriptions import Subscription


def last_complete_week_end(now: datetime, zone: tzinfo) -> date:
    """The Sunday that ended the last complete week before `now` (tz-aware) in `zone`."""
    today = now.astimezone(zone).date()
    days_back = (today.weekday() + 1) % 7 or 7  # Monday: 1 (yesterday); Sunday: 7
    return today - timedelta(days=days_back)


def week_end_on_or_before(day: date) -> date:
    """The last Sunday on or before `day` (the day itself on a Sunday)."""
    return day - timedelta(days=(day.weekday() + 1) % 7)


def digest_week(now: datetime, zone: tzinfo, *, newest_scored: date) -> date:
    """The week the digest is about: the last complete week in `zone` (ended before today)
    whose end is also on or before `newest_scored`, the newest day the scores are as of.

    So the digest never names a week its scores do not reach: scored as of Tuesday 1 Dec, on
    that Tuesday, it is the week ending Sunday 29 Nov; scored as of Saturday, on the Monday
    after, the week before that.
    """
    return min(last_complete_week_end(now, zone), week_end_on_or_before(newest_scored))


def previous_month_end(now: datetime, zone: tzinfo) -> date:
    """The last day of the calendar month before `now`'s date in `zone`: the month a monthly
    digest fired (or retried) at `now` is of, and its claim's key."""
    return now.astimezone(zone).date().replace(day=1) - timedelta(days=1)


def score_as_of(now: datetime, zone: tzinfo) -> date:
    """The day a scheduled re-score is as of: yesterday in `zone`, the last complete day."""
    return now.astimezone(zone).date() - timedelta(days=1)


def cron_trigger(expression: str, zone: tzinfo) -> CronTrigger:
    """A crontab expression (minute hour day month day-of-week) firing in `zone`."""
    return CronTrigger.from_crontab(expression, timezone=zone)


def subscription_trigger(subscription: Subscription) -> CronTrigger:
    """A subscription's trigger: its crontab in its own zone (DIGEST_CRON in TIMEZONE for the
    default one), so 09:00 stays 09:00 local across daylight-saving changes."""
    return cron_trigger(subscription.crontab, subscription.zone)


def next_fire(subscription: Subscription, after: datetime) -> datetime | None:
    """When `subscription` is next delivered after `after` (None: its crontab never fires)."""
    upcoming = next_fire_times(subscription.crontab, subscription.zone, after, 1)
    return upcoming[0] if upcoming else None


def next_fire_times(expression: str, zone: tzinfo, after: datetime, count: int) -> list[datetime]:
    """The next `count` times `expression` fires after `after`, in `zone`."""
    trigger = cron_trigger(expression, zone)
    times: list[datetime] = []
    previous: datetime | None = None
    now = after
    for _ in range(count):
        fire = trigger.get_next_fire_time(previous, now)
        if fire is None:
            break
        times.append(fire)
        # in UTC: a zone-aware datetime adds wall-clock time, and in the hour repeated when the
        # clocks go back, 02:30:00.000001 is read as the first 02:30 again
        previous, now = fire, fire.astimezone(UTC) + timedelta(microseconds=1)
    return times
