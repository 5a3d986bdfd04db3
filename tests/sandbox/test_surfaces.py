"""The App Home, shared links and shortcuts: what the sandbox delivers to the bot, signed, as
Slack sends it, and what the bot's answers do to the page."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from starlette.responses import JSONResponse, Response

from bot.sandbox import GENERAL_CHANNEL
from bot.sandbox.links import links_in, shared_links, to_slack_text
from bot.sandbox.workspace import USER_ID, Message
from tests.sandbox.conftest import Sandbox
from tests.sandbox.test_modals import post, submissions
from tests.sandbox.test_views_api import HOME
from tests.sandbox.test_webapi import BUTTON, CARD, LINK, MODAL

JSON = "application/json"


def events(box: Sandbox, kind: str) -> list[dict[str, Any]]:
    return [b["event"] for b in box.bot.received
            if b.get("type") == "event_callback" and b["event"]["type"] == kind]  # fmt: skip


def test_opening_the_home_tab_sends_app_home_opened_with_the_published_view(
    sandbox: Callable[..., Sandbox],
) -> None:
    box = sandbox(messages_tab=True)
    assert post(f"{box.url}/sandbox/home", {"tab": "home"})[1]["ok"] is True
    published = box.client().views_publish(user_id=USER_ID, view=HOME)["view"]
    post(f"{box.url}/sandbox/home", {"tab": "home"})
    status, answer = post(f"{box.url}/sandbox/home", {"tab": "messages"})

    first, second, messages = events(box, "app_home_opened")
    envelope = box.bot.received[0]
    assert box.bot.content_types[0] == JSON  # an Events API request, signed like the others
    assert envelope["event_id"].startswith("Ev")
    assert isinstance(envelope["event_time"], int)
    assert envelope["authorizations"][0]["is_bot"] is True
    assert (first["user"], first["tab"], first["channel"]) == (USER_ID, "home", "D0DEMOUSER")
    assert "view" not in first  # nothing published yet
    assert second["view"] == published
    assert (messages["tab"], "view" in messages) == ("messages", False)
    assert (status, answer["channel"]) == (200, "D0DEMOUSER")
    assert box.workspace.channels["D0DEMOUSER"] == "clvbot"  # the Messages tab is the DM


def test_a_home_button_sends_block_actions_with_the_view_and_no_channel(
    sandbox: Callable[..., Sandbox],
) -> None:
    box = sandbox()
    home = {**HOME, "blocks": [{"type": "actions", "block_id": "tools", "elements": [BUTTON]}]}
    view = box.client().views_publish(user_id=USER_ID, view=home)["view"]

    clicked = {"view_id": view["id"], "block_id": "tools", "action_id": "go"}
    assert post(f"{box.url}/sandbox/action", clicked)[1]["ok"] is True

    (click,) = box.bot.received
    assert click["type"] == "block_actions"
    assert click["container"] == {"type": "view", "view_id": view["id"]}
    assert click["view"]["id"] == view["id"]
    assert "channel" not in click
    assert "response_url" not in click
    assert click["actions"][0]["action_id"] == "go"
    opened = box.client().views_open(trigger_id=click["trigger_id"], view=MODAL)  # within 3 s
    assert box.workspace.snapshot()["modal"]["id"] == opened["view"]["id"]


def test_a_select_in_a_modal_sends_what_was_chosen(sandbox: Callable[..., Sandbox]) -> None:
    box = sandbox()
    option = {"text": {"type": "plain_text", "text": "Champions"}, "value": "segment:champions"}
    select = {"type": "static_select", "action_id": "group", "options": [option]}
    trigger = box.workspace.issue_trigger("1.T.select")
    view = {**MODAL, "blocks": [{"type": "actions", "elements": [select]}]}
    opened = box.client().views_open(trigger_id=trigger, view=view)["view"]

    chosen = {"#0": {"group": {"selected_option": {"value": "segment:champions"}}}}
    post(f"{box.url}/sandbox/action", {"view_id": opened["id"], "block_id": "#0",
                                       "action_id": "group", "values": chosen})  # fmt: skip

    (action,) = box.bot.received[0]["actions"]
    assert (action["type"], action["block_id"], action["selected_option"]) == (
        "static_select", "#0", option
    )  # fmt: skip
    assert box.bot.received[0]["view"]["state"]["values"]["#0"]["group"]["selected_option"] == (
        option
    )


def test_a_posted_link_under_an_unfurl_domain_is_shared_and_the_unfurl_shows(
    sandbox: Callable[..., Sandbox],
) -> None:
    box = sandbox(unfurl_domains=("shopify.com",))
    text = f"look: {LINK}, and https://example.com/x"

    answer = post(f"{box.url}/sandbox/command", {"channel": "#general", "text": text})[1]

    message = box.workspace.find(GENERAL_CHANNEL, answer["ts"])
    assert message is not None
    assert message.user == USER_ID
    assert message.text == f"look: <{LINK}>, and <https://example.com/x>"
    (shared,) = events(box, "link_shared")
    assert shared["links"] == [{"domain": "shopify.com", "url": LINK}]  # the registered domain
    assert (shared["channel"], shared["message_ts"], shared["user"]) == (
        GENERAL_CHANNEL, message.ts, USER_ID
    )  # fmt: skip
    assert shared["source"] == "conversations_history"
    box.client().chat_unfurl(unfurl_id=shared["unfurl_id"], source=shared["source"],
                             unfurls={LINK: CARD})  # fmt: skip
    (shown,) = box.workspace.snapshot()["messages"]
    assert shown["attachments"][0]["app_unfurl_url"] == LINK
    post(f"{box.url}/sandbox/command", {"channel": "#general", "text": "no links here"})
    assert len(events(box, "link_shared")) == 1


def test_a_button_in_an_unfurl_says_it_is_in_an_attachment(
    sandbox: Callable[..., Sandbox],
) -> None:
    box = sandbox()
    ts = post(f"{box.url}/sandbox/command", {"channel": "#general", "text": LINK})[1]["ts"]
    card = {"blocks": [{"type": "actions", "block_id": "card", "elements": [BUTTON]}]}
    box.client().chat_unfurl(channel=GENERAL_CHANNEL, ts=ts, unfurls={LINK: card})

    post(f"{box.url}/sandbox/action", {"channel": GENERAL_CHANNEL, "ts": ts, "block_id": "card",
                                       "action_id": "go"})  # fmt: skip

    click = next(b for b in box.bot.received if b.get("type") == "block_actions")
    assert click["container"]["type"] == "message_attachment"
    assert (click["container"]["attachment_id"], click["container"]["app_unfurl_url"]) == (1, LINK)
    assert click["container"]["is_app_unfurl"] is True


def test_the_message_shortcut_sends_the_message_and_its_response_url_answers_there(
    sandbox: Callable[..., Sandbox],
) -> None:
    box = sandbox()
    ws = box.workspace
    message = ws.post(Message(ws.next_ts(), GENERAL_CHANNEL, USER_ID,
                              to_slack_text("who is jo@example.com?")))  # fmt: skip

    used = {"callback_id": "clv_of_message", "channel": GENERAL_CHANNEL, "ts": message.ts}
    assert post(f"{box.url}/sandbox/shortcut", used)[1]["ok"] is True

    (payload,) = box.bot.received
    assert (payload["type"], payload["callback_id"]) == ("message_action", "clv_of_message")
    assert payload["message"]["text"] == "who is <mailto:jo@example.com|jo@example.com>?"
    assert (payload["message_ts"], payload["channel"]["id"]) == (message.ts, GENERAL_CHANNEL)
    assert payload["trigger_id"] in ws.triggers
    answered = post(payload["response_url"], {"text": "Jo Smith · $1,200"})
    assert answered == (200, {"ok": True})
    reply = ws.messages[-1]
    assert (reply.channel, reply.ephemeral) == (GENERAL_CHANNEL, True)
    assert reply.text == "Jo Smith · $1,200"


def test_the_global_shortcut_opens_the_look_up_modal_with_its_trigger(
    sandbox: Callable[..., Sandbox],
) -> None:
    def reply(body: dict[str, Any]) -> Response:
        if body.get("type") == "view_submission":  # the look-up answers in the modal
            return JSONResponse({"response_action": "update", "view": {**MODAL, "blocks": []}})
        return Response("", 200)

    box = sandbox(reply)
    assert post(f"{box.url}/sandbox/shortcut", {"callback_id": "clv_lookup"})[1]["ok"] is True
    (payload,) = box.bot.received
    assert (payload["type"], payload["callback_id"]) == ("shortcut", "clv_lookup")
    assert "response_url" not in payload
    assert "channel" not in payload
    opened = box.client().views_open(trigger_id=payload["trigger_id"], view=MODAL)["view"]
    assert post(f"{box.url}/sandbox/view", {"view_id": opened["id"], "action": "submit"})[1] == {
        "ok": True, "closed": False
    }  # fmt: skip
    assert len(submissions(box)) == 1
    assert box.workspace.snapshot()["modal"]["blocks"] == []
    missing = post(f"{box.url}/sandbox/shortcut", {"callback_id": "nope"})
    assert missing == (404, {"ok": False, "error": "no such shortcut"})


def test_a_shortcut_the_bot_fails_to_acknowledge_is_said_in_the_channel(
    sandbox: Callable[..., Sandbox],
) -> None:
    def slow(_body: dict[str, Any]) -> Response:
        time.sleep(0.5)
        return Response("", 200)

    box = sandbox(slow, ack_timeout=0.2)
    used = {"callback_id": "clv_lookup", "channel": "#general"}
    answer = post(f"{box.url}/sandbox/shortcut", used)
    assert answer[1] == {"ok": False, "error": "operation_timeout"}
    notice = box.workspace.messages[-1]
    assert (notice.user, notice.channel) == ("USLACKBOT", GENERAL_CHANNEL)
    assert "operation_timeout" in notice.text


def test_slack_formats_typed_links_and_emails_and_shares_registered_domains() -> None:
    typed = "see https://a.example.com/c/1?x=1&y=2. & mail jo@shop.example <b>"
    text = to_slack_text(typed)
    assert text == ("see <https://a.example.com/c/1?x=1&amp;y=2>. &amp; mail "
                    "<mailto:jo@shop.example|jo@shop.example> &lt;b&gt;")  # fmt: skip
    assert links_in(text) == ["https://a.example.com/c/1?x=1&y=2"]
    assert shared_links(text, ("example.com",)) == [
        {"domain": "example.com", "url": "https://a.example.com/c/1?x=1&y=2"}
    ]
    assert shared_links(text, ("notexample.com", "a.example.co")) == []
    assert links_in("<https://x.test/a|label> <https://x.test/a>") == ["https://x.test/a"]


def test_links_typed_in_the_composer_are_shared_before_the_message_is_posted(
    sandbox: Callable[..., Sandbox],
) -> None:
    box = sandbox()
    typing = {"channel": "#general", "text": f"look at {LINK}"}

    answer = post(f"{box.url}/sandbox/compose", typing)[1]

    (shared,) = events(box, "link_shared")
    assert (shared["channel"], shared["source"]) == ("COMPOSER", "composer")
    assert shared["message_ts"] == shared["unfurl_id"] == answer["unfurl_id"]
    assert shared["unfurl_id"].startswith(USER_ID + "-")
    assert shared["links"] == [{"domain": "admin.shopify.com", "url": LINK}]
    assert box.workspace.messages == []  # nothing posted yet
    box.client().chat_unfurl(unfurl_id=shared["unfurl_id"], source="composer", unfurls={LINK: CARD})
    preview = box.workspace.snapshot()["drafts"][shared["unfurl_id"]]
    assert (preview["channel"], preview["attachments"][0]["app_unfurl_url"]) == (
        GENERAL_CHANNEL, LINK
    )  # fmt: skip
    posted = {**typing, "draft": shared["unfurl_id"]}
    post(f"{box.url}/sandbox/command", posted)  # sent: the composer is empty again
    assert box.workspace.snapshot()["drafts"] == {}
    sources = [e["source"] for e in events(box, "link_shared")]
    assert sources == ["composer", "conversations_history"]
    nothing = post(f"{box.url}/sandbox/compose", {"channel": "#general", "text": "no link"})
    assert nothing[1]["ok"] is False
