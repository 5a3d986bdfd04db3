"""The sandbox's Web API, driven by slack_sdk's own WebClient as the bot drives it (the views
methods: test_views_api.py)."""

from __future__ import annotations

import struct
import time
import urllib.request
import zlib
from collections.abc import Callable
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError

from bot.sandbox import DIGEST_CHANNEL, GENERAL_CHANNEL
from bot.sandbox.links import to_slack_text
from bot.sandbox.workspace import BOT_USER_ID, USER_ID, Message
from tests.sandbox.conftest import Sandbox

BUTTON = {"type": "button", "text": {"type": "plain_text", "text": "Go"}, "action_id": "go",
          "value": "1"}  # fmt: skip
BLOCKS: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}},
          {"type": "actions", "elements": [BUTTON]}]  # fmt: skip


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def test_auth_test_answers_as_the_bot_and_refuses_other_tokens(
    sandbox: Callable[..., Sandbox],
) -> None:
    box = sandbox()
    assert box.client().auth_test()["user_id"] == BOT_USER_ID
    with pytest.raises(SlackApiError) as wrong:
        box.client("xoxb-wrong").auth_test()
    assert wrong.value.response["error"] == "invalid_auth"
    with pytest.raises(SlackApiError) as unknown:
        box.client().api_call("chat.scheduleMessage")
    assert unknown.value.response["error"] == "unknown_method"


def test_post_update_and_history_with_metadata(sandbox: Callable[..., Sandbox]) -> None:
    box = sandbox()
    client = box.client()
    metadata = {"event_type": "clv_digest", "event_payload": {"week": "2024-W22"}}
    posted = client.chat_postMessage(channel="#clv-digest", text="digest", blocks=BLOCKS,
                                     metadata=metadata)  # fmt: skip
    assert posted["channel"] == DIGEST_CHANNEL
    reply = client.chat_postMessage(channel=DIGEST_CHANNEL, text="chart", thread_ts=posted["ts"])
    client.chat_update(channel=DIGEST_CHANNEL, ts=posted["ts"], text="digest v2", blocks=BLOCKS)
    history = client.conversations_history(channel=DIGEST_CHANNEL, include_all_metadata=True)
    newest, oldest = history["messages"]
    assert newest["ts"] == reply["ts"]
    assert newest["thread_ts"] == posted["ts"]
    assert oldest["text"] == "digest v2"
    assert oldest["metadata"] == metadata
    assert oldest["bot_id"]
    assert oldest["blocks"][0]["block_id"]
    plain = client.conversations_history(channel=DIGEST_CHANNEL, limit=1)
    assert "metadata" not in plain["messages"][0]
    assert plain["has_more"] is True
    cursor = plain["response_metadata"]["next_cursor"]
    rest = client.conversations_history(channel=DIGEST_CHANNEL, limit=1, cursor=cursor)
    assert rest["messages"][0]["ts"] == posted["ts"]
    assert rest["has_more"] is False


def test_ephemeral_messages_are_not_in_history_and_cannot_be_updated(
    sandbox: Callable[..., Sandbox],
) -> None:
    box = sandbox()
    client = box.client()
    sent = client.chat_postEphemeral(channel=GENERAL_CHANNEL, user=USER_ID, text="psst")
    assert client.conversations_history(channel=GENERAL_CHANNEL)["messages"] == []
    (message,) = box.workspace.messages
    assert message.ephemeral
    assert message.ts == sent["message_ts"]
    with pytest.raises(SlackApiError) as update:
        client.chat_update(channel=GENERAL_CHANNEL, ts=sent["message_ts"], text="x")
    assert update.value.response["error"] == "message_not_found"


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"channel": "#nowhere", "text": "x"}, "channel_not_found"),
        ({"channel": GENERAL_CHANNEL, "text": ""}, "no_text"),
        ({"channel": GENERAL_CHANNEL, "text": "x", "blocks": [{"type": "divider"}] * 51},
         "invalid_blocks"),
        ({"channel": GENERAL_CHANNEL, "text": "x", "thread_ts": "1.2"}, "thread_not_found"),
    ],
)  # fmt: skip
@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_chat_post_message_errors(
    sandbox: Callable[..., Sandbox], kwargs: dict[str, Any], error: str
) -> None:
    with pytest.raises(SlackApiError) as failed:
        sandbox().client().chat_postMessage(**kwargs)
    assert failed.value.response["error"] == error


def test_files_upload_v2_shows_the_png_in_the_thread(sandbox: Callable[..., Sandbox]) -> None:
    box = sandbox()
    client = box.client()
    parent = client.chat_postMessage(channel=DIGEST_CHANNEL, text="this week")
    png = tiny_png()
    done = client.files_upload_v2(channel=DIGEST_CHANNEL, thread_ts=parent["ts"], content=png,
                                  filename="equity.png", title="Customer equity")  # fmt: skip
    file = done["file"]
    assert (file["name"], file["title"], file["mimetype"]) == ("equity.png", "Customer equity",
                                                               "image/png")  # fmt: skip
    posted = box.workspace.history(DIGEST_CHANNEL)[0]
    assert posted.thread_ts == parent["ts"]
    assert posted.files[0]["id"] == file["id"]
    with urllib.request.urlopen(f"{box.url}/files/{file['id']}") as response:
        assert response.read() == png
        assert response.headers["content-type"] == "image/png"


def test_completing_an_upload_that_never_came_fails(sandbox: Callable[..., Sandbox]) -> None:
    client = sandbox().client()
    url = client.files_getUploadURLExternal(filename="a.png", length=10)
    with pytest.raises(SlackApiError) as failed:
        client.files_completeUploadExternal(files=[{"id": url["file_id"]}], channel_id="C0GENERAL")
    assert failed.value.response["error"] == "file_not_found"


MODAL: dict[str, Any] = {
    "type": "modal", "callback_id": "outreach_confirm",
    "title": {"type": "plain_text", "text": "Send outreach"},
    "submit": {"type": "plain_text", "text": "Send"},
    "close": {"type": "plain_text", "text": "Cancel"},
    "private_metadata": '{"customer_id": 7}', "blocks": BLOCKS,
}  # fmt: skip


def test_views_open_shows_the_modal_for_a_fresh_trigger_once(
    sandbox: Callable[..., Sandbox],
) -> None:
    box = sandbox()
    trigger = box.workspace.issue_trigger("1.T.abc")  # as a click hands it to the bot

    opened = box.client().views_open(trigger_id=trigger, view=MODAL)["view"]

    assert opened["id"].startswith("V")
    assert opened["root_view_id"] == opened["id"]
    assert (opened["callback_id"], opened["private_metadata"]) == (
        "outreach_confirm", '{"customer_id": 7}'
    )  # fmt: skip
    assert opened["state"] == {"values": {}}
    assert opened["hash"]
    assert box.workspace.snapshot()["modal"] == opened  # what the page draws
    with pytest.raises(SlackApiError) as again:  # a trigger opens one view
        box.client().views_open(trigger_id=trigger, view=MODAL)
    assert again.value.response["error"] == "expired_trigger_id"


def test_views_open_refuses_unknown_and_stale_triggers(sandbox: Callable[..., Sandbox]) -> None:
    box = sandbox()
    with pytest.raises(SlackApiError) as unknown:
        box.client().views_open(trigger_id="1.2.3", view=MODAL)
    assert unknown.value.response["error"] == "invalid_arguments"
    stale = box.workspace.issue_trigger("1.T.old")
    box.workspace.triggers[stale] = time.monotonic() - 3.5  # Slack's three seconds are over
    with pytest.raises(SlackApiError) as late:
        box.client().views_open(trigger_id=stale, view=MODAL)
    assert late.value.response["error"] == "expired_trigger_id"
    assert box.workspace.snapshot()["modal"] is None


@pytest.mark.parametrize(
    "change",
    [
        {"type": "home"},
        {"title": {"type": "plain_text", "text": "x" * 25}},  # at most 24 characters
        {"title": {"type": "mrkdwn", "text": "*Send*"}},
        {"submit": {"type": "plain_text", "text": ""}},
        {"blocks": [{"type": "divider"}] * 101},  # at most 100 blocks in a modal
        {"private_metadata": "x" * 3001},  # at most 3,000 characters
        {"callback_id": "c" * 256},
    ],
)
def test_views_open_refuses_a_view_slack_would_refuse(
    sandbox: Callable[..., Sandbox], change: dict[str, Any]
) -> None:
    box = sandbox()
    trigger = box.workspace.issue_trigger("1.T.bad")
    with pytest.raises(SlackApiError) as refused:
        box.client().views_open(trigger_id=trigger, view={**MODAL, **change})
    assert refused.value.response["error"] == "invalid_arguments"
    assert box.workspace.snapshot()["modal"] is None


LINK = "https://admin.shopify.com/store/demo-shop/customers/42"
CARD = {"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "*Jo* · $1,200"}}]}


def shared(box: Sandbox, text: str = f"have a look at {LINK}") -> Message:
    """A message the sandbox's user posted, as Slack stores it (the link in angle brackets)."""
    ws = box.workspace
    return ws.post(Message(ws.next_ts(), GENERAL_CHANNEL, USER_ID, to_slack_text(text)))


def test_chat_unfurl_attaches_the_card_under_the_message_once_per_url(
    sandbox: Callable[..., Sandbox],
) -> None:
    box = sandbox()
    client = box.client()
    message = shared(box)

    client.chat_unfurl(channel=GENERAL_CHANNEL, ts=message.ts, unfurls={LINK: CARD})
    again = {LINK: {"blocks": [{"type": "divider"}]}}
    client.chat_unfurl(channel=GENERAL_CHANNEL, ts=message.ts, unfurls=again)  # replaces

    (attachment,) = client.conversations_history(channel=GENERAL_CHANNEL)["messages"][0][
        "attachments"
    ]
    assert (attachment["app_unfurl_url"], attachment["is_app_unfurl"]) == (LINK, True)
    assert [b["type"] for b in attachment["blocks"]] == ["divider"]
    assert attachment["blocks"][0]["block_id"]


def test_chat_unfurl_finds_the_message_by_its_unfurl_id(sandbox: Callable[..., Sandbox]) -> None:
    box = sandbox()
    message = shared(box)
    box.workspace.unfurl_ids["C0GENERAL.1.abc"] = (GENERAL_CHANNEL, message.ts)  # link_shared's

    box.client().chat_unfurl(unfurl_id="C0GENERAL.1.abc", source="conversations_history",
                             unfurls={LINK: CARD})  # fmt: skip

    assert message.unfurls[LINK]["blocks"][0]["text"]["text"] == "*Jo* · $1,200"


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"ts": "{ts}", "unfurls": {LINK: CARD}}, "missing_channel"),
        ({"channel": GENERAL_CHANNEL, "unfurls": {LINK: CARD}}, "missing_ts"),
        ({"channel": "C0NOWHERE", "ts": "{ts}", "unfurls": {LINK: CARD}}, "cannot_find_channel"),
        ({"channel": GENERAL_CHANNEL, "ts": "1.000001", "unfurls": {LINK: CARD}},
         "cannot_find_message"),
        ({"unfurl_id": "C0GENERAL.9.x", "source": "composer", "unfurls": {LINK: CARD}},
         "cannot_find_message"),
        ({"unfurl_id": "C0GENERAL.9.x", "unfurls": {LINK: CARD}}, "invalid_arguments"),
        ({"channel": GENERAL_CHANNEL, "ts": "{ts}"}, "missing_unfurls"),
        ({"channel": GENERAL_CHANNEL, "ts": "{ts}", "unfurls": {LINK: "card"}},
         "invalid_unfurls_format"),
        ({"channel": GENERAL_CHANNEL, "ts": "{ts}", "unfurls": {LINK: {"blocks": "x"}}},
         "cannot_parse_attachment"),
        ({"channel": GENERAL_CHANNEL, "ts": "{ts}", "unfurls": {LINK + "3": CARD}},
         "cannot_unfurl_message"),  # not a link of the message
        ({"channel": GENERAL_CHANNEL, "ts": "{ts}",
          "unfurls": {"https://crm.example.com/c/1": CARD}}, "cannot_unfurl_url"),
    ],
)  # fmt: skip
def test_chat_unfurl_errors(
    sandbox: Callable[..., Sandbox], kwargs: dict[str, Any], error: str
) -> None:
    box = sandbox()
    message = shared(box, f"{LINK} and https://crm.example.com/c/1")
    args = {k: message.ts if v == "{ts}" else v for k, v in kwargs.items()}
    with pytest.raises(SlackApiError) as failed:
        box.client().api_call("chat.unfurl", json=args)
    assert failed.value.response["error"] == error
    assert message.unfurls == {}


def test_an_image_block_needs_an_uploaded_file(sandbox: Callable[..., Sandbox]) -> None:
    client = sandbox().client()
    chart = [{"type": "image", "slack_file": {"id": "F0NONE"}, "alt_text": "equity"}]
    with pytest.raises(SlackApiError) as failed:
        client.chat_postMessage(channel=GENERAL_CHANNEL, text="chart", blocks=chart)
    assert failed.value.response["error"] == "invalid_blocks"
    file = client.files_upload_v2(content=tiny_png(), filename="equity.png")["file"]
    chart[0]["slack_file"] = {"id": file["id"]}
    assert client.chat_postMessage(channel=GENERAL_CHANNEL, text="chart", blocks=chart)["ok"]
