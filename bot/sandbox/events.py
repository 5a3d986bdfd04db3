"""Events API requests, as Slack sends them to the app's Request URL.

Every event comes in the same wrapper, a JSON body (https://api.slack.com/apis/connections/events-api,
https://api.slack.com/types/event): `type: "event_callback"`, the workspace and app, a unique
`event_id`, `event_time` in epoch seconds and the event itself under `event`. It is signed like
every request (bot.sandbox.signing), with `content-type: application/json`.

- `app_home_opened` (https://api.slack.com/events/app_home_opened): the user entered the App
  Home; `tab` is "home" or "messages", and `view` the Home tab's current view once one was
  published.
- `link_shared` (https://api.slack.com/events/link_shared): a message carries links under the
  app's unfurl domains; `links` `[{domain, url}]`, the message's `channel` and `message_ts`,
  `unfurl_id` and `source` ("conversations_history" for a posted message, "composer" for one
  still being typed) for chat.unfurl.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
import uuid
from typing import Any

from bot.sandbox.workspace import APP_ID, BOT_USER_ID, TEAM_ID, Message

JSON = "application/json"
_BOT_AUTHORIZATION = {"enterprise_id": None, "team_id": TEAM_ID, "user_id": BOT_USER_ID,
                      "is_bot": True, "is_enterprise_install": False}  # fmt: skip


def to_event_callback(event: dict[str, Any], *, now: float | None = None) -> dict[str, Any]:
    """The Events API wrapper around `event`."""
    at = time.time() if now is None else now
    return {
        "token": "sandbox-verification-token",
        "team_id": TEAM_ID,
        "api_app_id": APP_ID,
        "event": {"event_ts": f"{at:.6f}", **event},
        "type": "event_callback",
        "event_id": "Ev" + secrets.token_hex(5).upper(),
        "event_time": int(at),
        "authorizations": [_BOT_AUTHORIZATION],
        "is_ext_shared_channel": False,
    }


def home_channel(user: str) -> str:
    """The App Home's Messages tab: the direct message between the app and `user` (the same
    id conversations.open answers)."""
    return "D" + user[1:]


def to_app_home_opened(user: str, tab: str, view: dict[str, Any] | None) -> dict[str, Any]:
    event: dict[str, Any] = {"type": "app_home_opened", "user": user,
                             "channel": home_channel(user), "tab": tab}  # fmt: skip
    if tab == "home" and view is not None:
        event["view"] = view
    return event


def unfurl_id(message: Message) -> str:
    """An id for the links of `message`, shaped like Slack's (`C….ts.hash`)."""
    digest = hashlib.sha256(f"{message.channel}:{message.ts}".encode()).hexdigest()
    return f"{message.channel}.{message.ts}.{digest}"


COMPOSER = "COMPOSER"  # the channel of a link_shared event for a message not yet posted


def composer_unfurl_id(user: str) -> str:
    """A composer's unfurl_id, shaped like Slack's (`U…-<uuid>-<random>`)."""
    return f"{user}-{uuid.uuid4()}-{secrets.token_hex(16)}"


def to_link_shared(
    message: Message, links: list[dict[str, str]], *, composing: bool = False
) -> dict[str, Any]:
    """For a posted `message`, or (`composing`) for a draft: then `channel` is "COMPOSER" and
    `message_ts` the draft's unfurl_id, "not a valid timestamp for any method besides
    chat.unfurl"."""
    event: dict[str, Any] = {
        "type": "link_shared",
        "channel": COMPOSER if composing else message.channel,
        "is_bot_user_member": True,
        "user": message.user,
        "message_ts": message.ts,
        "unfurl_id": message.ts if composing else unfurl_id(message),
        "source": "composer" if composing else "conversations_history",
        "links": links,
    }
    if message.thread_ts:
        event["thread_ts"] = message.thread_ts
    return event


def to_event_body(envelope: dict[str, Any]) -> str:
    return json.dumps(envelope)
