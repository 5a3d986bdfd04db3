"""The digest's "Send outreach" button, clicked through the served bot: a click opens the
confirmation modal, Send sends; one email whatever the clicks and submissions, and the button
replaced by who sent it (SQLite and PostgreSQL, real SMTP). The modal itself:
tests/bot/test_outreach_modal.py."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Engine, select
from sqlmodel import Session

from clv.present.outreach import OUTREACH_ACTION
from clv.settings import Settings
from clv.store.tables import outreach_table
from reports.digest.data import build_digest
from reports.digest.render import render_blocks
from tests.bot.fake_slack import FakeSlack
from tests.bot.served import BotUnderTest, ServedBot
from tests.reports.conftest import CHANNEL, MONDAY_9AM
from tests.smtp import SmtpServer


def outreach_buttons(blocks: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for block in blocks:
        for element in [block.get("accessory"), *block.get("elements", [])]:
            if isinstance(element, dict) and element.get("action_id") == OUTREACH_ACTION:
                found.append((block["block_id"], element))
    return found


def click(bot: BotUnderTest, message: dict[str, Any], block_id: str, value: str, user: str) -> int:
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "team_id": "T1"},
        "api_app_id": "A1",
        "team": {"id": "T1", "domain": "shop"},
        "channel": {"id": CHANNEL, "name": "clv-digest"},
        "container": {"type": "message", "message_ts": message["ts"], "channel_id": CHANNEL,
                      "is_ephemeral": False},
        "message": {"type": "message", "ts": message["ts"], "text": message["text"],
                    "blocks": json.loads(message["blocks"]) if isinstance(message["blocks"], str)
                    else message["blocks"]},
        "response_url": bot.fake.response_url("outreach"),
        "trigger_id": bot.fake.trigger_id(),
        "actions": [{"type": "button", "action_id": OUTREACH_ACTION, "block_id": block_id,
                     "value": value, "action_ts": "1.2"}],
    }  # fmt: skip
    return bot.post(urlencode({"payload": json.dumps(payload)})).status


def wait_for_updates(fake: FakeSlack, count: int) -> list[dict[str, Any]]:
    return [c.body for c in fake.wait_for("/api/chat.update", count, timeout=20)]


def at_once(*requests: Callable[[], int]) -> list[int]:
    """The statuses of `requests`, sent from threads at (nearly) the same moment."""
    statuses: list[int] = []
    threads = [threading.Thread(target=lambda r=r: statuses.append(r())) for r in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def test_double_click_and_double_submit_in_the_digest_send_one_email(
    digest_bot: tuple[ServedBot, dict[str, Any]], smtp_server: SmtpServer, fake_slack: FakeSlack,
    engine: Engine,
) -> None:  # fmt: skip
    bot, message = digest_bot
    buttons = outreach_buttons(message["blocks"])
    assert buttons, "the digest lists dormant customers with buttons"
    block_id, button = buttons[0]
    # a double click by one person, then a second person: each click opens a modal, none sends
    clicks = [lambda u=u: click(bot, message, block_id, button["value"], u)
              for u in ("U1AAA", "U1AAA", "U2BBB")]  # fmt: skip
    assert at_once(*clicks) == [200, 200, 200]
    fake_slack.wait_for("/api/views.open", 3, timeout=20)
    deadline = time.monotonic() + 10  # the calls are recorded before they are answered
    while len(fake_slack.opened_views()) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert smtp_server.messages == []
    assert connection_rows(engine) == []
    first, _, second = fake_slack.opened_views()
    # Send twice in one modal (a double submit) and once in the other, at the same moment
    submits = [lambda v=v, u=u: bot.submit(v, user=u).status
               for v, u in ((first, "U1AAA"), (first, "U1AAA"), (second, "U2BBB"))]  # fmt: skip
    assert at_once(*submits) == [200, 200, 200]
    updates = wait_for_updates(fake_slack, 3)
    time.sleep(0.3)
    assert len(smtp_server.messages) == 1
    with engine.connect() as connection:
        audit = connection.execute(select(outreach_table.c.status)).scalars().all()
    assert sorted(audit) == ["refused", "refused", "sent"]
    sender = next(r for r in connection_rows(engine) if r["status"] == "sent")["requested_by"]
    for update in updates:
        blocks = (
            json.loads(update["blocks"]) if isinstance(update["blocks"], str) else update["blocks"]
        )
        text = json.dumps(blocks)
        assert f"Outreach sent by <@{sender}>" in text
        assert block_id not in {b for b, _ in outreach_buttons(blocks)}
        assert len(outreach_buttons(blocks)) == len(buttons) - 1  # the others are untouched
    # next week's digest lists the customer without a button, in the cooldown, and says who
    with Session(engine) as session:
        later = build_digest(session, bot.settings, week_end=None, now=MONDAY_9AM)
    again = render_blocks(later, channel=CHANNEL)["blocks"]
    (row,) = [b for b in again if b.get("block_id") == block_id]
    assert "accessory" not in row
    assert f"contacted by <@{sender}>" in row["text"]["text"]


def connection_rows(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        return [dict(r._mapping) for r in connection.execute(select(outreach_table))]


def test_an_opted_out_customer_gets_no_email_even_from_a_forged_click(
    digest_bot: tuple[ServedBot, dict[str, Any]], smtp_server: SmtpServer, fake_slack: FakeSlack
) -> None:
    bot, message = digest_bot
    forged = json.dumps({"customer": 1, "source": "forged"})  # customer 1 opted out
    assert click(bot, message, "outreach:1", forged, "U1AAA") == 200
    (update,) = wait_for_updates(fake_slack, 1)
    time.sleep(0.3)
    assert smtp_server.messages == []
    assert "Not sent" in json.dumps(update["blocks"])


def test_only_outreach_users_may_click(
    digest_bot: tuple[ServedBot, dict[str, Any]], smtp_server: SmtpServer, fake_slack: FakeSlack,
    serve: Callable[..., ServedBot], settings: Settings,
) -> None:  # fmt: skip
    _, message = digest_bot
    strict = serve(settings.database_url, slack_outreach_users="U9BOSS")
    block_id, button = outreach_buttons(message["blocks"])[0]
    assert click(strict, message, block_id, button["value"], "U1AAA") == 200
    refusal = fake_slack.wait_for("/respond/outreach")[0].body
    assert "SLACK_OUTREACH_USERS" in refusal["text"]
    time.sleep(0.3)
    assert smtp_server.messages == []
    assert fake_slack.named("/api/chat.update") == []
