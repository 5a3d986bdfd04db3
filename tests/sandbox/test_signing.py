"""What the sandbox sends the bot is what Slack sends: signed form bodies of Slack's shape."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, parse_qsl

from slack_sdk.signature import SignatureVerifier

from bot.sandbox.signing import (
    sign,
    signed_headers,
    to_action_body,
    to_block_action,
    to_command_body,
)
from bot.sandbox.workspace import GENERAL_CHANNEL, Message

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
# the example in Slack's "Verifying requests from Slack" guide
SLACK_BODY = (
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
    "&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect"
    "&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554"
    "%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)


def test_signature_matches_slacks_published_example() -> None:
    expected = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    assert sign(SECRET, "1531420618", SLACK_BODY) == expected


def test_signed_headers_verify_with_slack_sdk() -> None:
    body = "command=%2Fclv&text=42"
    headers = signed_headers(SECRET, body, now=1_700_000_000)
    assert headers["x-slack-request-timestamp"] == "1700000000"
    verifier = SignatureVerifier(SECRET)
    generated = verifier.generate_signature(timestamp="1700000000", body=body)
    assert headers["x-slack-signature"] == generated
    assert headers["content-type"] == "application/x-www-form-urlencoded"
    assert SignatureVerifier(SECRET).is_valid(body, **_now_headers(SECRET, body)) is True


def _now_headers(secret: str, body: str) -> dict[str, str]:
    headers = signed_headers(secret, body)
    return {"timestamp": headers["x-slack-request-timestamp"],
            "signature": headers["x-slack-signature"]}  # fmt: skip


def test_command_body_has_every_field_slack_sends() -> None:
    body = to_command_body(command="/clv", text="segment champions", channel_id=GENERAL_CHANNEL,
                           channel_name="general", response_url="http://x/respond/t")  # fmt: skip
    fields = {key: values[0] for key, values in parse_qs(body, keep_blank_values=True).items()}
    names = "token team_id team_domain channel_id channel_name user_id user_name command text"
    for name in [*names.split(), "response_url", "trigger_id", "api_app_id"]:
        assert fields.get(name), name
    assert (fields["command"], fields["text"]) == ("/clv", "segment champions")


def test_block_action_has_slacks_shape() -> None:
    button = {"type": "button", "text": {"type": "plain_text", "text": "Why?"},
              "action_id": "clv_why", "value": "42"}  # fmt: skip
    blocks = [{"type": "actions", "block_id": "b1", "elements": [button]}]
    message = Message("1700000000.000100", GENERAL_CHANNEL, "U0CLVBOT", "card", blocks,
                      ephemeral=True)  # fmt: skip
    payload = to_block_action(message, button, "b1", response_url="http://x/respond/t",
                              channel_name="general")  # fmt: skip
    assert payload["type"] == "block_actions"
    assert payload["user"]["id"]
    assert payload["team"]["id"]
    assert payload["trigger_id"]
    assert payload["channel"] == {"id": GENERAL_CHANNEL, "name": "general"}
    container = {"type": "message", "message_ts": "1700000000.000100",
                 "channel_id": GENERAL_CHANNEL, "is_ephemeral": True}  # fmt: skip
    assert payload["container"] == container
    assert payload["message"]["ts"] == "1700000000.000100"
    assert payload["message"]["blocks"] == blocks
    assert payload["message"]["text"] == "card"
    assert payload["response_url"] == "http://x/respond/t"
    (action,) = payload["actions"]
    assert {k: action[k] for k in ("type", "action_id", "block_id", "value")} == {
        "type": "button", "action_id": "clv_why", "block_id": "b1", "value": "42"}  # fmt: skip
    assert float(action["action_ts"]) > 0
    assert json.loads(dict(parse_qsl(to_action_body(payload)))["payload"]) == payload
