"""The page's actions become Slack's requests to the bot, and the bot's answers show up."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from starlette.responses import JSONResponse, Response

from bot.sandbox import DIGEST_CHANNEL, GENERAL_CHANNEL
from tests.sandbox.conftest import Sandbox

CARD = {"response_type": "ephemeral", "text": "card",
        "blocks": [{"type": "actions", "block_id": "b1", "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": "Why?"},
             "action_id": "clv_why", "value": "42"}]}]}  # fmt: skip


def post(url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"content-type": "application/json"})  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def command(box: Sandbox, text: str, channel: str = GENERAL_CHANNEL) -> dict[str, Any]:
    return post(f"{box.url}/sandbox/command", {"channel": channel, "text": text})[1]


def test_a_command_is_signed_and_its_ack_shows_as_ephemeral(
    sandbox: Callable[..., Sandbox],
) -> None:
    box = sandbox(lambda body: JSONResponse(CARD))
    assert command(box, "/clv 42") == {"ok": True, "error": None}
    (sent,) = box.bot.received  # the fake bot verified the signature
    assert (sent["command"], sent["text"], sent["channel_id"]) == ("/clv", "42", GENERAL_CHANNEL)
    assert sent["response_url"].startswith(f"{box.url}/respond/")
    (shown,) = box.workspace.messages
    assert shown.ephemeral
    assert shown.text == "card"
    assert shown.via == "acknowledgement"


def test_response_url_posts_replaces_and_deletes(sandbox: Callable[..., Sandbox]) -> None:
    box = sandbox()
    command(box, "/clv 42")
    url = box.bot.received[0]["response_url"]
    assert post(url, {"text": "working…"})[0] == 200
    assert box.workspace.messages[-1].ephemeral
    post(url, {"text": "done", "replace_original": True})
    (only,) = box.workspace.messages
    assert only.text == "done"
    assert only.edited
    post(url, {"text": "for everyone", "response_type": "in_channel", "replace_original": False})
    assert [m.ephemeral for m in box.workspace.messages] == [True, False]
    post(url, {"delete_original": True})  # a command's "original" is its last answer
    assert [m.text for m in box.workspace.messages] == ["done"]
    assert post(url, {"text": "fifth"})[0] == 200  # five uses, as Slack allows
    assert post(url, {"text": "sixth"}) == (404, {"ok": False, "error": "used_url"})
    assert post(f"{box.url}/respond/nope", {"text": "x"})[1]["error"] == "expired_url"


def test_a_click_sends_block_actions_and_the_answer_replaces_the_card(
    sandbox: Callable[..., Sandbox],
) -> None:
    box = sandbox(lambda body: JSONResponse(CARD) if "command" in body else Response("", 200))
    command(box, "/clv 42")
    card = box.workspace.messages[0]
    clicked = {"channel": GENERAL_CHANNEL, "ts": card.ts, "block_id": "b1", "action_id": "clv_why"}
    assert post(f"{box.url}/sandbox/action", clicked)[1]["ok"] is True
    payload = box.bot.received[1]
    assert payload["type"] == "block_actions"
    assert payload["container"]["message_ts"] == card.ts
    assert payload["container"]["is_ephemeral"] is True
    assert payload["actions"][0]["value"] == "42"  # taken from the message, not the page
    post(payload["response_url"], {"text": "why: because", "replace_original": True})
    assert [m.text for m in box.workspace.messages] == ["why: because"]
    missing = {**clicked, "action_id": "clv_nope"}
    assert post(f"{box.url}/sandbox/action", missing)[0] == 404


def test_slow_and_refusing_bots_look_as_they_do_in_slack(sandbox: Callable[..., Sandbox]) -> None:
    def slow(_body: dict[str, Any]) -> Response:
        time.sleep(0.6)
        return Response("", 200)

    box = sandbox(slow, ack_timeout=0.2)
    assert command(box, "/clv 42")["error"] == "operation_timeout"
    assert box.workspace.messages[-1].text == '/clv failed with the error "operation_timeout"'
    refusing = sandbox(signing_secret="not-the-bot's-secret")
    assert command(refusing, "/clv 42")["error"] == "http_error_401"


def test_other_input_is_a_message_or_an_unknown_command(sandbox: Callable[..., Sandbox]) -> None:
    box = sandbox()
    command(box, "hello <b>team</b>")
    command(box, "/weather")
    said, unknown = box.workspace.messages
    assert said.text == "hello &lt;b&gt;team&lt;/b&gt;"
    assert not said.ephemeral
    assert unknown.ephemeral
    assert "not a valid command" in unknown.text
    assert box.bot.received == []


def test_post_digest_runs_the_hook_with_the_digest_channel(
    sandbox: Callable[..., Sandbox],
) -> None:
    unwired = sandbox()
    assert post(f"{unwired.url}/sandbox/digest", {})[1]["ok"] is False
    channels: list[str] = []

    def hook(channel: str) -> str:
        channels.append(channel)
        return "posted the digest for week 22"

    wired = sandbox(on_post_digest=hook)
    assert post(f"{wired.url}/sandbox/digest", {})[1] == {
        "ok": True, "status": "posted the digest for week 22"}  # fmt: skip
    assert channels == [DIGEST_CHANNEL]

    def broken(_channel: str) -> str:
        raise RuntimeError("no scores yet")

    failing = sandbox(on_post_digest=broken)
    assert post(f"{failing.url}/sandbox/digest", {})[1]["status"] == (
        "The digest job failed: no scores yet"
    )


def test_the_page_polls_cheaply(sandbox: Callable[..., Sandbox]) -> None:
    box = sandbox()
    with urllib.request.urlopen(f"{box.url}/sandbox/state") as response:
        state = json.loads(response.read())
    assert [c["name"] for c in state["channels"]] == ["general", "clv-digest", "clv-alerts"]
    with urllib.request.urlopen(f"{box.url}/sandbox/state?since={state['version']}") as response:
        assert json.loads(response.read()) == {"version": state["version"], "unchanged": True}
    with urllib.request.urlopen(f"{box.url}/") as response:
        page = response.read().decode()
    assert "Local sandbox" in page
    assert "https://" not in page
    for asset in ("sandbox.js", "mrkdwn.js", "blocks.js", "sandbox.css"):
        with urllib.request.urlopen(f"{box.url}/static/{asset}") as response:
            assert response.status == 200
