"""Publishing a user's home tab (`views.publish`), and remembering who opened it.

A home is rebuilt when its user opens it and it is not of the current run, and after each
scoring run for the users who opened it within APP_HOME_REFRESH_DAYS (`refresh`): never on
every event. `app_home_views` keeps, per user, when they last opened it and which run their
home was built from, so two replicas agree on what is current: a refresh claims the user's
row for the run before it publishes (one replica wins), and no publish records an older run
over a newer one.

The trend chart is drawn and uploaded once per run (`app_home_charts`); the file goes to no
channel, and every home of that run names it in an image block. A chart that cannot be drawn
or uploaded, or that Slack will not show (`invalid_blocks`: a private file is not always
usable in a view, python-slack-sdk#1521), leaves the image out: the same numbers are in the
text. The files of runs before the previous one are deleted.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine, delete, or_, select, update

from clv.insights.lists import record_list
from clv.settings import Settings
from clv.store import read_snapshot
from clv.store.engine import upsert_insert
from clv.store.tables import app_home_charts_table, app_home_views_table
from reports.charts import render_trend_points
from reports.home.data import Home, build_home
from reports.home.render import CHART_ALT, CHART_TITLE, render_home

log = logging.getLogger("clvbot.home")
views, charts = app_home_views_table, app_home_charts_table
OPEN_NOTE_EVERY = timedelta(hours=1)  # an open is written at most hourly per user
CHART_REFUSED = frozenset({"invalid_blocks", "invalid_arguments"})
KEPT_CHARTS = 2  # the current run's and the previous one's (homes not yet rebuilt show it)
_UPLOADING = threading.Lock()


@dataclass(frozen=True)
class Published:
    user_id: str
    run_id: int
    chart_file_id: str | None


def publish_home(
    engine: Engine,
    settings: Settings,
    client: WebClient,
    user_id: str,
    *,
    now: datetime,
    notice: Sequence[dict[str, Any]] = (),
    claim: bool = False,
    view_hash: str | None = None,
) -> Published | None:
    """Build the user's home from the current run and publish it (NoScoresError before the
    first run: the caller publishes the welcome instead). With `claim`, only if no one has
    published this run (or a newer one) for the user yet: None when someone has. With the
    `view_hash` of the home the user saw, None when it was replaced meanwhile (Slack's
    `hash_conflict`: https://docs.slack.dev/reference/methods/views.publish)."""
    with read_snapshot(engine) as session:
        home = build_home(session, settings, now=now)
    run_id = home.run.run_id
    if claim and not _claim(engine, user_id, run_id, now):
        return None
    try:
        for listing in (home.dormant, home.overdue):  # the home shows arms: record them
            record_list(engine, listing, now=now)
        file_id = _publish(engine, client, user_id, home, notice, now=now, view_hash=view_hash)
    except SlackApiError as exc:
        if claim:
            _release(engine, user_id, run_id)
        if exc.response.get("error") == "hash_conflict":
            log.info("the home of %s changed meanwhile: left as it is", user_id)
            return None
        raise
    except Exception:
        if claim:  # not published after all: the next refresh or open tries again
            _release(engine, user_id, run_id)
        raise
    if not claim:
        _record(engine, user_id, run_id, now)
    return Published(user_id, run_id, file_id)


def _publish(
    engine: Engine,
    client: WebClient,
    user_id: str,
    home: Home,
    notice: Sequence[dict[str, Any]],
    *,
    now: datetime,
    view_hash: str | None,
) -> str | None:
    """views.publish with the run's chart; again without it if Slack refuses the image."""
    file_id = chart_file(engine, client, home, now=now)
    extra = {} if view_hash is None else {"hash": view_hash}
    try:
        client.views_publish(user_id=user_id, view=render_home(home, chart_file_id=file_id,
                                                               notice=notice), **extra)  # fmt: skip
        return file_id
    except SlackApiError as exc:
        if file_id is None or exc.response.get("error") not in CHART_REFUSED:
            raise
    log.warning("Slack refused the home chart of run %d: publishing without it", home.run.run_id)
    with engine.begin() as connection:
        connection.execute(delete(charts).where(charts.c.run_id == home.run.run_id))
    client.views_publish(user_id=user_id, view=render_home(home, chart_file_id=None,
                                                           notice=notice), **extra)  # fmt: skip
    return None


def _newer(run_id: int) -> Any:
    """The row's home is of an older run than `run_id`, or of none."""
    return or_(views.c.published_run_id.is_(None), views.c.published_run_id < run_id)


def _claim(engine: Engine, user_id: str, run_id: int, now: datetime) -> bool:
    with engine.begin() as connection:
        claimed = connection.execute(
            update(views)
            .where(views.c.user_id == user_id, _newer(run_id))
            .values(published_at=now, published_run_id=run_id)
        )
    return claimed.rowcount == 1


def _release(engine: Engine, user_id: str, run_id: int) -> None:
    with engine.begin() as connection:
        connection.execute(
            update(views)
            .where(views.c.user_id == user_id, views.c.published_run_id == run_id)
            .values(published_run_id=None)
        )


def _record(engine: Engine, user_id: str, run_id: int, now: datetime) -> None:
    """The home is of `run_id` now, unless a newer run's home was recorded meanwhile."""
    newer_or_same = or_(_newer(run_id), views.c.published_run_id == run_id)
    with engine.begin() as connection:
        connection.execute(
            update(views)
            .where(views.c.user_id == user_id, newer_or_same)
            .values(published_at=now, published_run_id=run_id)
        )


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


def forget_home(engine: Engine, user_id: str) -> None:
    """No more refreshes for `user_id` (no longer allowed to use clvbot)."""
    with engine.begin() as connection:
        connection.execute(delete(views).where(views.c.user_id == user_id))


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
        png = render_trend_points([(p.week_end, p.customer_equity, p.mean_clv) for p in trend],
                                  currency=home.run.currency)  # fmt: skip
        upload = client.files_upload_v2(content=png, filename=f"clv-home-trend-{run_id}.png",
                                        title=CHART_TITLE, alt_txt=CHART_ALT)  # fmt: skip
        file_id = str(upload["file"]["id"])
    except Exception:  # the numbers are in the text: a home without its image is still whole
        log.warning("the home chart of run %d could not be uploaded", run_id, exc_info=True)
        return None
    with engine.begin() as connection:  # two replicas may both upload: the first one stays
        insert = upsert_insert(connection, charts).values(
            run_id=run_id, file_id=file_id, uploaded_at=now
        )
        connection.execute(insert.on_conflict_do_nothing(index_elements=["run_id"]))
        kept = str(
            connection.execute(select(charts.c.file_id).where(charts.c.run_id == run_id))
            .scalar_one()
        )  # fmt: skip
    _delete_old_charts(engine, client)
    return kept


def _delete_old_charts(engine: Engine, client: WebClient) -> None:
    """Delete the chart files of the runs before the previous one (best effort)."""
    with engine.connect() as connection:
        old = connection.execute(
            select(charts.c.run_id, charts.c.file_id)
            .order_by(charts.c.run_id.desc())
            .offset(KEPT_CHARTS)
        ).all()
    for run_id, file_id in old:
        try:
            client.files_delete(file=file_id)
        except SlackApiError as exc:  # already gone, or not ours to delete: forget it anyway
            log.info("could not delete the home chart %s: %s", file_id, exc.response.get("error"))
        with engine.begin() as connection:
            connection.execute(delete(charts).where(charts.c.run_id == run_id))
