"""The access check in front of every listener: a polite refusal and nothing else."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from slack_bolt import BoltResponse

from bot.slack.access import is_allowed
from bot.slack.deps import Deps
from bot.slack.payloads import (
    extract_channel_id,
    extract_user_id,
    is_block_action,
    is_own_surface,
)
from bot.slack.render import render_refusal


def access_guard(deps: Deps) -> Callable[..., BoltResponse | None]:
    def guard(body: dict[str, Any], respond: Any, next: Callable[[], None]) -> BoltResponse | None:
        user, channel = extract_user_id(body), extract_channel_id(body)
        if is_allowed(deps.settings, user, channel, own_surface=is_own_surface(body)):
            next()
            return None
        refusal = render_refusal()
        # a click or a message shortcut is answered through its response_url: Slack shows
        # nothing of their acknowledgement's body
        shortcut = body.get("type") == "message_action"
        if (is_block_action(body) or shortcut) and body.get("response_url"):
            respond(**refusal, replace_original=False)
            return BoltResponse(status=200, body="")
        headers: dict[str, str | Sequence[str]] = {"content-type": "application/json;charset=utf-8"}
        return BoltResponse(status=200, body=json.dumps(refusal), headers=headers)

    return guard
