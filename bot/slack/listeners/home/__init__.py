"""App Home: `app_home_opened` publishes the user's home when it is not of the current run;
its Segment button opens a modal (the Look-up button belongs to `listeners.lookup`).

Events are acknowledged at once and handled in bolt's lazy listener
(https://docs.slack.dev/tools/bolt-python/concepts/lazy-listeners): Slack wants the ack within
three seconds, and a publish reads the store and may upload the chart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from logging import Logger
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.slack.deps import Deps
from bot.slack.errors import log_failure
from bot.slack.listeners.home.segment import open_segment_modal, show_segment
from bot.slack.render.home import SEGMENT_CALLBACK, render_welcome_home
from clv.insights.runs import NoScoresError, current_ref
from clv.store import read_snapshot
from reports.home import OPEN_SEGMENT
from reports.home.publish import note_opened, publish_home
from reports.home.render import home_run_id


def register(app: App, deps: Deps) -> None:
    app.event("app_home_opened")(ack=_ack, lazy=[home_opened(deps)])
    app.action(OPEN_SEGMENT)(ack=_ack, lazy=[open_segment_modal(deps)])
    app.view(SEGMENT_CALLBACK)(show_segment(deps))


def _ack(ack: Ack) -> None:
    ack()


def home_opened(deps: Deps) -> Callable[..., None]:
    def publish(event: dict[str, Any], client: WebClient, logger: Logger) -> None:
        user = event.get("user")
        if event.get("tab") != "home" or not isinstance(user, str):
            logger.debug("app_home_opened of another tab: nothing to publish")
            return  # the Messages tab, or not a user
        now = datetime.now(UTC)
        try:
            shown = note_opened(deps.engine, user, now=now)
            view = event.get("view") if isinstance(event.get("view"), dict) else None
            seen = home_run_id(view)
            if seen is not None and seen == shown and seen == _current_run_id(deps):
                logger.debug("the home of %s is of the current run: not rebuilt", user)
                return
            hash_ = view.get("hash") if view is not None else None
            republish_home(deps, client, user, now=now,
                           view_hash=hash_ if isinstance(hash_, str) else None)  # fmt: skip
        except Exception as exc:  # logged with an id; the old home stays up
            log_failure(logger, exc, "publishing the App Home")

    return publish


def republish_home(
    deps: Deps,
    client: WebClient,
    user: str,
    *,
    now: datetime,
    notice: Sequence[dict[str, Any]] = (),
    view_hash: str | None = None,
) -> None:
    """Publish `user`'s home from the current run (the welcome before the first run), with
    `notice` under its title: what became of their last action there."""
    try:
        publish_home(deps.engine, deps.settings, client, user, now=now, notice=notice,
                     view_hash=view_hash)  # fmt: skip
    except NoScoresError:
        client.views_publish(user_id=user, view=render_welcome_home())


def _current_run_id(deps: Deps) -> int | None:
    with read_snapshot(deps.engine) as session:
        try:
            return current_ref(session).run_id
        except NoScoresError:
            return None
