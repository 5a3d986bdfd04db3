"""Publishing a user's home tab (`views.publish`), and remembering who opened it.

A home is rebuilt when its user opens it and it is not of the current run, and after each
scoring run for the users who opened it within APP_HOME_REFRESH_DAYS (`refresh`): never on
every event. `app_home_views` keeps, per user, when they last opened it and which run their
home was built from, so two replicas agree on what is current.

The trend chart is drawn and uploaded once per run (`app_home_charts`); the file goes to no
channel, and every home of that run names it in an image block. A chart that cannot be drawn
or uploaded leaves the image out: the same numbers are in the text.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from slack_sdk import WebClient
from sqlalchemy import Engine, select, update

from clv.insights.lists import record_list
from clv.settings import Settings
from clv.store import read_snapshot
from clv.store.engine import upsert_insert
from clv.store.tables import app_home_charts_table, app_home_views_table
from reports.charts import render_trend_chart
from reports.home.data import Home, build_home
from reports.home.render import CHART_ALT, CHART_TITLE, render_home

log = logging.getLogger("clvbot.home")
views, charts = app_home_views_table, app_home_charts_table
OPEN_NOTE_EVERY = timedelta(hours=1)  # an open is written at most hourly per user
_UPLOADING = threading.Lock()


@dataclass(frozen=True)
class Published:
    user_id: str
    run_id: int
    chart_file_id: str | None


def publish_home(
    engine: Engine, settings: Settings, client: WebClient, user_id: str, *, now: datetime
) -> Published:
    """Build the user's home from the current run and publish it (NoScoresError before the
    first run: the caller publishes the welcome instead)."""
    with read_snapshot(engine) as session:
        home = build_home(session, settings, now=now)
    for listing in (home.dormant, home.overdue):  # the home shows arms: record them
        record_list(engine, listing, now=now)
    file_id = chart_file(engine, client, home, now=now)
    client.views_publish(user_id=user_id, view=render_home(home, chart_file_id=file_id))
    with engine.begin() as connection:
        connection.execute(
            update(views)
            .where(views.c.user_id == user_id)
            .values(published_at=now, published_run_id=home.run.run_id)
        )
    return Published(user_id, home.run.run_id, file_id)


def note_opened(engine: Engine, user_id: str, *, now: datetime) -> int | None:
    """Record that `user_id` opened their home; the run their home shows (None: never
    published). Written at most once an hour per user: an open is an event, not a job."""
    with engine.connect() as connection:
        row = connection.execute(
            select(views.c.opened_at, views.c.published_run_id).where(views.c.user_id == user_id)
        ).first()
    shown: int | None = None if row is None else row.published_run_id
    if row is not None and row.opened_at > now - OPEN_NOTE_EVERY:
        return shown
    with engine.begin() as connection:
        insert = upsert_insert(connection, views).values(user_id=user_id, opened_at=now)
        connection.execute(
            insert.on_conflict_do_update(index_elements=["user_id"], set_={"opened_at": now})
        )
    return shown


def chart_file(engine: Engine, client: WebClient, home: Home, *, now: datetime) -> str | None:
    """The Slack file of this run's trend chart: uploaded by the first home of the run (homes
    opened at once in one process wait for that upload; two replicas may both upload, and
    the first file recorded is the one every home names)."""
    with _UPLOADING:
        return _chart_file(engine, client, home, now=now)


def _chart_file(engine: Engine, client: WebClient, home: Home, *, now: datetime) -> str | None:
    run_id = home.run.run_id
    with engine.connect() as connection:
        found = connection.execute(
            select(charts.c.file_id).where(charts.c.run_id == run_id)
        ).scalar_one_or_none()
    if found is not None:
        return str(found)
    try:
        trend = home.trend
        png = render_trend_chart(
            [p.week_end for p in trend],
            [p.customer_equity for p in trend],
            [p.mean_clv for p in trend],
            currency=home.run.currency,
        )
        upload = client.files_upload_v2(
            content=png, filename=f"clv-home-trend-{run_id}.png", title=CHART_TITLE,
            alt_txt=CHART_ALT,
        )  # fmt: skip
        file_id = str(upload["file"]["id"])
    except Exception:  # the numbers are in the text: a home without its image is still whole
        log.warning("the home chart of run %d could not be uploaded", run_id, exc_info=True)
        return None
    with engine.begin() as connection:  # two replicas may both upload: the first one stays
        insert = upsert_insert(connection, charts).values(
            run_id=run_id, file_id=file_id, uploaded_at=now
        )
        connection.execute(insert.on_conflict_do_nothing(index_elements=["run_id"]))
        kept = connection.execute(select(charts.c.file_id).where(charts.c.run_id == run_id))
        return str(kept.scalar_one())
