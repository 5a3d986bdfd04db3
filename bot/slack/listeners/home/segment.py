"""The App Home's Segment button: a modal to pick a group, then the group's summary in it.

The button is acknowledged at once and the modal opened from the lazy listener with the
click's trigger_id (valid three seconds, once: https://docs.slack.dev/reference/methods/views.open).
The submission is answered in its acknowledgement with `response_action: update`: the summary
replaces the picker (a store read of milliseconds, bounded by STORE_TIMEOUT_SECONDS).
"""

from __future__ import annotations

from collections.abc import Callable
from logging import Logger
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.slack.deps import Deps
from bot.slack.errors import log_failure
from bot.slack.render.home import chosen_group, render_group_modal, render_segment_modal
from clv.insights import NoScoresError, UnknownGroupError, group_summary
from clv.present.blocks import escape
from clv.store import read_snapshot
from clv.store.deadline import within


def open_segment_modal(deps: Deps) -> Callable[..., None]:
    def open_modal(body: dict[str, Any], client: WebClient, logger: Logger) -> None:
        try:
            client.views_open(trigger_id=str(body.get("trigger_id") or ""),
                              view=render_segment_modal())  # fmt: skip
        except Exception as exc:
            log_failure(logger, exc, "opening the Segment modal")

    return open_modal


def show_segment(deps: Deps) -> Callable[..., None]:
    def submit(ack: Ack, view: dict[str, Any], logger: Logger) -> None:
        name = chosen_group(view)
        if name is None:
            ack(response_action="errors", errors={"group": "Choose a segment, tier or stage."})
            return
        try:
            modal = within(deps.settings.store_timeout_seconds, lambda: _summary(deps, name))
        except Exception as exc:
            error_id = log_failure(logger, exc, "showing a segment in the modal")
            modal = render_group_modal(None, f"Something went wrong (error `{error_id}`).",
                                       masked=True)  # fmt: skip
        ack(response_action="update", view=modal)

    return submit


def _summary(deps: Deps, name: str) -> dict[str, Any]:
    masked = not deps.settings.app_home_personal_data
    with read_snapshot(deps.engine) as session:
        try:
            group = group_summary(session, name)
        except (NoScoresError, UnknownGroupError) as exc:
            return render_group_modal(None, escape(str(exc)), masked=masked)
    return render_group_modal(group, "", masked=masked)
