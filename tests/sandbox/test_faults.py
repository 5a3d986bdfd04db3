"""The sandbox's fault injection and call log, seen through slack_sdk's own clients."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot.sandbox import GENERAL_CHANNEL, SandboxConfig, ServerThread, Workspace, bind
from bot.sandbox import build_sandbox as build
from bot.sandbox.faults import RESPONSE_URL, Faults
from bot.sandbox.recorder import Recorder

TOKEN = "xoxb-faults-test-token"


class Box:
    def __init__(self) -> None:
        self.workspace = Workspace()
        self.faults = Faults()
        self.recorder = Recorder()
        config = SandboxConfig(bot_events_url="http://127.0.0.1:9/slack/events",
                               signing_secret="unused", bot_token=TOKEN, faults=self.faults,
                               recorder=self.recorder)  # fmt: skip
        self.server = ServerThread(build(config, self.workspace), bind(0), "sandbox").start()

    def client(self, token: str = TOKEN, *, timeout: int = 30) -> WebClient:
        # no retry handlers: these tests look at the raw answers
        return WebClient(token=token, base_url=f"{self.server.url}/api/", timeout=timeout,
                         retry_handlers=[])  # fmt: skip

    def posted(self) -> list[str]:
        return [m.text for m in self.workspace.history(GENERAL_CHANNEL)]


@pytest.fixture
def box() -> Iterator[Box]:
    started = Box()
    yield started
    started.server.stop()


def post(box: Box, text: str = "hello") -> None:
    box.client().chat_postMessage(channel=GENERAL_CHANNEL, text=text)


def test_a_rate_limit_is_a_429_with_retry_after_and_is_not_carried_out(box: Box) -> None:
    box.faults.rate_limit("chat.postMessage", times=2, retry_after=7)
    for _ in range(2):
        with pytest.raises(SlackApiError) as limited:
            post(box)
        assert limited.value.response.status_code == 429
        assert limited.value.response.headers["Retry-After"] == "7"
        assert limited.value.response["error"] == "ratelimited"
    assert box.posted() == []
    post(box)  # the third call is answered as usual
    assert box.posted() == ["hello"]
    assert box.faults.pending("chat.postMessage") == 0


def test_a_server_error_is_or_is_not_carried_out(box: Box) -> None:
    box.faults.server_error("chat.postMessage", status=503)
    box.faults.server_error("chat.postMessage", carried_out=True)
    with pytest.raises(SlackApiError) as lost:
        post(box, "not posted")
    assert (lost.value.response.status_code, lost.value.response["error"]) == (
        503,
        "service_unavailable",
    )
    with pytest.raises(SlackApiError) as answer_lost:
        post(box, "posted, answer lost")
    assert answer_lost.value.response.status_code == 500
    assert box.posted() == ["posted, answer lost"]


def test_a_refusal_is_a_200_with_ok_false_for_that_method_only(box: Box) -> None:
    box.faults.fail("chat.postMessage", "channel_not_found")
    client = box.client()
    assert client.auth_test()["ok"] is True  # another method: not affected
    with pytest.raises(SlackApiError) as refused:
        post(box)
    assert refused.value.response.status_code == 200
    assert refused.value.response["error"] == "channel_not_found"
    assert box.posted() == []


def test_a_delay_outlasts_a_client_timeout_and_the_call_still_takes_effect(box: Box) -> None:
    box.faults.delay("chat.postMessage", 1.5)
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        box.client(timeout=1).chat_postMessage(channel=GENERAL_CHANNEL, text="slow")
    assert time.monotonic() - started < 1.4
    time.sleep(1.0)
    assert box.posted() == ["slow"]  # Slack carried it out after the client gave up
    box.faults.delay("auth.test", 0.3)
    started = time.monotonic()
    assert box.client().auth_test()["ok"] is True
    assert time.monotonic() - started >= 0.3


def test_response_urls_get_faults_too(box: Box) -> None:
    token = box.workspace.new_response_url(GENERAL_CHANNEL)
    webhook = WebhookClient(f"{box.server.url}/respond/{token}")
    box.faults.rate_limit(RESPONSE_URL, retry_after=3)
    limited = webhook.send(text="first")
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "3")
    assert webhook.send(text="second").status_code == 200
    assert [m.text for m in box.workspace.messages] == ["second"]


def test_every_call_is_recorded_before_it_is_handled(box: Box) -> None:
    with pytest.raises(SlackApiError):
        box.client("xoxb-wrong").chat_postMessage(channel=GENERAL_CHANNEL, text="refused")
    box.faults.rate_limit("chat.postMessage", retry_after=0)
    with pytest.raises(SlackApiError):
        post(box, "limited")
    forged = WebhookClient(f"{box.server.url}/respond/forged").send(text="nobody's URL")
    assert forged.status_code == 404
    refused, limited = box.recorder.named("/api/chat.postMessage")
    assert refused.body["text"] == "refused"
    assert refused.headers["Authorization"] == "Bearer xoxb-wrong"  # any case, as HTTP has it
    assert limited.body == {"channel": GENERAL_CHANNEL, "text": "limited"}
    (response,) = box.recorder.wait_for("/respond/forged")
    assert response.body == {"text": "nobody's URL"}
    assert box.posted() == []


def test_history_takes_oldest_and_latest_as_exclusive_unless_inclusive(box: Box) -> None:
    # "oldest: Only messages after this Unix timestamp will be included in results";
    # "inclusive: Include messages with oldest or latest timestamps in results"
    # (https://docs.slack.dev/reference/methods/conversations.history)
    client = box.client()
    first, second, third = (
        client.chat_postMessage(channel=GENERAL_CHANNEL, text=t)["ts"] for t in ("1", "2", "3")
    )

    def history(**kwargs: Any) -> list[str]:
        page = client.conversations_history(channel=GENERAL_CHANNEL, **kwargs)
        return [m["text"] for m in page["messages"]]

    assert history() == ["3", "2", "1"]
    assert history(oldest=first, latest=third) == ["2"]
    assert history(oldest=first, latest=third, inclusive=True) == ["3", "2", "1"]
    assert history(oldest=second) == ["3"]


def test_a_test_workspace_has_every_channel_and_its_own_clock() -> None:
    workspace = Workspace(clock=lambda: 1_719_824_400.0, any_channel=True)
    assert workspace.resolve_channel("C0DIGEST01") == "C0DIGEST01"
    assert workspace.resolve_channel("not a channel") is None
    assert [workspace.next_ts() for _ in range(2)] == ["1719824400.000000", "1719824400.000001"]
    assert Workspace().resolve_channel("C0DIGEST01") is None  # the demo's: its two channels
