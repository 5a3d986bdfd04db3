"""What the bot sends back outside the Web API: acknowledgements and response_url posts.

Slack treats a message in a slash command's acknowledgement like one posted to its
response_url: ephemeral unless `response_type` is `in_channel`; `replace_original` replaces
the message a button was on (or the command's last answer); `delete_original` removes it.
"""

from __future__ import annotations

import json
from typing import Any

from bot.sandbox.webapi import with_block_ids
from bot.sandbox.workspace import BOT_USER_ID, RESPONSE_URL_USES, Message, Workspace


class ResponseError(Exception):
    def __init__(self, status: int, error: str) -> None:
        super().__init__(error)
        self.status, self.error = status, error


def is_true(value: object) -> bool:
    return value is True or (isinstance(value, str) and value.lower() in ("true", "1"))


def apply_response(ws: Workspace, token: str, body: dict[str, Any], *, via: str) -> str:
    """Apply one response to the workspace; returns what happened, for the activity log."""
    with ws.lock:
        target = ws.responses.get(token)
        if target is None:
            raise ResponseError(404, "expired_url")
        if target.uses >= RESPONSE_URL_USES:
            raise ResponseError(404, "used_url")
        target.uses += 1
        original_ts = target.original_ts or target.last_ts
        original = ws.find(target.channel, original_ts) if original_ts else None
        if is_true(body.get("delete_original")):
            if original is None:
                raise ResponseError(404, "message_not_found")
            ws.delete(original)
            return "deleted the original"
        text = str(body.get("text") or "")
        blocks = body.get("blocks") or []
        if not isinstance(blocks, list) or not (text or blocks):
            raise ResponseError(400, "no_text")
        blocks = with_block_ids(blocks)
        if is_true(body.get("replace_original")) and original is not None:
            ws.replace(original, text=text, blocks=blocks)
            return "replaced the original"
        in_channel = body.get("response_type") == "in_channel"
        message = Message(ws.next_ts(), target.channel, BOT_USER_ID, text, blocks,
                          ephemeral=not in_channel, thread_ts=body.get("thread_ts") or None,
                          via=via)  # fmt: skip
        ws.post(message)
        if target.original_ts is None:
            target.last_ts = message.ts
        return "posted in channel" if in_channel else "posted (only visible to you)"


def to_ack_message(status: int, body: str, content_type: str) -> dict[str, Any] | None:
    """The message carried by an acknowledgement, if any (an empty 200 carries none)."""
    if status != 200 or not body.strip():
        return None
    if "json" in content_type:
        try:
            data = json.loads(body)
        except ValueError:
            return {"text": body}
        return data if isinstance(data, dict) and (data.get("text") or data.get("blocks")) else None
    return {"text": body}
