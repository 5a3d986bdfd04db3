"""`/clv export …` through the served bot (signed requests over HTTP) on a copy of the scored
CDNOW store: the CSV arrives in the user's direct message, never in the command's channel."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable

from clv.csvsafe import restore
from clv.exports.csv import HEADER
from tests.bot.fake_slack import FakeSlack
from tests.bot.limits import all_text, assert_within_limits
from tests.bot.served import ServedBot

EXPORTER = "UEXPORT01"
CHANNEL = "C0SALES01"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def ask(bot: ServedBot, text: str, user: str = EXPORTER) -> str:
    reply = bot.command(text, user=user, channel=CHANNEL)
    assert reply.status == 200, reply.body
    message = reply.json()
    assert message["response_type"] == "ephemeral"
    assert_within_limits(message)
    return all_text(message)


def in_channel(fake: FakeSlack, channel: str) -> list[object]:
    with fake.lock:
        return [m for m in fake.workspace.messages if m.channel == channel]


def count(bot: ServedBot, sql: str) -> int:
    with bot.engine.connect() as connection:
        return int(connection.exec_driver_sql(sql).scalar_one())


def test_an_authorised_user_gets_the_whole_list_in_a_direct_message(
    serve: Callable[..., ServedBot], store_copy: str, fake_slack: FakeSlack
) -> None:
    bot = serve(store_copy, slack_export_users=f"U0OTHER, {EXPORTER}")

    ack = ask(bot, "export dormant")

    assert "Preparing your export of the dormant customers (scores as of 1997-09-30" in ack
    assert "it will arrive in a direct message from clvbot" in ack
    (opened,) = fake_slack.wait_for("/api/conversations.open")
    assert opened.body["users"] == EXPORTER
    (done,) = fake_slack.wait_for("/api/files.completeUploadExternal", timeout=30)
    dm = done.body["channel_id"]
    assert dm == "DEXPORT01"  # the direct message conversations.open gave
    (asked,) = fake_slack.named("/api/files.getUploadURLExternal")
    assert asked.body["filename"] == "clv-dormant-1997-09-30.csv"
    dormant = count(bot, "SELECT count(*) FROM customer_scores WHERE dormant")
    assert f"Your export of the {dormant:,} dormant customers" in done.body["initial_comment"]
    (upload,) = fake_slack.named("/upload/")
    cells = list(csv.reader(io.StringIO(upload.raw.decode("utf-8"))))
    assert cells[0] == list(HEADER)
    assert len(cells) == dormant + 1 > 51  # the whole list, not a message's 50
    assert not [c for line in cells for c in line if c.startswith(FORMULA_STARTS)]
    rows = [dict(zip(HEADER, map(restore, line), strict=True)) for line in cells[1:]]
    assert {r["contact_status"] for r in rows} >= {"contact", "held out"}
    # nothing in the channel the command came from: no message, no file, no notice
    assert in_channel(fake_slack, CHANNEL) == []
    assert fake_slack.named("/api/chat.") == []
    # every arm in the file is recorded (by this export, or by a list shown before it)
    recorded = count(bot, "SELECT count(*) FROM outreach_assignments a JOIN customer_scores s "
                          "ON s.customer_id = a.customer_id WHERE s.dormant")  # fmt: skip
    assert recorded == sum(1 for r in rows if r["arm"])
    assert count(bot, "SELECT count(*) FROM outreach_assignments WHERE source = 'export'") > 0


def test_an_unauthorised_user_is_refused_and_gets_nothing(
    serve: Callable[..., ServedBot], store_copy: str, fake_slack: FakeSlack
) -> None:
    bot = serve(store_copy, slack_export_users=EXPORTER)

    refusal = ask(bot, "export dormant", user="U0INTRUDER")
    ask(bot, "export tier platinum")  # the authorised user's export, done after the refusal

    assert "exports are only for the people listed in `SLACK_EXPORT_USERS`" in refusal
    fake_slack.wait_for("/api/files.completeUploadExternal", timeout=30)
    assert [c.body["users"] for c in fake_slack.named("/api/conversations.open")] == [EXPORTER]
    assert len(fake_slack.named("/api/files.getUploadURLExternal")) == 1


def test_empty_export_users_refuses_everyone(
    serve: Callable[..., ServedBot], store_copy: str, fake_slack: FakeSlack
) -> None:
    bot = serve(store_copy)  # SLACK_EXPORT_USERS unset

    for user in (EXPORTER, "U1"):
        assert "Exports from Slack are turned off" in ask(bot, "export dormant", user=user)

    time.sleep(0.5)  # the follow-ups had their chance
    assert fake_slack.named("/api/conversations.open") == []
    assert fake_slack.named("/api/files.") == []


def test_a_mistaken_list_says_what_exists_and_exports_nothing(
    serve: Callable[..., ServedBot], store_copy: str, fake_slack: FakeSlack
) -> None:
    bot = serve(store_copy, slack_export_users=EXPORTER)

    unknown = ask(bot, "export segment whales")
    assert "no segment, tier or stage called 'whales'; segments: Champions" in unknown
    assert "Usage: `/clv export dormant|overdue|segment &lt;name&gt;|tier &lt;name&gt;`" in unknown
    assert "did you mean Gold?" in ask(bot, "export tier gld")
    assert "did you mean dormant?" in ask(bot, "export dormnat")
    assert "export what?" in ask(bot, "export")

    time.sleep(0.5)
    assert fake_slack.named("/api/conversations.open") == []
    assert fake_slack.named("/api/files.") == []


def test_a_failed_upload_is_told_in_the_direct_message(
    serve: Callable[..., ServedBot], store_copy: str, fake_slack: FakeSlack
) -> None:
    bot = serve(store_copy, slack_export_users=EXPORTER)
    fake_slack.faults.fail("files.completeUploadExternal", "missing_scope")

    ask(bot, "export overdue")

    (note,) = fake_slack.wait_for("/api/chat.postMessage", timeout=30)
    assert note.body["channel"] == "DEXPORT01"
    assert "something went wrong on my side" in all_text(note.body)
    assert "error id" in all_text(note.body)
    assert "Traceback" not in all_text(note.body)
    assert in_channel(fake_slack, CHANNEL) == []
