"""Views in the sandbox: modals and Home tabs as the views methods keep them, and the payloads
a modal's buttons send.

`views.open` (https://docs.slack.dev/reference/methods/views.open/) takes a trigger_id from a
recent command or click and a modal view, checked against the limits of Slack's modal view
reference (https://docs.slack.dev/reference/views/modal-views), and answers the view with the
fields Slack adds (`id`, `hash`, `state` ...). `views.publish` takes a `home` view
(https://api.slack.com/methods/views.publish: at most 100 blocks, 250 kB, `view_too_large`).
Send delivers a `view_submission` and Cancel, when the view asks for it (`notify_on_close`), a
`view_closed`, shaped as Slack's view interaction payloads
(https://docs.slack.dev/reference/interaction-payloads/view-interactions-payload).
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from bot.sandbox.signing import trigger_id
from bot.sandbox.workspace import APP_ID, BOT_ID, TEAM_DOMAIN, TEAM_ID, USER_ID, USER_NAME

MAX_VIEW_BYTES = 250_000  # view_too_large
MAX_BLOCKS = 100
MAX_BUTTON_TITLE = 24  # title, submit and close
MAX_METADATA = 3000
MAX_CALLBACK_ID = 255  # callback_id and external_id
TEXT_INPUTS = ("plain_text_input", "email_text_input", "url_text_input", "number_input")
SELECTS = ("static_select", "radio_buttons")
REQUIRED = "Please complete this required field."  # what Slack says under an empty input


def modal_problem(view: object) -> str | None:
    """Why Slack would refuse `view` in views.open, views.push or views.update (None: fine)."""
    if not isinstance(view, dict) or view.get("type") != "modal":
        return "invalid_arguments"
    for name, required in (("title", True), ("submit", False), ("close", False)):
        if not _plain_text_ok(view.get(name), required=required):
            return "invalid_arguments"
    return _view_problem(view)


def home_problem(view: object) -> str | None:
    """Why Slack would refuse `view` in views.publish: a `home` view, no title or buttons."""
    if not isinstance(view, dict) or view.get("type") != "home":
        return "invalid_arguments"
    return _view_problem(view)


def _view_problem(view: dict[str, Any]) -> str | None:
    if len(json.dumps(view)) > MAX_VIEW_BYTES:
        return "view_too_large"
    blocks = view.get("blocks")
    if not isinstance(blocks, list) or len(blocks) > MAX_BLOCKS:
        return "invalid_arguments"
    if not all(isinstance(b, dict) and isinstance(b.get("type"), str) for b in blocks):
        return "invalid_arguments"
    if len(str(view.get("private_metadata") or "")) > MAX_METADATA:
        return "invalid_arguments"
    for name in ("callback_id", "external_id"):
        if len(str(view.get(name) or "")) > MAX_CALLBACK_ID:
            return "invalid_arguments"
    return None


def _plain_text_ok(value: object, *, required: bool) -> bool:
    if value is None:
        return not required
    if not isinstance(value, dict) or value.get("type") != "plain_text":
        return False
    text = value.get("text")
    return isinstance(text, str) and 0 < len(text) <= MAX_BUTTON_TITLE


def new_hash() -> str:
    return f"{int(time.time())}.{secrets.token_hex(4)}"


def to_open_view(
    view: dict[str, Any], *, root_view_id: str | None = None, previous_view_id: str | None = None
) -> dict[str, Any]:
    """`view` as views.open (or views.push, on top of `previous_view_id` in the modal of
    `root_view_id`, or views.publish) answers it, with the fields Slack adds."""
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
        "hash": new_hash(),
        "previous_view_id": previous_view_id,
        "root_view_id": root_view_id or view_id,
        "app_id": APP_ID,
        "app_installed_team_id": TEAM_ID,
        "bot_id": BOT_ID,
    }


def to_updated_view(view: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """`view` replaced by `new` (views.update, `response_action: update`): the same id and
    place in its stack, a new hash."""
    kept = ("id", "root_view_id", "previous_view_id", "team_id", "app_id", "bot_id")
    external_id = new.get("external_id") or view.get("external_id") or ""
    return {**to_open_view(new), **{key: view[key] for key in kept}, "external_id": external_id}


def _envelope(kind: str) -> dict[str, Any]:
    return {
        "type": kind,
        "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
        "user": {"id": USER_ID, "username": USER_NAME, "name": USER_NAME, "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        "token": "sandbox-verification-token",
        "is_enterprise_install": False,
        "enterprise": None,
    }


def to_view_submission(view: dict[str, Any]) -> dict[str, Any]:
    """The `view_submission` payload Send delivers; `view.state.values` holds what was typed
    and chosen in its input blocks."""
    return {**_envelope("view_submission"), "trigger_id": trigger_id(), "view": view,
            "response_urls": []}  # fmt: skip


def to_view_closed(view: dict[str, Any]) -> dict[str, Any]:
    """The `view_closed` payload Cancel delivers when the view set `notify_on_close`."""
    return {**_envelope("view_closed"), "view": view, "is_cleared": False}


def block_key(block: dict[str, Any], n: int) -> str:
    """A view's block by its `block_id`, or by its position (`#3`) when the bot gave it none.
    Slack would name such a block at random; the sandbox keeps a view as the bot sent it, so
    tests can compare it with what was rendered."""
    return str(block.get("block_id") or f"#{n}")


def elements_of(block: dict[str, Any]) -> list[dict[str, Any]]:
    """An input's element, a section's accessory, an actions block's elements."""
    found = [block.get("element"), block.get("accessory"), *(block.get("elements") or [])]
    return [e for e in found if isinstance(e, dict)]


def _stateful(view: dict[str, Any]) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(block key, block, element) for every input element and select of `view`: what its
    state holds."""
    found = []
    for n, block in enumerate(view.get("blocks") or []):
        for element in elements_of(block):
            if element.get("type") in TEXT_INPUTS + SELECTS and element.get("action_id"):
                found.append((block_key(block, n), block, element))
    return found


def _options(element: dict[str, Any]) -> list[dict[str, Any]]:
    groups = element.get("option_groups") or []
    return [*(element.get("options") or []), *(o for g in groups for o in g.get("options", []))]


def to_state(view: dict[str, Any], given: object) -> dict[str, Any]:
    """`view.state.values` for what the page sent (`{block_id: {action_id: {"value"} or
    {"selected_option": {"value"}}}}`), shaped as Slack's: every input and select of the view,
    a text's `value` (None when empty), a select's `selected_option` as the view offered it."""
    given = given if isinstance(given, dict) else {}
    values: dict[str, Any] = {}
    for key, _block, element in _stateful(view):
        entry = (given.get(key) or {}).get(element["action_id"]) or {}
        entry = entry if isinstance(entry, dict) else {}
        state: dict[str, Any] = {"type": element["type"]}
        if element["type"] in TEXT_INPUTS:
            text = entry.get("value")
            state["value"] = str(text) if text not in (None, "") else None
        else:
            wanted = (entry.get("selected_option") or {}).get("value")
            chosen = next((o for o in _options(element) if o.get("value") == wanted), None)
            state["selected_option"] = chosen
        values.setdefault(key, {})[element["action_id"]] = state
    return values


def missing_required(view: dict[str, Any], values: dict[str, Any]) -> dict[str, str]:
    """The input blocks Slack would not submit empty (not `optional`), with its message."""
    missing = {}
    for key, block, element in _stateful(view):
        if block.get("type") != "input" or block.get("optional"):
            continue
        state = values.get(key, {}).get(element["action_id"], {})
        if state.get("value") is None and state.get("selected_option") is None:
            missing[key] = REQUIRED
    return missing
