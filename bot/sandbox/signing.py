"""Requests to the bot as Slack sends them: form bodies signed with the signing secret.

`X-Slack-Signature: v0=` + hex HMAC-SHA256(secret, `v0:{timestamp}:{raw body}`), with the
timestamp in `X-Slack-Request-Timestamp`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlencode

from bot.sandbox.workspace import APP_ID, TEAM_DOMAIN, TEAM_ID, USER_ID, USER_NAME, Message

API_APP_ID = APP_ID


def sign(secret: str, timestamp: str, body: str) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


FORM = "application/x-www-form-urlencoded"


def signed_headers(
    secret: str, body: str, now: float | None = None, *, content_type: str = FORM
) -> dict[str, str]:
    """Commands and interactivity are forms, Events API requests JSON; signed the same way."""
    timestamp = str(int(time.time() if now is None else now))
    return {
        "content-type": content_type,
        "x-slack-request-timestamp": timestamp,
        "x-slack-signature": sign(secret, timestamp, body),
    }


def trigger_id() -> str:
    return f"{int(time.time())}.{TEAM_ID}.{time.monotonic_ns() % 10**12:x}"


def to_command_body(
    *, command: str, text: str, channel_id: str, channel_name: str, response_url: str
) -> str:
    """A slash command's form body, field for field as Slack sends it."""
    return urlencode(
        {
            "token": "sandbox-verification-token",
            "team_id": TEAM_ID,
            "team_domain": TEAM_DOMAIN,
            "channel_id": channel_id,
            "channel_name": channel_name,
            "user_id": USER_ID,
            "user_name": USER_NAME,
            "command": command,
            "text": text,
            "api_app_id": API_APP_ID,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id(),
        }
    )


def to_block_action(
    message: Message,
    element: dict[str, Any],
    block_id: str,
    *,
    response_url: str,
    channel_name: str,
    attachment_id: int | None = None,
) -> dict[str, Any]:
    """A `block_actions` payload for a click on `element` (a button) in `message`, or in its
    attachment `attachment_id` (an app's unfurl: the container says so)."""
    now = f"{time.time():.6f}"
    container: dict[str, Any] = {
        "type": "message",
        "message_ts": message.ts,
        "channel_id": message.channel,
        "is_ephemeral": message.ephemeral,
    }
    if attachment_id is not None:
        url = next(a["app_unfurl_url"] for a in message.attachments() if a["id"] == attachment_id)
        container.update(type="message_attachment", attachment_id=attachment_id,
                         is_app_unfurl=True, app_unfurl_url=url)  # fmt: skip
    return {
        "type": "block_actions",
        "user": {"id": USER_ID, "username": USER_NAME, "name": USER_NAME, "team_id": TEAM_ID},
        "api_app_id": API_APP_ID,
        "token": "sandbox-verification-token",
        "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": message.channel, "name": channel_name},
        "container": container,
        "message": {"type": "message", **message.to_api()},
        "state": {"values": {}},
        "response_url": response_url,
        "trigger_id": trigger_id(),
        "actions": [
            {
                "type": element.get("type", "button"),
                "action_id": element.get("action_id", ""),
                "block_id": block_id,
                "text": element.get("text", {"type": "plain_text", "text": ""}),
                "value": element.get("value", ""),
                "action_ts": now,
                **({"style": element["style"]} if element.get("style") else {}),
            }
        ],
    }


def to_action_body(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload)})
