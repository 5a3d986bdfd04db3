"""An Events API event is handled once, however many times Slack delivers it.

Slack retries an event it got no acknowledgement for, up to three times, with the same
`event_id` ("a unique identifier for this specific event, globally unique across all
workspaces") and the attempt in `X-Slack-Retry-Num` / `X-Slack-Retry-Reason` over HTTP or
`retry_attempt` / `retry_reason` in a Socket Mode envelope
(https://api.slack.com/apis/events-api#retries, https://api.slack.com/apis/connections/socket).
Our listeners always acknowledge (the last-resort handler too), so a retry means the first
acknowledgement was late or lost with its connection, not that the event went unhandled:
the repeat is acknowledged and dropped. The memory is this process's; one `clvbot serve` holds
one Socket Mode connection, or takes every HTTP request of a single-process server.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltRequest, BoltResponse

log = logging.getLogger("clvbot.slack")
REMEMBERED_EVENTS = 10_000  # ids are short strings; Slack retries within about an hour


def extract_event_id(body: dict[str, Any]) -> str | None:
    """`Ev…` of an Events API callback; None for commands, clicks and views."""
    if body.get("type") != "event_callback":
        return None
    event_id = body.get("event_id")
    return event_id if isinstance(event_id, str) and event_id else None


class SeenEvents:
    """The latest event ids (thread-safe: bolt dispatches from several threads)."""

    def __init__(self, size: int = REMEMBERED_EVENTS) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._ids: OrderedDict[str, None] = OrderedDict()

    def first_time(self, event_id: str) -> bool:
        with self._lock:
            if event_id in self._ids:
                self._ids.move_to_end(event_id)
                return False
            self._ids[event_id] = None
            if len(self._ids) > self.size:
                self._ids.popitem(last=False)
            return True


def skip_redelivered_events(seen: SeenEvents) -> Callable[..., BoltResponse | None]:
    """Middleware: a repeat of an event already handled is acknowledged, not handled again."""

    def skip(
        body: dict[str, Any], request: BoltRequest, next: Callable[[], None]
    ) -> BoltResponse | None:
        event_id = extract_event_id(body)
        if event_id is None or seen.first_time(event_id):
            next()
            return None
        retry = request.headers.get("x-slack-retry-num", [""])[0]
        reason = request.headers.get("x-slack-retry-reason", ["?"])[0]
        attempt = f" (Slack's retry {retry}, {reason})" if retry else ""
        log.info("skipped event %s: handled already%s", event_id, attempt)
        return BoltResponse(status=200, body="")

    return skip
