"""The outreach confirmation modal through the served bot and the fake Slack (sandbox Web API),
with a real SMTP server: the click opens it with the exact email, Send sends that email once,
a held-out customer gets no modal but the reason (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import Engine, select

from bot.slack.render.outreach_modal import (
    CALLBACK_ID,
    MAX_METADATA,
    ModalOrigin,
    extract_modal_origin,
    plain_chunks,
    to_private_metadata,
)
from clv.outreach.policy import OutreachRules, outreach_eligibility
from clv.outreach.preview import preview_outreach
from clv.present.blocks import escape
from clv.present.outreach import OUTREACH_ACTION
from clv.settings import Settings
from clv.store.tables import customers_table
from tests.bot.conftest import post_digest
from tests.bot.fake_slack import FakeSlack
from tests.bot.served import ServedBot
from tests.bot.test_outreach_button import (
    at_once,
    click,
    connection_rows,
    outreach_buttons,
    wait_for_updates,
)
from tests.outreach.test_smtp import bodies
from tests.reports.conftest import CHANNEL
from tests.smtp import SmtpServer

Digest = tuple[ServedBot, dict[str, Any]]


def open_modal(bot: ServedBot, message: dict[str, Any], user: str = "U1AAA") -> dict[str, Any]:
    """Click the digest's first Send outreach button; the modal views.open showed."""
    block_id, button = outreach_buttons(message["blocks"])[0]
    assert click(bot, message, block_id, button["value"], user) == 200
    (call,) = bot.fake.wait_for("/api/views.open", timeout=20)
    view = call.body["view"]
    opened = wait_for_view(bot.fake)
    assert opened["blocks"] == (json.loads(view) if isinstance(view, str) else view)["blocks"]
    return opened


def wait_for_view(fake: FakeSlack, timeout: float = 10) -> dict[str, Any]:
    """The last view views.open opened (the call is recorded before it is answered)."""
    deadline = time.monotonic() + timeout
    while not fake.opened_views():
        assert time.monotonic() < deadline, "views.open opened no view"
        time.sleep(0.01)
    return fake.opened_views()[-1]


def shown_email(view: dict[str, Any]) -> tuple[str, str]:
    """(subject, text) as the modal shows them: the plain-text sections after the subject."""
    texts = [b["text"]["text"] for b in view["blocks"]
             if b["type"] == "section" and b["text"]["type"] == "plain_text"]  # fmt: skip
    assert texts[0].startswith("Subject: ")
    return texts[0].removeprefix("Subject: "), "\n".join(texts[1:])


def all_text(view: dict[str, Any]) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


def test_the_modal_shows_the_exact_email_and_send_sends_it(
    digest_bot: Digest, smtp_server: SmtpServer, fake_slack: FakeSlack, engine: Engine
) -> None:
    bot, message = digest_bot
    view = open_modal(bot, message)
    origin = extract_modal_origin({"view": view})
    assert origin is not None
    assert (origin.channel_id, origin.message_ts, origin.ephemeral) == (
        CHANNEL, message["ts"], False
    )  # fmt: skip
    assert view["callback_id"] == CALLBACK_ID
    assert (view["title"]["text"], view["submit"]["text"], view["close"]["text"]) == (
        "Send outreach", "Send", "Cancel"
    )  # fmt: skip
    preview = preview_outreach(engine, bot.settings, origin.customer_id, now=datetime.now(UTC),
                               backend_needs_email=True)  # fmt: skip
    assert preview.email is not None
    assert preview.recipient is not None
    subject, text = shown_email(view)
    assert (subject, text) == (preview.email.subject, preview.email.text.rstrip("\n"))
    # the digest is in a channel: the customer is masked above the email
    above = all_text(view).split("Subject: ")[0]
    assert f"{preview.recipient.name}" not in above
    assert f"{preview.recipient.email}" not in above
    assert "B••• N•••" in above
    assert f"*Why them* {escape(preview.reason)}" in above  # "P(alive) 0.15 &lt; 0.30"
    assert smtp_server.messages == []  # nothing is sent before Send

    assert bot.submit(view, user="U1AAA").status == 200

    (update,) = wait_for_updates(fake_slack, 1)
    [email] = smtp_server.messages
    sent_text, _ = bodies(email)
    assert (email["Subject"], sent_text.rstrip("\n")) == (subject, text)
    assert "Outreach sent by <@U1AAA>" in json.dumps(update["blocks"])
    assert [r["status"] for r in connection_rows(engine)] == ["sent"]


def test_a_double_submit_sends_one_email_and_records_one_sent(
    digest_bot: Digest, smtp_server: SmtpServer, fake_slack: FakeSlack, engine: Engine
) -> None:
    bot, message = digest_bot
    view = open_modal(bot, message)

    assert at_once(lambda: bot.submit(view).status, lambda: bot.submit(view).status) == [200, 200]

    updates = wait_for_updates(fake_slack, 2)
    time.sleep(0.3)
    assert len(smtp_server.messages) == 1
    assert sorted(r["status"] for r in connection_rows(engine)) == ["refused", "sent"]
    for update in updates:  # both say who sent it; the second adds no message
        assert "Outreach sent by <@U1>" in json.dumps(update["blocks"])


def test_a_held_out_customer_gets_no_modal_but_the_reason(
    engine: Engine, settings: Settings, tmp_path: Path, fake_slack: FakeSlack,
    smtp_server: SmtpServer, serve: Callable[..., ServedBot],
) -> None:  # fmt: skip
    bot, message = post_digest(engine, settings, tmp_path, fake_slack, smtp_server, serve,
                               outreach_holdout_share=0.5)  # fmt: skip
    listed = [int(b["block_id"].split(":")[1]) for b in message["blocks"]
              if str(b.get("block_id", "")).startswith("outreach:")]  # fmt: skip
    with engine.begin() as connection:
        verdicts = outreach_eligibility(connection, customer_ids=listed,
                                        rules=OutreachRules.of(bot.settings),
                                        now=datetime.now(UTC))  # fmt: skip
    held = next(i for i in listed if verdicts[i].held_out)
    forged = json.dumps({"customer": held, "source": "digest:forged"})

    assert click(bot, message, f"outreach:{held}", forged, "U1AAA") == 200

    (update,) = wait_for_updates(fake_slack, 1)
    assert ":test_tube: Not sent: held out" in json.dumps(update["blocks"])
    assert fake_slack.named("/api/views.open") == []
    assert smtp_server.messages == []
    assert connection_rows(engine) == []


def test_an_ephemeral_card_shows_the_customer_and_answers_through_its_response_url(
    digest_bot: Digest, smtp_server: SmtpServer, fake_slack: FakeSlack, engine: Engine
) -> None:
    bot, message = digest_bot
    customer = json.loads(outreach_buttons(message["blocks"])[0][1]["value"])["customer"]
    with engine.connect() as connection:
        key = connection.execute(
            select(customers_table.c.external_id).where(customers_table.c.id == customer)
        ).scalar_one()
    card = bot.command(key).json()  # the /clv card, only visible to who asked, with a button
    [(block_id, button)] = outreach_buttons(card["blocks"])

    assert click_on_card(bot, card, block_id, button["value"]) == 200

    fake_slack.wait_for("/api/views.open", timeout=20)
    view = wait_for_view(fake_slack)
    assert f"Buyer Number{key}" in all_text(view)  # only the clicker sees it: not masked
    assert "•••" not in all_text(view)

    assert bot.submit(view).status == 200

    (answer,) = fake_slack.wait_for("/respond/card", timeout=20)
    assert "Outreach sent by <@U1>" in json.dumps(answer.body["blocks"])
    assert answer.body["replace_original"] is False  # its own message: the card stays
    assert len(smtp_server.messages) == 1
    assert fake_slack.named("/api/chat.update") == []


def click_on_card(bot: ServedBot, card: dict[str, Any], block_id: str, value: str) -> int:
    """A click on the ephemeral card's Send outreach button, with the response URL "card"."""
    payload = {
        "type": "block_actions",
        "user": {"id": "U1", "username": "u1", "team_id": "T1"},
        "api_app_id": "A1",
        "team": {"id": "T1", "domain": "shop"},
        "channel": {"id": "C1", "name": "sales"},
        "container": {"type": "message", "message_ts": "1719824400.000900", "channel_id": "C1",
                      "is_ephemeral": True},
        "message": {"type": "message", "ts": "1719824400.000900", "text": card["text"],
                    "blocks": card["blocks"]},
        "response_url": bot.fake.response_url("card"),
        "trigger_id": bot.fake.trigger_id(),
        "actions": [{"type": "button", "action_id": OUTREACH_ACTION, "block_id": block_id,
                     "value": value, "action_ts": "1.2"}],
    }  # fmt: skip
    return bot.post(urlencode({"payload": json.dumps(payload)})).status


def test_a_forged_submission_for_an_opted_out_customer_sends_nothing(
    digest_bot: Digest, smtp_server: SmtpServer, fake_slack: FakeSlack, engine: Engine
) -> None:
    bot, message = digest_bot
    view = open_modal(bot, message)
    origin = extract_modal_origin({"view": view})
    assert origin is not None
    forged = {**view, "private_metadata": to_private_metadata(replace(origin, customer_id=1))}

    assert bot.submit(forged).status == 200  # customer 1 opted out

    (update,) = wait_for_updates(fake_slack, 1)
    assert ":no_entry: Not sent: opted out of marketing" in json.dumps(update["blocks"])
    assert smtp_server.messages == []
    assert [r["status"] for r in connection_rows(engine)] == ["refused"]


def test_only_outreach_users_may_send_from_the_modal(
    digest_bot: Digest, smtp_server: SmtpServer, fake_slack: FakeSlack, engine: Engine,
    serve: Callable[..., ServedBot], settings: Settings,
) -> None:  # fmt: skip
    bot, message = digest_bot
    view = open_modal(bot, message)
    strict = serve(settings.database_url, slack_outreach_users="U9BOSS")

    assert strict.submit(view, user="U1AAA").status == 200

    (refusal,) = fake_slack.wait_for("/respond/outreach", timeout=20)
    assert "SLACK_OUTREACH_USERS" in refusal.body["text"]
    time.sleep(0.3)
    assert smtp_server.messages == []
    assert connection_rows(engine) == []


def test_a_modal_that_cannot_open_in_time_says_so(
    digest_bot: Digest, fake_slack: FakeSlack
) -> None:
    bot, message = digest_bot
    block_id, button = outreach_buttons(message["blocks"])[0]
    payload_trigger = fake_slack.trigger_id()
    with fake_slack.lock:  # issued long ago: Slack's three seconds are over
        fake_slack.workspace.triggers[payload_trigger] -= 60
    stale = message_click(bot, message, block_id, button["value"], payload_trigger)

    assert stale == 200

    (notice,) = fake_slack.wait_for("/respond/outreach", timeout=20)
    assert "took too long to open" in notice.body["text"]
    assert fake_slack.opened_views() == []


def message_click(
    bot: ServedBot, message: dict[str, Any], block_id: str, value: str, trigger: str
) -> int:
    payload = {
        "type": "block_actions", "user": {"id": "U1", "username": "u1", "team_id": "T1"},
        "team": {"id": "T1", "domain": "shop"}, "channel": {"id": CHANNEL},
        "container": {"type": "message", "message_ts": message["ts"], "channel_id": CHANNEL,
                      "is_ephemeral": False},
        "message": {"type": "message", "ts": message["ts"], "text": message["text"],
                    "blocks": message["blocks"]},
        "response_url": bot.fake.response_url("outreach"), "trigger_id": trigger,
        "actions": [{"type": "button", "action_id": OUTREACH_ACTION, "block_id": block_id,
                     "value": value, "action_ts": "1.2"}],
    }  # fmt: skip
    return bot.post(urlencode({"payload": json.dumps(payload)})).status


# --- the modal's pure parts ----------------------------------------------------------------
def test_the_private_metadata_round_trips_within_slacks_limit() -> None:
    origin = ModalOrigin(2**63 - 1, "s" * 120, "C1", "1.2", False, "https://hooks/x" + "y" * 90)

    text = to_private_metadata(origin)

    assert len(text) <= MAX_METADATA
    assert extract_modal_origin({"view": {"private_metadata": text}}) == origin
    huge = replace(origin, response_url="https://hooks/" + "z" * 4000)
    assert len(to_private_metadata(huge)) <= MAX_METADATA  # the URL goes, the rest stays
    assert extract_modal_origin({"view": {"private_metadata": to_private_metadata(huge)}}) == (
        replace(origin, response_url=None)
    )


@pytest.mark.parametrize(
    "metadata",
    ["", "not json", "[1]", '{"customer_id": "7"}', '{"customer_id": true}',
     '{"customer_id": 0}', '{"customer_id": 9223372036854775808}'],
)  # fmt: skip
def test_a_submission_without_our_metadata_is_not_ours(metadata: str) -> None:
    assert extract_modal_origin({"view": {"private_metadata": metadata}}) is None
    assert extract_modal_origin({"view": None}) is None


def test_a_long_email_is_split_in_sections_of_whole_lines_under_3000() -> None:
    text = "\n".join(f"line {i} " + "x" * (i % 97) for i in range(400))

    chunks = plain_chunks(text)

    assert len(chunks) > 1
    assert all(0 < len(c) <= 3000 for c in chunks)
    assert "\n".join(chunks) == text


def test_a_submission_passes_the_channel_allow_list_of_its_button(
    engine: Engine, settings: Settings, tmp_path: Path, fake_slack: FakeSlack,
    smtp_server: SmtpServer, serve: Callable[..., ServedBot],
) -> None:  # fmt: skip
    """A view_submission carries no channel: the allow-list reads the one its button was in,
    from the modal's private_metadata."""
    bot, message = post_digest(engine, settings, tmp_path, fake_slack, smtp_server, serve,
                               slack_allowed_channels=CHANNEL)  # fmt: skip
    view = open_modal(bot, message)
    assert bot.submit(view, user="U1AAA").status == 200
    wait_for_updates(fake_slack, 1)
    assert len(smtp_server.messages) == 1
    elsewhere = {**view, "private_metadata": json.dumps(
        {**json.loads(view["private_metadata"]), "channel_id": "C0OTHER"})}  # fmt: skip
    bot.submit(elsewhere, user="U1AAA")
    time.sleep(0.3)
    assert len(smtp_server.messages) == 1  # refused by the allow-list: nothing more sent
