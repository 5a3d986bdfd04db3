"""Modals in the sandbox: the view `views.open` keeps, and the payloads its buttons send.

`views.open` (https://docs.slack.dev/reference/methods/views.open/) takes a trigger_id from a
recent command or click and a modal view, checked against the limits of Slack's modal view
reference (https://docs.slack.dev/reference/views/modal-views), and answers the view with the
fields Slack adds (`id`, `hash`, `state` ...). Send delivers a `view_submission` and Cancel,
when the view asks for it (`notify_on_close`), a `view_closed`, shaped as Slack's view
interaction payloads (https://docs.slack.dev/reference/interaction-payloads/view-interactions-payload).
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from bot.sandbox.signing import API_APP_ID, trigger_id
from bot.sandbox.workspace import BOT_ID, TEAM_DOMAIN, TEAM_ID, USER_ID, USER_NAME

MAX_VIEW_BYTES = 250_000  # view_too_large
MAX_BLOCKS = 100
MAX_BUTTON_TITLE = 24  # title, submit and close
MAX_METADATA = 3000
MAX_CALLBACK_ID = 255


def modal_problem(view: object) -> str | None:
    """Why Slack would refuse `view` in views.open (None: it would open)."""
    if not isinstance(view, dict) or view.get("type") != "modal":
        return "invalid_arguments"
    if len(json.dumps(view)) > MAX_VIEW_BYTES:
        return "view_too_large"
    blocks = view.get("blocks")
    if not isinstance(blocks, list) or len(blocks) > MAX_BLOCKS:
        return "invalid_arguments"
    if not all(isinstance(b, dict) and isinstance(b.get("type"), str) for b in blocks):
        return "invalid_arguments"
    for name, required in (("title", True), ("submit", False), ("close", False)):
        if not _plain_text_ok(view.get(name), required=required):
            return "invalid_arguments"
    if len(str(view.get("private_metadata") or "")) > MAX_METADATA:
        return "invalid_arguments"
    if len(str(view.get("callback_id") or "")) > MAX_CALLBACK_ID:
        return "invalid_arguments"
    return None


def _plain_text_ok(value: object, *, required: bool) -> bool:
    if value is None:
        return not required
    if not isinstance(value, dict) or value.get("type") != "plain_text":
        return False
    text = value.get("text")
    return isinstance(text, str) and 0 < len(text) <= MAX_BUTTON_TITLE


def to_open_view(view: dict[str, Any]) -> dict[str, Any]:
    """`view` as views.open answers it, with the fields Slack adds."""
    view_id = "V" + secrets.token_hex(5).upper()
    return {
        "id": view_id,
        "team_id": TEAM_ID,
        "type": "modal",
        "private_metadata": "",
        "callback_id": "",
        "external_id": "",
        "clear_on_close": False,
        "notify_on_close": False,
        **view,
        "state": {"values": {}},
        "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
        "previous_view_id": None,
        "root_view_id": view_id,
        "app_id": API_APP_ID,
        "app_installed_team_id": TEAM_ID,
        "bot_id": BOT_ID,
    }


def to_updated_view(view: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """`view` replaced by `new` (a `response_action: update`): the same id, a new hash."""
    kept = {key: view[key] for key in ("id", "root_view_id", "team_id", "app_id", "bot_id")}
    return {**to_open_view(new), **kept}


def _envelope(kind: str) -> dict[str, Any]:
    return {
        "type": kind,
        "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
        "user": {"id": USER_ID, "username": USER_NAME, "name": USER_NAME, "team_id": TEAM_ID},
        "api_app_id": API_APP_ID,
        "token": "sandbox-verification-token",
        "is_enterprise_install": False,
        "enterprise": None,
    }


def to_view_submission(view: dict[str, Any]) -> dict[str, Any]:
    """The `view_submission` payload Send delivers (no input blocks: empty state)."""
    return {**_envelope("view_submission"), "trigger_id": trigger_id(), "view": view,
            "response_urls": []}  # fmt: skip


def to_view_closed(view: dict[str, Any]) -> dict[str, Any]:
    """The `view_closed` payload Cancel delivers when the view set `notify_on_close`."""
    return {**_envelope("view_closed"), "view": view, "is_cleared": False}
