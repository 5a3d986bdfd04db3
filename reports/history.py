"""Finding a message clvbot posted earlier by its message metadata: how a post whose claim
was interrupted (the process died after Slack may have received it) is recovered instead of
posted twice. Every digest and alert carries metadata naming what it is."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from slack_sdk import WebClient


def find_posted(
    client: WebClient,
    *,
    channel: str,
    since: datetime,
    event_type: str,
    match: Callable[[dict[str, Any]], bool],
) -> str | None:
    """The ts of a message in `channel` since `since` whose metadata has `event_type` and an
    event payload `match` accepts, or None.

    Raises when the channel cannot be searched: the caller must not post blindly then.
    """
    oldest = f"{since.timestamp() - 60:.6f}"  # a minute of clock skew
    cursor: str | None = None
    while True:
        page = client.conversations_history(
            channel=channel, oldest=oldest, limit=200, include_all_metadata=True, cursor=cursor
        )
        messages: list[dict[str, Any]] = page.get("messages", [])
        for message in messages:
            metadata: dict[str, Any] = message.get("metadata") or {}
            if metadata.get("event_type") == event_type and match(
                metadata.get("event_payload") or {}
            ):
                return str(message["ts"])
        cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor:
            return None
