"""Every Web API method clvbot calls waits out a 429 as Slack's `Retry-After` says, a bounded
number of times, with a log line naming the method: the bot's client (answers, buttons,
modals, the App Home, unfurls, exports), the scheduler's (digest, alerts, home refresh) and the
Socket Mode client's (the bolt app's own client). The fake Web API (the sandbox) injects the
429s (https://docs.slack.dev/apis/web-api/rate-limits)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.client import build_client
from clv.settings import Settings
from reports.digest.publish import digest_client
from reports.slack_retry import MAX_RATE_LIMIT_RETRIES
from tests.bot.fake_slack import FakeSlack
from tests.bot.served import bot_settings

# every method the bot and the scheduler call that changes something in Slack, or reads it
WRITES = (
    "chat.postMessage", "chat.postEphemeral", "chat.update", "chat.unfurl", "views.open",
    "views.publish", "views.update", "files.getUploadURLExternal",
    "files.completeUploadExternal", "conversations.open", "conversations.history",
)  # fmt: skip
CLIENTS: dict[str, Callable[[Settings], WebClient]] = {
    "bot": build_client, "scheduler": digest_client,
}  # fmt: skip


def call(client: WebClient, method: str) -> None:
    """The method with arguments of the right shape; a refusal of the arguments is fine here:
    what is tested is what happens before it."""
    with contextlib.suppress(SlackApiError):
        client.api_call(method, json={"channel": "C0RATE", "text": "x", "user_id": "U1"})


@pytest.mark.parametrize("method", WRITES)
def test_the_bot_client_waits_out_a_429_on(
    method: str, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    fake_slack.faults.rate_limit(method, times=1, retry_after=0)
    client = build_client(bot_settings("sqlite://", fake_slack))
    call(client, method)
    assert len(fake_slack.named(f"/api/{method}")) == 2  # the 429, then the call carried out
    assert f"Slack rate-limited {method}: retrying in 0 s (retry 1 of 2)" in caplog.text


@pytest.mark.parametrize("kind", CLIENTS)
def test_retries_are_bounded_and_each_logged(
    kind: str, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    fake_slack.faults.rate_limit("chat.postMessage", times=5, retry_after=0)
    client = CLIENTS[kind](bot_settings("sqlite://", fake_slack))
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C0RATE", text="x")
    assert raised.value.response.status_code == 429
    assert len(fake_slack.named("/api/chat.postMessage")) == 1 + MAX_RATE_LIMIT_RETRIES
    for retry in range(1, MAX_RATE_LIMIT_RETRIES + 1):
        assert f"retrying in 0 s (retry {retry} of {MAX_RATE_LIMIT_RETRIES})" in caplog.text
    assert "xoxb-" not in caplog.text  # the token is never in a log line
