"""Modals in the sandbox: a click's trigger opens one, Send delivers a signed `view_submission`
(twice for a double submit), the bot's acknowledgement closes it or keeps it, Cancel closes it."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from starlette.responses import JSONResponse, Response

from bot.sandbox import GENERAL_CHANNEL
from bot.sandbox.workspace import USER_ID, Message
from tests.sandbox.conftest import Sandbox
from tests.sandbox.test_webapi import BLOCKS, MODAL


def post(url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(),
                                     headers={"content-type": "application/json"})  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def opened_by_a_click(box: Sandbox, view: dict[str, Any] = MODAL) -> dict[str, Any]:
    """Click a button; open `view` with the trigger_id the bot got, as the bot does."""
    message = box.workspace.post(Message(box.workspace.next_ts(), GENERAL_CHANNEL, "U0CLVBOT",
                                         "card", box_blocks()))  # fmt: skip
    clicked = {"channel": GENERAL_CHANNEL, "ts": message.ts, "block_id": "b1", "action_id": "go"}
    assert post(f"{box.url}/sandbox/action", clicked)[1]["ok"] is True
    trigger = box.bot.received[-1]["trigger_id"]
    opened: dict[str, Any] = box.client().views_open(trigger_id=trigger, view=view)["view"]
    return opened


def box_blocks() -> list[dict[str, Any]]:
    return [{**block, "block_id": "b1"} for block in BLOCKS]


def submissions(box: Sandbox) -> list[dict[str, Any]]:
    return [b for b in box.bot.received if b.get("type") == "view_submission"]


def test_send_delivers_a_view_submission_and_an_empty_ack_closes_the_modal(
    sandbox: Callable[..., Sandbox],
) -> None:
    box = sandbox()
    view = opened_by_a_click(box)
    assert box.workspace.snapshot()["modal"]["id"] == view["id"]

    status, answer = post(f"{box.url}/sandbox/view", {"view_id": view["id"], "action": "submit"})

    assert (status, answer) == (200, {"ok": True, "closed": True})
    (submitted,) = submissions(box)
    assert submitted["user"]["id"] == USER_ID
    assert submitted["trigger_id"]
    assert submitted["view"]["id"] == view["id"]
    assert submitted["view"]["private_metadata"] == MODAL["private_metadata"]
    assert submitted["view"]["callback_id"] == "outreach_confirm"
    assert box.workspace.snapshot()["modal"] is None


def test_a_double_submit_reaches_the_bot_twice_then_the_modal_is_gone(
    sandbox: Callable[..., Sandbox],
) -> None:
    box = sandbox()
    view = opened_by_a_click(box)
    send = {"view_id": view["id"], "action": "submit"}

    assert post(f"{box.url}/sandbox/view", send)[0] == 200
    assert post(f"{box.url}/sandbox/view", send)[0] == 200  # a second click, just after

    assert len(submissions(box)) == 2
    time.sleep(1.1)  # long after it closed, Send is no longer there
    assert post(f"{box.url}/sandbox/view", send) == (404, {"ok": False, "error": "no such view"})
    assert len(submissions(box)) == 2


INPUT = {"type": "input", "block_id": "who", "label": {"type": "plain_text", "text": "Customer"},
         "element": {"type": "plain_text_input", "action_id": "customer"}}  # fmt: skip
FORM: dict[str, Any] = {**MODAL, "blocks": [INPUT]}


def test_an_errors_ack_keeps_the_modal_and_update_replaces_it(
    sandbox: Callable[..., Sandbox],
) -> None:
    updated = {**MODAL, "blocks": [{"type": "divider"}]}
    answers = [
        {"response_action": "errors", "errors": {"who": "No customer with that id"}},
        {"response_action": "update", "view": updated},
    ]

    def reply(body: dict[str, Any]) -> Response:
        if body.get("type") != "view_submission":
            return Response("", 200)
        return JSONResponse(answers.pop(0))

    box = sandbox(reply)
    view = opened_by_a_click(box, FORM)
    typed = {"who": {"customer": {"value": "7"}}}
    send = {"view_id": view["id"], "action": "submit", "values": typed}

    assert post(f"{box.url}/sandbox/view", send)[1] == {
        "ok": True, "closed": False, "errors": {"who": "No customer with that id"}
    }  # fmt: skip
    assert box.workspace.snapshot()["modal"]["blocks"] == view["blocks"]
    assert post(f"{box.url}/sandbox/view", send)[1] == {"ok": True, "closed": False}
    shown = box.workspace.snapshot()["modal"]
    assert [b["type"] for b in shown["blocks"]] == ["divider"]
    assert (shown["id"], shown["root_view_id"]) == (view["id"], view["id"])
    assert shown["hash"] != view["hash"]  # the page redraws it


def test_the_submission_carries_the_inputs_and_an_empty_required_one_is_not_sent(
    sandbox: Callable[..., Sandbox],
) -> None:
    gold = {"text": {"type": "plain_text", "text": "Gold"}, "value": "tier:Gold"}
    groups = [{"label": {"type": "plain_text", "text": "Tiers"}, "options": [gold]}]
    select = {"type": "input", "block_id": "group", "optional": True,
              "label": {"type": "plain_text", "text": "Segment"},
              "element": {"type": "static_select", "action_id": "pick",
                          "option_groups": groups}}  # fmt: skip
    box = sandbox()
    view = opened_by_a_click(box, {**MODAL, "blocks": [INPUT, select]})
    blank = {"who": {"customer": {"value": ""}}}
    empty = {"view_id": view["id"], "action": "submit", "values": blank}

    assert post(f"{box.url}/sandbox/view", empty)[1] == {
        "ok": False, "closed": False, "errors": {"who": "Please complete this required field."}
    }  # fmt: skip
    assert submissions(box) == []
    chosen = {"who": {"customer": {"value": "jo@example.com"}},
              "group": {"pick": {"selected_option": {"value": "tier:Gold"}}}}  # fmt: skip
    assert post(f"{box.url}/sandbox/view", {**empty, "values": chosen})[1]["closed"] is True
    (submitted,) = submissions(box)
    assert submitted["view"]["state"]["values"] == {
        "who": {"customer": {"type": "plain_text_input", "value": "jo@example.com"}},
        "group": {"pick": {"type": "static_select", "selected_option": gold}},
    }


def test_push_stacks_a_view_clear_closes_them_all_and_an_empty_ack_goes_back(
    sandbox: Callable[..., Sandbox],
) -> None:
    pushed = {**MODAL, "title": {"type": "plain_text", "text": "Pushed"}}
    answers: list[dict[str, Any]] = [
        {"response_action": "push", "view": pushed},
        {},  # the pushed view's Send: it closes, the root shows again
        {"response_action": "push", "view": pushed},
        {"response_action": "clear"},
    ]

    def reply(body: dict[str, Any]) -> Response:
        if body.get("type") != "view_submission":
            return Response("", 200)
        answer = answers.pop(0)
        return JSONResponse(answer) if answer else Response("", 200)

    box = sandbox(reply)
    root = opened_by_a_click(box)

    def submit() -> dict[str, Any]:
        shown = box.workspace.snapshot()["modal"]
        return post(f"{box.url}/sandbox/view", {"view_id": shown["id"], "action": "submit"})[1]

    assert submit() == {"ok": True, "closed": False}
    top = box.workspace.snapshot()["modal"]
    assert (top["title"]["text"], top["previous_view_id"]) == ("Pushed", root["id"])
    assert submit() == {"ok": True, "closed": True}
    assert box.workspace.snapshot()["modal"]["id"] == root["id"]
    submit()
    assert box.workspace.snapshot()["modal_depth"] == 2
    assert submit() == {"ok": True, "closed": True}
    assert box.workspace.snapshot()["modal"] is None


def test_cancel_closes_and_notifies_only_a_view_that_asked(
    sandbox: Callable[..., Sandbox],
) -> None:
    box = sandbox()
    quiet = opened_by_a_click(box)
    assert post(f"{box.url}/sandbox/view", {"view_id": quiet["id"], "action": "close"})[0] == 200
    assert box.workspace.snapshot()["modal"] is None
    assert [b for b in box.bot.received if b.get("type") == "view_closed"] == []

    asked = opened_by_a_click(box, {**MODAL, "notify_on_close": True})
    assert post(f"{box.url}/sandbox/view", {"view_id": asked["id"], "action": "close"})[0] == 200
    (closed,) = [b for b in box.bot.received if b.get("type") == "view_closed"]
    assert closed["view"]["id"] == asked["id"]
    assert submissions(box) == []


def test_a_bot_that_does_not_answer_leaves_the_modal_open(
    sandbox: Callable[..., Sandbox],
) -> None:
    def slow(body: dict[str, Any]) -> Response:
        if body.get("type") == "view_submission":
            time.sleep(0.6)
        return Response("", 200)

    box = sandbox(slow, ack_timeout=0.2)
    view = opened_by_a_click(box)

    answer = post(f"{box.url}/sandbox/view", {"view_id": view["id"], "action": "submit"})[1]

    assert answer == {"ok": False, "error": "operation_timeout", "closed": False}
    assert box.workspace.snapshot()["modal"]["id"] == view["id"]
