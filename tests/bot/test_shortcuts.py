"""The shortcuts (issue 17): "CLV of this customer" on a message answers its user with the card
of the customer the message names; "Look up a customer" (and the App Home's button) opens the
look-up modal. Signed interaction payloads as Slack sends them
(https://api.slack.com/reference/interaction-payloads/shortcuts), SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import Engine

from bot.sandbox.modals import modal_problem
from bot.slack.listeners.lookup import GLOBAL_SHORTCUT, MESSAGE_SHORTCUT
from bot.slack.render.customer import ACTION_SHARE, ACTION_WHY
from bot.slack.render.lookup_modal import CALLBACK_ID, INPUT_BLOCK
from clv.settings import Settings
from reports.home import OPEN_LOOKUP
from tests.bot.fake_slack import FakeSlack
from tests.bot.limits import all_text, assert_within_limits
from tests.bot.served import Reply, ServedBot, SlackSender
from tests.bot.test_outreach_modal import wait_for_view
from tests.reports.conftest import build_small_shop

PATTERNS = "https://admin.shopify.com/store/*/customers/{id} https://crm.example.com/c/{email}"


def message_action(
    text: str, response_url: str, *, user: str = "U1", channel: str = "C1"
) -> dict[str, Any]:
    """A message shortcut's payload, field for field as Slack sends it."""
    return {
        "type": "message_action", "token": "legacy-unused", "action_ts": "1700000001.000200",
        "team": {"id": "T1", "domain": "shop"},
        "user": {"id": user, "username": "jane", "name": "jane", "team_id": "T1"},
        "channel": {"id": channel, "name": "sales"}, "is_enterprise_install": False,
        "enterprise": None, "callback_id": MESSAGE_SHORTCUT, "trigger_id": "1.2.3",
        "response_url": response_url, "message_ts": "1700000000.000100",
        "message": {"type": "message", "user": "U2", "ts": "1700000000.000100", "text": text},
    }  # fmt: skip


def shortcut(bot: SlackSender, text: str, *, user: str = "U1", tag: str = "sc") -> Reply:
    payload = message_action(text, bot.fake.response_url(tag), user=user)
    return bot.post(urlencode({"payload": json.dumps(payload)}))


def answer(fake: FakeSlack, tag: str = "sc") -> dict[str, Any]:
    (call,) = fake.wait_for(f"/respond/{tag}")
    assert call.body["response_type"] == "ephemeral"  # only the shortcut's user sees it
    assert call.body.get("replace_original") is False
    assert_within_limits(call.body)
    return call.body


def action_ids(message: dict[str, Any]) -> list[str]:
    return [e["action_id"] for b in message["blocks"] if b["type"] == "actions"
            for e in b["elements"]]  # fmt: skip


@pytest.fixture
def scored_bot(serve: Callable[..., ServedBot], scored_sqlite: Path) -> ServedBot:
    """The bot on the scored CDNOW store (customer 1 is Jane Doe) with UNFURL_PATTERNS."""
    return serve(f"sqlite:///{scored_sqlite}", unfurl_patterns=PATTERNS)


def test_an_email_in_a_message_gets_its_user_the_card_as_clv_answers(
    engine: Engine,
    settings: Settings,
    tmp_path: Path,
    serve: Callable[..., ServedBot],
    fake_slack: FakeSlack,
) -> None:
    build_small_shop(engine, settings, tmp_path)
    bot = serve(settings.database_url, unfurl_patterns=PATTERNS)
    reply = shortcut(bot, "Can someone check <mailto:BUYER7@example.com|BUYER7@example.com>? "
                          "Also 12 and 13 wrote.")  # fmt: skip
    assert (reply.status, reply.body) == (200, "")
    card = answer(fake_slack)
    text = all_text(card)
    assert "Buyer Number7" in text
    assert "buyer7@example.com" in text
    assert "Predicted CLV" in text
    assert ACTION_WHY in action_ids(card)
    assert ACTION_SHARE in action_ids(card)
    assert "The message also names `12`, `13`" in text


def test_a_customer_link_in_a_message_names_its_customer_before_any_word(
    scored_bot: ServedBot, fake_slack: FakeSlack
) -> None:
    shortcut(scored_bot, "3 orders from <https://admin.shopify.com/store/z/customers/1|her page>")
    text = all_text(answer(fake_slack))
    assert "Jane Doe" in text
    assert "The message also names `3`" in text


def test_a_customer_id_among_the_words_is_found(
    scored_bot: ServedBot, fake_slack: FakeSlack
) -> None:
    shortcut(scored_bot, "<@U2> customer *#1*, asked for a refund")
    assert "Jane Doe" in all_text(answer(fake_slack))


def test_a_message_naming_nobody_gets_a_short_note(
    scored_bot: ServedBot, fake_slack: FakeSlack
) -> None:
    shortcut(scored_bot, "thanks all, see <https://example.com/x|this> &amp; <#C1|general>")
    note = answer(fake_slack)
    assert "I found no customer to show" in all_text(note)
    assert "`/clv <customer id or email>`" in all_text(note).replace("&lt;", "<").replace(
        "&gt;", ">"
    )
    assert action_ids(note) == []


def test_a_user_who_may_not_use_the_bot_gets_no_card(
    serve: Callable[..., ServedBot], scored_sqlite: Path, fake_slack: FakeSlack
) -> None:
    bot = serve(f"sqlite:///{scored_sqlite}", slack_allowed_users="U1")
    reply = shortcut(bot, "jane.doe@example.com", user="U2", tag="refused")
    assert "Jane" not in reply.body
    (note,) = fake_slack.wait_for("/respond/refused")
    assert "not enabled for you here" in all_text(note.body)
    assert "Jane" not in all_text(note.body)


def test_the_global_shortcut_opens_the_look_up_modal(
    scored_bot: ServedBot, fake_slack: FakeSlack
) -> None:
    payload = {
        "type": "shortcut", "token": "legacy-unused", "action_ts": "1700000001.000200",
        "team": {"id": "T1", "domain": "shop"},
        "user": {"id": "U1", "username": "jane", "team_id": "T1"},
        "is_enterprise_install": False, "enterprise": None,
        "callback_id": GLOBAL_SHORTCUT, "trigger_id": fake_slack.trigger_id(),
    }  # fmt: skip
    reply = scored_bot.post(urlencode({"payload": json.dumps(payload)}))
    assert (reply.status, reply.body) == (200, "")
    (call,) = fake_slack.wait_for("/api/views.open")
    assert call.body["trigger_id"] == payload["trigger_id"]
    assert_look_up_modal_opened(fake_slack)


def test_the_app_home_button_opens_the_same_modal(
    scored_bot: ServedBot, fake_slack: FakeSlack
) -> None:
    payload = {
        "type": "block_actions", "user": {"id": "U1", "username": "jane", "team_id": "T1"},
        "api_app_id": "A1", "token": "legacy-unused", "team": {"id": "T1", "domain": "shop"},
        "container": {"type": "view", "view_id": "VHOME1"}, "trigger_id": fake_slack.trigger_id(),
        "view": {"id": "VHOME1", "type": "home", "blocks": []},
        "actions": [{"type": "button", "action_id": OPEN_LOOKUP, "block_id": "home_buttons",
                     "action_ts": "1700000001.000200"}],
    }  # fmt: skip
    assert scored_bot.post(urlencode({"payload": json.dumps(payload)})).status == 200
    fake_slack.wait_for("/api/views.open")
    assert_look_up_modal_opened(fake_slack)


def assert_look_up_modal_opened(fake: FakeSlack) -> None:
    """views.open (the sandbox checks the view as Slack would) opened the empty look-up modal."""
    view = wait_for_view(fake)
    assert view["callback_id"] == CALLBACK_ID
    assert modal_problem(view) is None
    (block,) = view["blocks"]
    assert (block["type"], block["block_id"]) == ("input", INPUT_BLOCK)
