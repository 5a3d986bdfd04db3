"""What the bot does when Slack's Web API misbehaves (faults injected by the sandbox): a rate
limit or a passing server error is retried by slack_sdk's retry handlers; a lasting error or a
timeout gets the user an apology with an error id that is in the log, never a traceback."""

from __future__ import annotations

import logging
import re
import time
from typing import Literal

import pytest

from tests.bot.fake_slack import FakeSlack
from tests.bot.limits import all_text
from tests.bot.served import BotUnderTest

SHARED = "Shared in <#C77>"


def share(bot: BotUnderTest) -> None:
    assert bot.click("clv_share", "1", channel="C77", tag="share").status == 200


def apology_id(fake: FakeSlack, timeout: float = 15) -> str:
    """The error id in the apology the Share click got, which says nothing else."""
    (note,) = fake.wait_for("/respond/share", timeout=timeout)
    text = all_text(note.body)
    assert "Sorry, something went wrong" in text
    assert "Traceback" not in text
    assert "Slack" not in text  # the cause is for the log
    found = re.search(r"error id: `([0-9a-f]{10})`", text)
    assert found, text
    return found.group(1)


def test_a_rate_limit_is_waited_out_as_retry_after_says(
    bot: BotUnderTest, fake_slack: FakeSlack
) -> None:
    fake_slack.faults.rate_limit("chat.postMessage", times=2, retry_after=1)
    share(bot)
    first, second, third = fake_slack.wait_for("/api/chat.postMessage", count=3, timeout=15)
    assert second.at - first.at >= 1.0
    assert third.at - second.at >= 1.0
    (note,) = fake_slack.wait_for("/respond/share", timeout=15)
    assert SHARED in all_text(note.body)
    assert len(fake_slack.channel_posts("C77")) == 1


@pytest.mark.parametrize("status", [500, 503])
def test_a_passing_server_error_is_retried_and_the_card_posted_once(
    bot: BotUnderTest, fake_slack: FakeSlack, status: Literal[500, 503]
) -> None:
    fake_slack.faults.server_error("chat.postMessage", status=status)
    share(bot)
    (note,) = fake_slack.wait_for("/respond/share", timeout=15)
    assert SHARED in all_text(note.body)
    assert len(fake_slack.named("/api/chat.postMessage")) == 2
    assert len(fake_slack.channel_posts("C77")) == 1


def test_a_lasting_server_error_gets_an_apology_and_a_log_line(
    bot: BotUnderTest, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    fake_slack.faults.server_error("chat.postMessage", times=3)  # the client retries twice
    share(bot)
    error_id = apology_id(fake_slack)
    assert len(fake_slack.named("/api/chat.postMessage")) == 3
    assert fake_slack.channel_posts("C77") == []
    assert f"error {error_id} while sharing a card" in caplog.text
    assert "internal_error" in caplog.text  # Slack's answer is in the log


def test_slack_refusing_the_post_is_explained_not_apologised_for(
    bot: BotUnderTest, fake_slack: FakeSlack
) -> None:
    fake_slack.faults.fail("chat.postMessage", "not_in_channel")
    share(bot)
    (note,) = fake_slack.wait_for("/respond/share")
    assert "invite me (`/invite @clvbot`)" in all_text(note.body)
    assert len(fake_slack.named("/api/chat.postMessage")) == 1  # a refusal is not retried


def test_a_web_api_call_that_outlasts_the_client_timeout_gets_an_apology(
    bot: BotUnderTest, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    # the bot's WebClient gives up after 10 s (bot/slack/client.py); Slack answers after 11
    caplog.set_level(logging.INFO)
    fake_slack.faults.delay("chat.postMessage", 11)
    started = time.monotonic()
    share(bot)
    error_id = apology_id(fake_slack, timeout=20)
    assert 9.5 < time.monotonic() - started < 11
    assert len(fake_slack.named("/api/chat.postMessage")) == 1  # a timeout is not retried
    assert f"error {error_id} while sharing a card" in caplog.text
    assert "TimeoutError" in caplog.text
