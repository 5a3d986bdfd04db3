"""The "Look up a customer" modal: opened by the global shortcut and by the App Home's button
(`reports.home.OPEN_LOOKUP`); its submission answers in the acknowledgement itself.

Opening is acknowledged at once and `views.open` runs in the lazy listener, within the
trigger's 3 s (https://docs.slack.dev/reference/methods/views.open/). A submission is read
inside Slack's 3 s (reads take milliseconds, bounded by STORE_TIMEOUT_SECONDS) and answered
with `response_action: update` (the card in the modal) or `errors` (the input says what was
wrong), as https://api.slack.com/reference/interaction-payloads/views describes.
"""

from __future__ import annotations

from collections.abc import Callable
from logging import Logger
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.deps import Deps
from bot.slack.errors import log_failure
from bot.slack.named import NotFound, looked_up
from bot.slack.render.lookup_modal import (
    INPUT_BLOCK,
    extract_lookup_key,
    render_lookup_errors,
    render_lookup_modal,
)
from clv.store.deadline import within


def open_lookup(deps: Deps) -> Callable[..., None]:
    def open_modal(body: dict[str, Any], client: WebClient, logger: Logger) -> None:
        try:
            client.views_open(trigger_id=str(body.get("trigger_id") or ""),
                              view=render_lookup_modal(masked=_masked(deps)))  # fmt: skip
        except SlackApiError as exc:  # an expired trigger: the user clicks again
            logger.warning("views.open refused the look-up modal: %s", exc.response.get("error"))
        except Exception as exc:
            log_failure(logger, exc, "opening the look-up modal")

    return open_modal


def submit_lookup(deps: Deps) -> Callable[..., None]:
    def submit(ack: Ack, body: dict[str, Any], logger: Logger) -> None:
        key = extract_lookup_key(body)
        if not key:
            ack(response_action="errors", errors={INPUT_BLOCK: "Type a customer id or email."})
            return
        try:
            found = within(deps.settings.store_timeout_seconds,
                           lambda: looked_up(deps.engine, deps.settings, key))  # fmt: skip
        except Exception as exc:  # a store outage or a bug: the id is in the log
            error_id = log_failure(logger, exc, "looking up a customer in the modal")
            failed = f"Sorry, the look-up failed (error id {error_id}): try again in a minute."
            ack(response_action="errors", errors={INPUT_BLOCK: failed})
            return
        if isinstance(found, NotFound):
            ack(response_action="errors", errors=render_lookup_errors(key, found))
            return
        ack(response_action="update", view=render_lookup_modal(found, masked=_masked(deps)))

    return submit


def _masked(deps: Deps) -> bool:
    return not deps.settings.app_home_personal_data
