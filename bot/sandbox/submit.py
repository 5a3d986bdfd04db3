"""What a view submission's acknowledgement does to the modal.

The bot answers a `view_submission` within 3 s (https://api.slack.com/reference/interaction-payloads/views,
https://api.slack.com/surfaces/modals#updating_response): an empty 200 closes the submitted
view (the one below it, if any, shows again); `response_action` "clear" closes the whole
modal, "update" replaces the submitted view with the `view` it carries, "push" puts that view
on top (at most three in a modal), and "errors" keeps the view open with a message under each
named input block (`errors` `{block_id: message}`, input blocks only).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.sandbox.deliver import Delivery
from bot.sandbox.modals import block_key, modal_problem, to_open_view, to_updated_view
from bot.sandbox.viewsapi import missing_file
from bot.sandbox.workspace import MAX_STACK, Workspace


@dataclass(frozen=True)
class Outcome:
    closed: bool  # the submitted view is gone
    detail: str  # for the activity log
    errors: dict[str, str] | None = None  # shown under the input blocks
    error: str | None = None  # an answer Slack would not accept


def _answer(delivery: Delivery) -> dict[str, Any]:
    if "json" not in delivery.content_type:
        return {}
    try:
        answer = json.loads(delivery.body)
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


def after_submit(ws: Workspace, view: dict[str, Any], delivery: Delivery) -> Outcome:
    answer = _answer(delivery)
    action = answer.get("response_action")
    acked = f"acknowledged ({delivery.status})"
    if action in ("update", "push"):
        return _show(ws, view, answer.get("view"), action, acked)
    if action == "errors":
        errors = answer.get("errors")
        blocks = enumerate(view.get("blocks") or [])
        inputs = {block_key(b, n) for n, b in blocks if b.get("type") == "input"}
        if not isinstance(errors, dict) or not errors or not set(errors) <= inputs:
            refused = "invalid response_action errors: keys must be input block ids"
            return Outcome(False, f"{acked}: errors refused", error=refused)
        shown = {str(k): str(v) for k, v in errors.items()}
        return Outcome(False, f"{acked}: errors {shown}", errors=shown)
    if action == "clear":
        ws.clear_views()
        return Outcome(True, f"{acked}: cleared")
    ws.close_view(view["id"])
    return Outcome(True, f"{acked}: closed")


def _show(ws: Workspace, view: dict[str, Any], new: Any, action: str, acked: str) -> Outcome:
    problem = modal_problem(new)
    if problem is None and missing_file(ws, new["blocks"]) is not None:
        problem = "invalid_arguments"
    if problem is not None:
        return Outcome(False, f"{acked}: {action} refused ({problem})", error=problem)
    with ws.lock:
        if action == "update":
            ws.replace_view(to_updated_view(view, new))
        elif len(ws.stack) >= MAX_STACK:
            return Outcome(False, f"{acked}: push refused", error="push_limit_reached")
        else:
            root, top = ws.stack[0], ws.stack[-1]
            ws.push_view(to_open_view(new, root_view_id=root, previous_view_id=top))
    return Outcome(False, f"{acked}: {action}")
