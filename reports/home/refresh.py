"""After a scoring run: rebuild the home tab of each user who opened it recently.

Only homes opened within APP_HOME_REFRESH_DAYS and not yet of the current run are published,
each after claiming its user's row for the run, so a second replica running at the same time
(or a re-run of the job) publishes nothing twice. Each user's failure is
logged and the others go on; a 429 is retried by the client's rate-limit handler.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from slack_sdk import WebClient
from sqlalchemy import Engine, or_, select

from clv.insights.runs import NoScoresError, current_ref
from clv.settings import Settings
from clv.store import read_snapshot
from clv.store.tables import app_home_views_table
from reports.home.publish import forget_home, publish_home
from reports.home.render import render_no_access_home

log = logging.getLogger("clvbot.home")
views = app_home_views_table


def stale_homes(engine: Engine, settings: Settings, *, now: datetime) -> list[str]:
    """The users who opened their home recently and whose home is not of the current run."""
    since = now - timedelta(days=settings.app_home_refresh_days)
    with read_snapshot(engine) as session:
        try:
            run_id = current_ref(session).run_id
        except NoScoresError:
            return []
        rows = session.execute(
            select(views.c.user_id)
            .where(views.c.opened_at >= since)
            .where(or_(views.c.published_run_id.is_(None), views.c.published_run_id != run_id))
            .order_by(views.c.user_id)
        )
        return [str(user) for user in rows.scalars()]


def refresh_homes(engine: Engine, settings: Settings, client: WebClient, *, now: datetime) -> int:
    """The number of home tabs republished from the current run (by this process: a home
    another replica claimed first is left to it). A user SLACK_ALLOWED_USERS no longer lists
    gets a home without data, once, and is forgotten."""
    published = 0
    for user_id in stale_homes(engine, settings, now=now):
        try:
            if not settings.is_allowed_user(user_id):
                client.views_publish(user_id=user_id, view=render_no_access_home())
                forget_home(engine, user_id)
                continue
            if publish_home(engine, settings, client, user_id, now=now, claim=True):
                published += 1
        except Exception:
            log.warning("could not republish the home of %s", user_id, exc_info=True)
    if published:
        log.info("republished %d home tab(s) from the current run", published)
    return published
