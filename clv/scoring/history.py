"""The weekly history's points: one per calendar week, on the newest day scored in it.

Weeks run Monday to Sunday in the shop's time zone. Every run is stored under its own day
(`scoring_runs.week_end` = its `as_of`, and its customers' `customer_weekly` rows under that
day), so nothing stored ends after its data: a run as of Tuesday 1 Dec is the point
"1 Dec", never "the week ending Sunday 6 Dec". A week keeps one point: a later run of the same
week takes it over (the week's earlier runs are filed under the new point, whose run is the
newest, and their weekly rows are replaced), so on the Sunday the point becomes the complete
week's. Readers that group runs by `week_end` (`clv.insights.weekly_runs`) see one run per
week: the newest, whose `week_end` is its own `as_of`.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Connection, and_, delete, func, select, update

from clv.scoring.weeks import week_end
from clv.store.tables import customer_weekly_table, scoring_runs_table

weekly, runs = customer_weekly_table, scoring_runs_table


def week_of(day: date) -> tuple[date, date]:
    """The Monday and the Sunday of the calendar week `day` falls in."""
    sunday = week_end(day)
    return sunday - timedelta(days=6), sunday


def take_week_point(connection: Connection, *, run_id: int, as_of: date) -> None:
    """Make the run `run_id` (as of `as_of`) its week's point, inside the caller's transaction
    (before its weekly rows are written under `as_of`)."""
    monday, sunday = week_of(as_of)
    connection.execute(
        update(runs)
        .where(runs.c.as_of >= monday, runs.c.as_of <= sunday, runs.c.id != run_id)
        .values(week_end=as_of)
    )
    connection.execute(
        delete(weekly).where(
            and_(weekly.c.week_end >= monday, weekly.c.week_end <= sunday),
            weekly.c.week_end != as_of,
        )
    )


def previous_point(connection: Connection, day: date) -> date | None:
    """The point of the calendar week before `day`'s (its Sunday once complete), if stored."""
    monday, _ = week_of(day)
    found = connection.execute(
        select(func.max(weekly.c.week_end)).where(
            weekly.c.week_end >= monday - timedelta(days=7), weekly.c.week_end < monday
        )
    ).scalar()
    if isinstance(found, str):  # SQLite hands an aggregate's date back as text
        return date.fromisoformat(found)
    return found if isinstance(found, date) else None
