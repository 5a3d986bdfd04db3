"""What the bot does when Slack's Web API misbehaves (faults injected by the sandbox): a rate
limit is waited out; a server error on a read is retried, on a post never (it may have been
carried out); an error or a timeout gets the user an apology with an error id that is in the
log, never a traceback."""

from __future__ import annotations

import logging
import re
import time
from typing import Literal

import pytest
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.sandbox.faults import RESPONSE_URL
from bot.slack.client import ReadServerErrorRetryHandler
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
    bot: BotUnderTest, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    fake_slack.faults.rate_limit("chat.postMessage", times=2, retry_after=1)
    share(bot)
    first, second, third = fake_slack.wait_for("/api/chat.postMessage", count=3, timeout=15)
    assert second.at - first.at >= 1.0
    assert third.at - second.at >= 1.0
    (note,) = fake_slack.wait_for("/respond/share", timeout=15)
    assert SHARED in all_text(note.body)
    assert len(fake_slack.channel_posts("C77")) == 1
    for retry in (1, 2):  # each wait is logged, with the method
        assert f"Slack rate-limited chat.postMessage: retrying in 1 s (retry {retry} of 2)" in (
            caplog.text
        )


@pytest.mark.parametrize("status", [500, 503])
def test_a_post_answered_with_a_server_error_is_not_repeated_blind(
    bot: BotUnderTest,
    fake_slack: FakeSlack,
    caplog: pytest.LogCaptureFixture,
    status: Literal[500, 503],
) -> None:
    """The answer was lost but the card was posted: repeating the call would post it twice."""
    caplog.set_level(logging.INFO)
    fake_slack.faults.server_error("chat.postMessage", status=status, carried_out=True)
    share(bot)
    error_id = apology_id(fake_slack)
    assert len(fake_slack.named("/api/chat.postMessage")) == 1
    assert len(fake_slack.channel_posts("C77")) == 1  # once, as Slack carried it out
    assert f"error {error_id} while sharing a card" in caplog.text
    assert (
        "internal_error" in caplog.text
        or "service_unavailable" in caplog.text
        or str(status) in caplog.text
    )


@pytest.mark.parametrize(
    ("url", "read"),
    [
        ("https://slack.com/api/conversations.history", True),
        ("https://slack.com/api/auth.test", True),
        ("http://127.0.0.1:5/api/users.info?user=U1", True),
        ("https://slack.com/api/chat.postMessage", False),
        ("https://slack.com/api/chat.update", False),
        ("https://slack.com/api/files.completeUploadExternal", False),
    ],
)
def test_only_reads_are_retried_on_a_server_error(url: str, read: bool) -> None:
    handler = ReadServerErrorRetryHandler(max_retry_count=2)
    request = HttpRequest(method="POST", url=url, headers={})
    answer = HttpResponse(status_code=503, headers={}, body={"ok": False})
    assert handler.can_retry(state=RetryState(), request=request, response=answer) is read


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


def test_a_rate_limited_response_url_is_waited_out_and_the_answer_arrives(
    bot: BotUnderTest, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    fake_slack.faults.rate_limit(RESPONSE_URL, times=1, retry_after=1)
    share(bot)
    first, second = fake_slack.wait_for("/respond/share", count=2, timeout=15)
    assert second.at - first.at >= 1.0
    assert SHARED in all_text(second.body)
    assert "Slack rate-limited response_url: retrying in 1 s (retry 1 of 2)" in caplog.text
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("clvbot")]
    assert not any("/respond/" in line for line in ours)  # a response URL is a credential


def test_a_response_url_that_fails_is_logged_without_the_url(
    bot: BotUnderTest, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    fake_slack.faults.server_error(RESPONSE_URL, status=503)
    share(bot)
    fake_slack.wait_for("/respond/share")
    deadline = time.monotonic() + 5
    while "a response_url answered 503" not in caplog.text and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "a response_url answered 503" in caplog.text
    assert "/respond/" not in caplog.text  # the URL is a credential
    assert len(fake_slack.named("/respond/share")) == 1  # a 5xx is not repeated
