"""The views methods, played against the sandbox's modal stack and Home tabs.

- `views.open` (https://api.slack.com/methods/views.open): a modal, for a trigger_id of the
  last 3 s, used once.
- `views.push` (https://api.slack.com/methods/views.push): a modal on top of the open one, for
  a fresh trigger_id; at most three views in a modal (`push_limit_reached`).
- `views.update` (https://api.slack.com/methods/views.update): a shown view by `view_id` or
  `external_id`, `hash_conflict` when `hash` is not the view's current one, `not_found` for a
  view that is not shown (closed, or never opened).
- `views.publish` (https://api.slack.com/methods/views.publish): a user's Home tab, `hash`
  checked the same way; `not_enabled` when the app has no Home tab, `invalid_arguments`
  ("invalid `user_id`") for a user the workspace does not have.

An `external_id` is unique among the views shown (`duplicate_external_id`). An image whose
`slack_file` (https://api.slack.com/reference/block-kit/composition-objects#slack_file) names
a file the workspace does not have is refused as Slack refuses an image it cannot download.
"""

from __future__ import annotations

from typing import Any

from bot.sandbox.args import Answer, ApiError, Args, json_arg
from bot.sandbox.modals import home_problem, modal_problem, to_open_view, to_updated_view
from bot.sandbox.workspace import MAX_STACK, Workspace


def views_open(ws: Workspace, args: Args) -> Answer:
    """Open a modal for the sandbox's user: the trigger_id of a click or command of the last
    3 s, once (bot.sandbox.modals checks the view as Slack would)."""
    view = _checked(ws, json_arg(args, "view"), modal_problem)
    _use_trigger(ws, args)
    opened = to_open_view(view)
    ws.open_view(opened)
    return {"view": opened}


def views_push(ws: Workspace, args: Args) -> Answer:
    view = _checked(ws, json_arg(args, "view"), modal_problem)
    _use_trigger(ws, args)
    with ws.lock:
        if not ws.stack:
            raise ApiError("not_found")  # no modal to push onto
        if len(ws.stack) >= MAX_STACK:
            raise ApiError("push_limit_reached")
        pushed = to_open_view(view, root_view_id=ws.stack[0], previous_view_id=ws.stack[-1])
        ws.push_view(pushed)
    return {"view": pushed}


def views_update(ws: Workspace, args: Args) -> Answer:
    view_id, external_id = str(args.get("view_id") or ""), str(args.get("external_id") or "")
    if not view_id and not external_id:
        raise ApiError("invalid_arguments", "either `view_id` or `external_id` is required")
    with ws.lock:
        current = ws.shown_view(view_id=view_id, external_id=external_id)
        if current is None:
            raise ApiError("not_found")
        problem = home_problem if current["type"] == "home" else modal_problem
        view = _checked(ws, json_arg(args, "view"), problem, current=current)
        _same_hash(args, current)
        updated = to_updated_view(current, view)
        ws.replace_view(updated)
    return {"view": updated}


def views_publish(ws: Workspace, args: Args) -> Answer:
    if not ws.home_enabled:
        raise ApiError("not_enabled")
    user = str(args.get("user_id") or "")
    if not ws.knows_user(user):
        raise ApiError("invalid_arguments", "invalid `user_id`")
    with ws.lock:
        current = ws.homes.get(user)
        view = _checked(ws, json_arg(args, "view"), home_problem, current=current)
        if current is not None:
            _same_hash(args, current)
        published = to_updated_view(current, view) if current else to_open_view(view)
        ws.publish_home(user, published)
    return {"view": published}


def _checked(
    ws: Workspace,
    view: Any,
    problem_of: Any,
    *,
    current: dict[str, Any] | None = None,
) -> dict[str, Any]:
    problem = problem_of(view)
    if problem is not None:
        raise ApiError(problem)
    missing = missing_file(ws, view["blocks"])
    if missing is not None:
        raise ApiError("invalid_arguments", f"invalid slack_file [json-pointer:/view{missing}]")
    external_id = str(view.get("external_id") or "")
    shown = ws.shown_view(external_id=external_id) if external_id else None
    if shown is not None and (current is None or shown["id"] != current["id"]):
        raise ApiError("duplicate_external_id")
    return dict(view)


def _same_hash(args: Args, current: dict[str, Any]) -> None:
    """A `hash` given must be the view's current one: another update came first otherwise
    (https://api.slack.com/surfaces/modals#handling_race_conditions)."""
    given = str(args.get("hash") or "")
    if given and given != current["hash"]:
        raise ApiError("hash_conflict")


def _use_trigger(ws: Workspace, args: Args) -> None:
    refused = ws.take_trigger(str(args.get("trigger_id") or ""))
    if refused is not None:
        raise ApiError(refused)


def missing_file(ws: Workspace, blocks: list[dict[str, Any]]) -> str | None:
    """The JSON pointer of the first image whose `slack_file` the workspace does not have, by
    `id` or by `url` (a file's `url_private`); None when every image can be shown."""
    for at, image in _images(blocks):
        file = image.get("slack_file")
        if file is None:
            continue
        if not isinstance(file, dict) or not ws.has_file(
            file_id=str(file.get("id") or ""), url=str(file.get("url") or "")
        ):
            return at
    return None


def _images(blocks: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    for n, block in enumerate(blocks):
        if block.get("type") == "image":
            found.append((f"/blocks/{n}/slack_file", block))
        accessory = block.get("accessory")
        if isinstance(accessory, dict) and accessory.get("type") == "image":
            found.append((f"/blocks/{n}/accessory/slack_file", accessory))
        for m, element in enumerate(block.get("elements") or []):
            if isinstance(element, dict) and element.get("type") == "image":
                found.append((f"/blocks/{n}/elements/{m}/slack_file", element))
    return found
