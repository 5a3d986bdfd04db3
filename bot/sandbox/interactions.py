"""Interaction payloads beyond a message's buttons: shortcuts, and clicks in views.

Delivered as interactivity is, a form field `payload` holding JSON
(https://api.slack.com/interactivity/handling#payloads).

- A global shortcut (https://api.slack.com/reference/interaction-payloads/shortcuts) sends
  `type: "shortcut"` with its `callback_id` and a `trigger_id`, and nothing about a channel.
- A message shortcut sends `type: "message_action"` with the `message` it was used on, its
  `channel`, `message_ts`, a `response_url` (answers go to that channel) and a `trigger_id`.
- A button or select in a modal or a Home tab sends `block_actions` whose `container` is
  `{"type": "view", "view_id"}`, with the `view` (its `state` as the user left it) and no
  channel and no response_url (https://api.slack.com/reference/interaction-payloads/block-actions).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Literal

from bot.sandbox.signing import trigger_id
from bot.sandbox.workspace import APP_ID, TEAM_DOMAIN, TEAM_ID, USER_ID, USER_NAME, Message


@dataclass(frozen=True)
class Shortcut:
    """A shortcut of the app, as its manifest's `features.shortcuts` lists it."""

    type: Literal["global", "message"]
    callback_id: str
    name: str
    description: str = ""

    def to_view(self) -> dict[str, str]:
        return {"type": self.type, "callback_id": self.callback_id, "name": self.name,
                "description": self.description}  # fmt: skip


# clvbot's own (manifest.yml features.shortcuts; tests/sandbox/test_manifest_features.py keeps
# them the same)
SHORTCUTS = (
    Shortcut("message", "clv_of_message", "CLV of this customer",
             "The card of the customer this message names (a link, an email or an id)"),
    Shortcut("global", "clv_lookup", "Look up a customer",
             "A customer's lifetime value and status, by id or email"),
)  # fmt: skip


def _common(kind: str, callback_id: str) -> dict[str, Any]:
    return {
        "type": kind,
        "token": "sandbox-verification-token",
        "action_ts": f"{time.time():.6f}",
        "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
        "user": {"id": USER_ID, "username": USER_NAME, "name": USER_NAME, "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": trigger_id(),
    }


def to_global_shortcut(callback_id: str) -> dict[str, Any]:
    return _common("shortcut", callback_id)


def to_message_action(
    message: Message, callback_id: str, *, channel_name: str, response_url: str
) -> dict[str, Any]:
    return {
        **_common("message_action", callback_id),
        "channel": {"id": message.channel, "name": channel_name},
        "message_ts": message.ts,
        "message": {"type": "message", **message.to_api()},
        "response_url": response_url,
    }


def to_view_action(
    view: dict[str, Any], element: dict[str, Any], block_id: str, values: dict[str, Any]
) -> dict[str, Any]:
    """A click on `element` (or a choice in a select) in a modal or Home tab."""
    action: dict[str, Any] = {
        "type": element.get("type", "button"),
        "action_id": element.get("action_id", ""),
        "block_id": block_id,
        "action_ts": f"{time.time():.6f}",
    }
    if action["type"] == "button":
        action["text"] = element.get("text", {"type": "plain_text", "text": ""})
        action["value"] = element.get("value", "")
        if element.get("style"):
            action["style"] = element["style"]
    else:  # a select: what was chosen is in the state
        chosen = (values.get(block_id) or {}).get(action["action_id"]) or {}
        action["selected_option"] = chosen.get("selected_option")
    return {
        "type": "block_actions",
        "user": {"id": USER_ID, "username": USER_NAME, "name": USER_NAME, "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        "token": "sandbox-verification-token",
        "container": {"type": "view", "view_id": view["id"]},
        "trigger_id": trigger_id(),
        "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "view": {**view, "state": {"values": values}},
        "actions": [action],
    }
