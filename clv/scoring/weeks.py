"""Week arithmetic for scoring history. Weeks run Monday to Sunday in the shop's time zone."""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo


def week_end(day: date) -> date:
    """The Sunday that ends the week `day` falls in (the day itself on a Sunday)."""
    return day + timedelta(days=6 - day.weekday())


def previous_week_ends(day: date, count: int) -> list[date]:
    """The `count` week ends strictly before `day`'s own week end, oldest first."""
    last = week_end(day) - timedelta(days=7)
    return [last - timedelta(days=7 * k) for k in range(count - 1, -1, -1)]


def today_in(zone: tzinfo, now: datetime) -> date:
    """The calendar day it is at `now` in `zone` (`now` must be tz-aware)."""
    return now.astimezone(zone).date()
