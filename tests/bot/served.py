"""The bot served by uvicorn on a loopback port, and signed requests to it over real HTTP."""

from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import uvicorn
from slack_bolt import BoltRequest
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import Engine

from bot.slack.app import build_app
from bot.slack.deps import Deps, bot_engine
from bot.slack.server import build_asgi
from clv.settings import Settings
from tests.bot.fake_slack import FakeSlack
from tests.smtp import free_port

SECRET = "test-signing-secret-0123456789"
BOT_TOKEN = "xoxb-test-0000-secret-token"


def bot_settings(database_url: str, fake: FakeSlack, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "timezone": "UTC",
        "currency": "USD",
        "slack_signing_secret": SECRET,
        "slack_bot_token": BOT_TOKEN,
        "slack_api_url": f"{fake.url}/api/",
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@dataclass
class Reply:
    status: int
    body: str
    headers: dict[str, str]

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data


class SlackSender:
    """Signed (or deliberately unsigned) requests to a bot served at `url`."""

    url: str
    fake: FakeSlack
    settings: Settings
    engine: Engine

    def post(self, body: str, *, timestamp: int | None = None, secret: str = SECRET) -> Reply:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
        headers = {
            "content-type": "application/x-www-form-urlencoded",
            "x-slack-request-timestamp": ts,
            "x-slack-signature": signature,
        }
        return self.post_raw(body.encode(), headers)

    def post_raw(self, body: bytes, headers: dict[str, str], *, timeout: float = 10) -> Reply:
        """`body` as it is, with exactly `headers` (their UTF-8 bytes on the wire): for forged
        and malformed requests."""
        wire = {key: value.encode().decode("latin-1") for key, value in headers.items()}
        return post_answer(f"{self.url}/slack/events", body, wire, timeout=timeout)

    def get(self, path: str, *, timeout: float = 10) -> Reply:
        return self._send(urllib.request.Request(f"{self.url}{path}"), timeout)

    @staticmethod
    def _send(request: urllib.request.Request, timeout: float) -> Reply:
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return Reply(response.status, response.read().decode(), dict(response.headers))
        except urllib.error.HTTPError as exc:
            return Reply(exc.code, exc.read().decode(errors="replace"), dict(exc.headers))

    def command(self, text: str, *, user: str = "U1", channel: str = "C1", tag: str = "1") -> Reply:
        return self.post(command_body(text, self.fake.response_url(tag), user, channel))

    def click(
        self, action_id: str, value: str, *, user: str = "U1", channel: str = "C1", tag: str = "1"
    ) -> Reply:
        payload = block_action(action_id, value, self.fake.response_url(tag), user, channel)
        return self.post(urlencode({"payload": json.dumps(payload)}))

    def event(self, event: dict[str, Any], *, event_id: str = "Ev0001") -> Reply:
        """An Events API request carrying `event`, signed, as Slack sends it (JSON,
        https://docs.slack.dev/apis/events-api/#callback-field)."""
        body = json.dumps({
            "token": "legacy-unused", "team_id": "T1", "api_app_id": "A1", "event": event,
            "type": "event_callback", "event_id": event_id, "event_time": int(time.time()),
            "authorizations": [{"team_id": "T1", "user_id": "UBOT", "is_bot": True}],
        })  # fmt: skip
        ts = str(int(time.time()))
        signature = SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body)
        headers = {"content-type": "application/json", "x-slack-request-timestamp": ts,
                   "x-slack-signature": signature}  # fmt: skip
        return self.post_raw(body.encode(), headers)

    def submit(self, view: dict[str, Any], *, user: str = "U1") -> Reply:
        """Send on the modal `view` (as views.open answered it), by `user`."""
        return self.post(urlencode({"payload": json.dumps(view_submission(view, user))}))


BotUnderTest = SlackSender  # a served or a dispatched bot: what listener tests talk to


class ServedBot(SlackSender):
    """`clvbot serve`'s HTTP app in a thread; `command()` and `click()` send signed requests."""

    def __init__(self, settings: Settings, fake: FakeSlack) -> None:
        self.fake = fake
        self.settings = settings
        self.engine = bot_engine(settings)
        asgi = build_asgi(build_app(Deps(settings, self.engine)), self.engine, settings)
        self.port = free_port()
        config = uvicorn.Config(asgi, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.engine.dispose()


def post_answer(
    url: str, body: bytes | Iterable[bytes], headers: dict[str, str], *, timeout: float = 10
) -> Reply:
    """POST `body` (bytes, or chunks sent with chunked encoding) and read the answer, even one
    the server gives before reading the whole body (a 413), which breaks the sender's pipe.

    A server that answers early and closes with unread request bytes in its buffer makes the
    kernel reset the connection, and the reset can discard the answer before it is read (seen
    once in the fuzzing, under load). Only a refusal closes that way, so sending the same bytes
    once more, on a new connection, asks the same question again without acting twice.
    """
    chunks = body if isinstance(body, bytes) else list(body)  # sendable a second time
    try:
        return _post_once(url, chunks, headers, timeout)
    except ConnectionResetError:
        return _post_once(url, chunks, headers, timeout)


def _post_once(
    url: str, body: bytes | list[bytes], headers: dict[str, str], timeout: float
) -> Reply:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        try:
            chunked = not isinstance(body, bytes)
            connection.request("POST", parts.path, body, headers, encode_chunked=chunked)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered early: its answer is waiting to be read
        response = connection.getresponse()
        return Reply(response.status, response.read().decode(errors="replace"),
                     dict(response.getheaders()))  # fmt: skip
    finally:
        connection.close()


def command_body(text: str, response_url: str, user: str = "U1", channel: str = "C1") -> str:
    return urlencode(
        {
            "token": "legacy-unused",
            "team_id": "T1",
            "team_domain": "shop",
            "channel_id": channel,
            "channel_name": "sales",
            "user_id": user,
            "user_name": "jane",
            "command": "/clv",
            "text": text,
            "response_url": response_url,
            "trigger_id": "1.2.3",
            "api_app_id": "A1",
        }
    )


def block_action(
    action_id: str, value: str, response_url: str, user: str = "U1", channel: str = "C1"
) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "user": {"id": user, "username": "jane", "team_id": "T1"},
        "api_app_id": "A1",
        "team": {"id": "T1", "domain": "shop"},
        "channel": {"id": channel, "name": "sales"},
        "container": {
            "type": "message",
            "message_ts": "1700000000.000100",
            "channel_id": channel,
            "is_ephemeral": True,
        },
        "message": {"type": "message", "text": "card", "ts": "1700000000.000100"},
        "response_url": response_url,
        "trigger_id": "1.2.3",
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "b1",
                "value": value,
                "action_ts": "1700000001.000200",
            }
        ],
    }


def view_submission(view: dict[str, Any], user: str = "U1") -> dict[str, Any]:
    """A `view_submission` payload for Send on `view`, field for field as Slack sends it
    (https://docs.slack.dev/reference/interaction-payloads/view-interactions-payload)."""
    return {
        "type": "view_submission",
        "team": {"id": "T1", "domain": "shop"},
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": "T1"},
        "api_app_id": "A1",
        "token": "legacy-unused",
        "trigger_id": "2.3.4",
        "view": {**view, "state": view.get("state") or {"values": {}}},  # what was typed
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


class DispatchedBot(SlackSender):
    """The bolt app without HTTP: requests go straight to `app.dispatch`, as bolt's own tests
    do, for listener tests where serving is not the point (signing and the server are tested
    over HTTP with `ServedBot`). Lazy listeners still answer through the fake Slack."""

    def __init__(self, settings: Settings, fake: FakeSlack) -> None:
        self.fake = fake
        self.settings = settings
        self.engine = bot_engine(settings)
        self.app = build_app(Deps(settings, self.engine))
        self.url = "dispatch://"

    def post(self, body: str, *, timestamp: int | None = None, secret: str = SECRET) -> Reply:
        headers = {"content-type": "application/x-www-form-urlencoded"}
        response = self.app.dispatch(BoltRequest(body=body, headers=headers))
        text = response.body if isinstance(response.body, str) else json.dumps(response.body)
        return Reply(response.status, text, dict(response.first_headers()))

    def stop(self) -> None:
        self.engine.dispose()
