"""The tests' Slack: the sandbox's Web API, response URLs and uploads (bot/sandbox) on a free
loopback port, recording every call and injecting the faults a test arms (`fake.faults`)."""

from __future__ import annotations

import secrets
import threading
import time
from typing import Any

from bot.sandbox import SandboxConfig, ServerThread, Workspace, bind, build_sandbox
from bot.sandbox.faults import Faults
from bot.sandbox.recorder import Call, Recorder
from bot.sandbox.workspace import GENERAL_CHANNEL

__all__ = ["Call", "FakeSlack", "start_fake_slack"]
NO_BOT = "http://127.0.0.1:9/slack/events"  # tests send the bot's requests themselves


class FakeSlack:
    """Web API at `{url}/api/` (answering only `bot_token`), response URLs at
    `{url}/respond/<tag>`; a workspace where every channel id exists."""

    def __init__(
        self, bot_token: str, *, app_token: str | None = None, socket_mode_url: str | None = None
    ) -> None:
        """`app_token` and `socket_mode_url`: `apps.connections.open` hands that URL to that
        app-level token (Socket Mode); without them it refuses, as for an HTTP-only app."""
        self.workspace = Workspace(any_channel=True)
        self.recorder = Recorder()
        self.faults = Faults()
        config = SandboxConfig(bot_events_url=NO_BOT, signing_secret="unused",
                               bot_token=bot_token, recorder=self.recorder,
                               faults=self.faults, app_token=app_token,
                               socket_mode_url=socket_mode_url)  # fmt: skip
        self.server = ServerThread(build_sandbox(config, self.workspace), bind(0), "fake-slack")
        self.server.start()

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def lock(self) -> threading.RLock:
        return self.workspace.lock

    @property
    def ts_base(self) -> float:
        return self.workspace.clock()

    @ts_base.setter
    def ts_base(self, seconds: float) -> None:
        """Slack's clock stands at `seconds` (a frozen test clock's now): ts count up from it."""
        self.workspace.clock = lambda: float(seconds)

    def next_ts(self) -> str:
        return self.workspace.next_ts()

    def response_url(self, tag: str = "1", channel: str = GENERAL_CHANNEL) -> str:
        """A response URL named `tag`, handed out afresh (five uses) each time it is asked for,
        as Slack gives every request its own; its messages go to `channel`."""
        self.workspace.new_response_url(channel, token=tag)
        return f"{self.url}/respond/{tag}"

    def trigger_id(self) -> str:
        """A trigger_id as Slack puts in a click: `views.open` takes it once, within 3 s."""
        return self.workspace.issue_trigger(f"{int(time.time())}.1.{secrets.token_hex(8)}")

    def opened_views(self) -> list[dict[str, Any]]:
        """The views the bot opened with `views.open`, as that method answered them."""
        with self.workspace.lock:
            return [v.view for v in self.workspace.views.values()]

    @property
    def calls(self) -> list[Call]:
        return self.recorder.calls

    def named(self, path: str) -> list[Call]:
        return self.recorder.named(path)

    def wait_for(self, path: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        return self.recorder.wait_for(path, count, timeout)

    def messages(self) -> list[dict[str, Any]]:
        """Every message body the bot sent (chat.* and response_url), for limit checks."""
        return [c.body for c in self.calls if c.path.startswith(("/respond/", "/api/chat."))]

    def channel_posts(self, channel: str) -> list[dict[str, Any]]:
        """The messages chat.postMessage put in `channel`, oldest first, as Slack holds them
        (with their metadata)."""
        with self.workspace.lock:
            posted = [m for m in self.workspace.messages
                      if m.channel == channel and m.via == "chat.postMessage"]  # fmt: skip
            return [{**m.to_api(with_metadata=True), "channel": m.channel} for m in posted]

    def stop(self) -> None:
        self.server.stop()


def start_fake_slack(bot_token: str) -> FakeSlack:
    return FakeSlack(bot_token)
