"""`clvbot serve` over Socket Mode, for real: the process, a WebSocket server that speaks
Slack's protocol (tests/bot/socket_mode_server.py) and the sandbox's Web API.

The scenario, its envelopes and acknowledgements (the `EXPECTED` journal below): a command,
a button and the App Home event on the first connection; `disconnect` / `refresh_requested`
and, on the second connection, each of the three delivered again (the event also as Slack's
retry, a new envelope with `retry_attempt` 1); a new command; the connection dropped without a
close frame; on the third, the event's first envelope once more and a new click and command.
Every answer arrives, and nothing is handled twice: one response per click, one views.publish.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from slack_bolt import BoltResponse
from slack_sdk import WebClient
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.builtin.connection import Connection
from slack_sdk.socket_mode.response import SocketModeResponse

from bot.slack.listeners.dedupe import SeenEvents, extract_event_id
from bot.slack.socket_mode import HANDLING, EnvelopeLedger, HangUpWatch, to_acknowledgement
from tests.bot.fake_slack import FakeSlack
from tests.bot.limits import all_text
from tests.bot.served import BOT_TOKEN, SECRET, ServedBot, block_action
from tests.bot.socket_mode_server import (
    TICKET,
    Ack,
    SocketModeServer,
    app_home_opened,
    events_api,
    interactive,
    slash_command,
)
from tests.helpers import CLVBOT, clvbot_env

APP_TOKEN = "xapp-1-A1-1700000000-0123456789abcdef0123456789abcdef"  # app-level: connections:write
USER = "U1"


@dataclass
class Rig:
    """The bot's process and the two Slacks it talks to, and a journal of what happened."""

    server: SocketModeServer
    fake: FakeSlack
    process: subprocess.Popen[bytes]
    log: Path
    sent: dict[str, dict[str, Any]] = field(default_factory=dict)  # alias -> envelope
    journal: list[tuple[int, str, str, str]] = field(default_factory=list)

    def deliver(self, alias: str, envelope: dict[str, Any], what: str) -> Ack:
        """Send `envelope` (named `alias` in the journal) and wait for its acknowledgement."""
        self.sent[alias] = envelope
        return self._send(alias, envelope, what)

    def redeliver(self, alias: str, what: str) -> Ack:
        return self._send(alias, self.sent[alias], what)

    def _send(self, alias: str, envelope: dict[str, Any], what: str) -> Ack:
        envelope_id = envelope["envelope_id"]
        before = len(self.server.acks_of(envelope_id))
        self.server.send(envelope)
        ack = self.server.wait_ack(envelope_id, count=before + 1)[-1]
        self.journal.append((ack.connection, what, alias, describe(ack)))
        return ack

    def reconnected(self, number: int, what: str) -> None:
        """Connection `number` said hello after apps.connections.open was called again."""
        opens = self.fake.wait_for("/api/apps.connections.open", count=number + 1)  # +1: the 429
        self.server.wait_connection(number)
        self.server.wait_closed(number - 1)
        ended = self.server.connections[number - 2].ended_by
        self.journal.append((number - 1, what, "-", f"{len(opens) - 1} opens, hello {number}, "
                             f"connection {number - 1} ended by {ended}"))  # fmt: skip


def describe(ack: Ack) -> str:
    if ack.payload is None:
        return "ack"
    return f"ack + {ack.payload.get('response_type')} answer"


@pytest.fixture
def rig(store_copy: str, tmp_path: Path) -> Iterator[Rig]:
    server = SocketModeServer()
    fake = FakeSlack(BOT_TOKEN, app_token=APP_TOKEN, socket_mode_url=server.url)
    fake.faults.rate_limit("apps.connections.open", retry_after=1)  # the first open: a 429
    log = tmp_path / "serve.log"
    env = clvbot_env(store_copy, SLACK_APP_TOKEN=APP_TOKEN, SLACK_BOT_TOKEN=BOT_TOKEN,
                     SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=f"{fake.url}/api/")  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen([*CLVBOT, "serve", "--no-scheduler"], env=env, cwd=tmp_path,
                                   stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        yield Rig(server, fake, process, log)
    finally:
        process.terminate()
        process.wait(timeout=10)
        server.stop()
        fake.stop()


EXPECTED = [  # (connection, what Slack sent, envelope, what came back)
    (1, "slash_commands /clv 1", "command", "ack + ephemeral answer"),
    (1, "interactive: Why this number?", "click", "ack"),
    (1, "events_api app_home_opened Ev1", "home", "ack"),
    (1, "disconnect refresh_requested", "-", "2 opens, hello 2, connection 1 ended by client"),
    (2, "slash_commands again", "command", "ack + ephemeral answer"),
    (2, "interactive again", "click", "ack"),
    (2, "events_api Ev1, retry_attempt 1, new envelope", "home retry", "ack"),
    (2, "slash_commands /clv 2", "command 2", "ack + ephemeral answer"),
    (2, "TCP closed, no close frame", "-", "3 opens, hello 3, connection 2 ended by dropped"),
    (3, "events_api Ev1 again (first envelope)", "home", "ack"),
    (3, "interactive: Why this number? (a new click)", "click 2", "ack"),
    (3, "slash_commands /clv 1 (a new command)", "command 3", "ack + ephemeral answer"),
    (3, "TCP reset", "-", "4 opens, hello 4, connection 3 ended by reset"),
    (4, "slash_commands /clv 1 (a new command)", "command 4", "ack + ephemeral answer"),
]


def test_serve_over_socket_mode_answers_everything_once_across_reconnects(rig: Rig) -> None:
    server, fake = rig.server, rig.fake
    server.wait_connection(1)  # after a 429 on apps.connections.open, retried
    first = rig.deliver("command", slash_command("e-1", "1", fake.response_url("c1")),
                        "slash_commands /clv 1")  # fmt: skip
    assert first.payload is not None
    assert "Jane Doe" in all_text(first.payload)
    why = block_action("clv_why", "1", fake.response_url("why1"), USER)
    rig.deliver("click", interactive("e-2", why), "interactive: Why this number?")
    home = app_home_opened(USER)
    rig.deliver("home", events_api("e-3", "Ev1", home), "events_api app_home_opened Ev1")
    fake.wait_for("/respond/why1")
    fake.wait_for("/api/views.publish")

    server.disconnect("refresh_requested")
    rig.reconnected(2, "disconnect refresh_requested")
    again = rig.redeliver("command", "slash_commands again")
    assert again.payload == first.payload  # the same acknowledgement, not a second answer
    rig.redeliver("click", "interactive again")
    retry = events_api("e-4", "Ev1", home, retry_attempt=1, retry_reason="timeout")
    rig.deliver("home retry", retry, "events_api Ev1, retry_attempt 1, new envelope")
    other = rig.deliver("command 2", slash_command("e-5", "2", fake.response_url("c2")),
                        "slash_commands /clv 2")  # fmt: skip
    assert other.payload is not None
    assert "(2): predicted CLV" in other.payload["text"]

    server.drop()
    rig.reconnected(3, "TCP closed, no close frame")
    rig.redeliver("home", "events_api Ev1 again (first envelope)")
    why_again = block_action("clv_why", "1", fake.response_url("why2"), USER)
    rig.deliver("click 2", interactive("e-6", why_again),
                "interactive: Why this number? (a new click)")  # fmt: skip
    rig.deliver("command 3", slash_command("e-7", "1", fake.response_url("c3")),
                "slash_commands /clv 1 (a new command)")  # fmt: skip
    server.drop(reset=True)
    rig.reconnected(4, "TCP reset")
    rig.deliver("command 4", slash_command("e-8", "1", fake.response_url("c4")),
                "slash_commands /clv 1 (a new command)")  # fmt: skip

    fake.wait_for("/respond/why2")  # the new click answered: the repeats' turn has passed
    print_journal(rig.journal)
    assert rig.journal == EXPECTED
    assert len(fake.named("/respond/why1")) == 1  # the click delivered twice answered once
    assert [c.body["user_id"] for c in fake.named("/api/views.publish")] == [USER]
    assert not fake.named("/respond/c")  # commands answer in their acknowledgement
    assert_connections(rig)


def assert_connections(rig: Rig) -> None:
    opens = rig.fake.named("/api/apps.connections.open")
    assert len(opens) == 5  # a 429 and its retry, the refresh, the drop, the reset
    assert {c.headers["authorization"] for c in opens} == {f"Bearer {APP_TOKEN}"}
    assert [c.ended_by for c in rig.server.connections[:3]] == ["client", "dropped", "reset"]
    assert len(rig.server.connections) == 4
    assert not rig.server.refused
    log = rig.log.read_text()
    assert "Slack rate-limited apps.connections.open: retrying in 1 s" in log
    assert "skipped event Ev1: handled already (Slack's retry 1, timeout)" in log
    assert log.count("ended without Slack's notice: opening a new one") == 2  # drop, reset
    for secret in (APP_TOKEN, BOT_TOKEN, SECRET, TICKET, "xapp-", "xoxb-", "/respond/"):
        assert secret not in log, secret


def print_journal(journal: list[tuple[int, str, str, str]]) -> None:
    """The table the issue's note shows (`pytest -s` prints it)."""
    print("\n| conn | Slack sent | envelope | came back |\n|---|---|---|---|")
    for connection, what, alias, result in journal:
        print(f"| {connection} | {what} | {alias} | {result} |")


def test_a_refused_app_token_stops_serve_with_the_fix(store_copy: str, tmp_path: Path) -> None:
    fake = FakeSlack(BOT_TOKEN, app_token=APP_TOKEN, socket_mode_url="wss://127.0.0.1:9/link/")
    wrong = "xapp-1-A1-1700000000-not-this-one"
    env = clvbot_env(store_copy, SLACK_APP_TOKEN=wrong, SLACK_BOT_TOKEN=BOT_TOKEN,
                     SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=f"{fake.url}/api/")  # fmt: skip
    try:
        done = subprocess.run([*CLVBOT, "serve", "--no-scheduler"], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=60)  # fmt: skip
    finally:
        fake.stop()
    output = done.stdout + done.stderr
    assert done.returncode == 1
    assert "Slack does not know SLACK_APP_TOKEN (invalid_auth)" in output
    assert "connections:write" in output
    assert "Traceback" not in output
    assert wrong not in output
    assert BOT_TOKEN not in output


def test_an_event_delivered_twice_over_http_is_handled_once(
    store_copy: str,
    serve: Callable[..., ServedBot],
    fake_slack: FakeSlack,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bot = serve(store_copy)
    caplog.set_level(logging.INFO, logger="clvbot.slack")
    assert bot.event(app_home_opened(USER), event_id="Ev7").status == 200
    fake_slack.wait_for("/api/views.publish")
    assert bot.event(app_home_opened(USER), event_id="Ev7").status == 200  # Slack's retry
    assert "skipped event Ev7: handled already" in caplog.messages
    assert bot.event(app_home_opened("U2"), event_id="Ev8").status == 200
    calls = fake_slack.wait_for("/api/views.publish", count=2)
    assert [c.body["user_id"] for c in calls] == [USER, "U2"]


# -- the pieces, without a process --------------------------------------------------------


def test_an_acknowledgement_carries_what_bolt_answered() -> None:
    answer = BoltResponse(status=200, body='{"text": "hi"}',
                          headers={"content-type": "application/json"})  # fmt: skip
    with_payload = to_acknowledgement("e", answer)
    assert with_payload is not None
    assert with_payload.to_dict() == {"envelope_id": "e", "payload": {"text": "hi"}}
    empty = to_acknowledgement("e", BoltResponse(status=200, body=""))
    assert empty is not None
    assert empty.to_dict() == {"envelope_id": "e"}
    text = to_acknowledgement("e", BoltResponse(status=200, body="plain"))
    assert text is not None
    assert text.payload == {"text": "plain"}
    assert to_acknowledgement("e", BoltResponse(status=404, body="")) is None


def test_the_ledger_hands_a_repeat_its_first_acknowledgement() -> None:
    ledger = EnvelopeLedger(size=2)
    assert ledger.claim("a") is None
    assert ledger.claim("a") == HANDLING
    ack = SocketModeResponse(envelope_id="a", payload={"text": "x"})
    ledger.settle("a", ack)
    assert ledger.claim("a") is ack
    assert ledger.claim("b") is None
    ledger.settle("b", None)  # not acknowledged (no listener): a repeat is handled afresh
    assert ledger.claim("b") is None
    assert ledger.claim("c") is None  # the oldest, "a", is forgotten
    assert ledger.claim("a") is None


def test_the_ledger_forgets_an_acknowledgement_minutes_after_its_first_delivery() -> None:
    """Acknowledgements carry /clv cards (names, emails): kept for a repeat, not for days."""
    now = [1000.0]
    ledger = EnvelopeLedger(size=512, keep_seconds=300, clock=lambda: now[0])
    card = SocketModeResponse(envelope_id="a", payload={"text": "Jane Doe <jane@example.com>"})
    assert ledger.claim("a") is None
    ledger.settle("a", card)
    now[0] += 299
    assert ledger.claim("a") is card  # a repeat within the five minutes: the same answer
    assert ledger.claim("b") is None
    now[0] += 1  # five minutes after "a" came first (its repeat did not extend it)
    assert ledger.claim("a") is None  # handled as new: the card is gone
    assert ledger.claim("a") == HANDLING
    now[0] += 300
    assert ledger.claim("c") is None  # a new envelope prunes the expired "a" and "b"
    assert len(ledger) == 1
    ledger.settle("a", card)  # the late end of a handling that expired meanwhile
    assert len(ledger) == 1
    assert ledger.claim("a") is None


def test_an_event_id_is_seen_once_within_the_memory() -> None:
    seen = SeenEvents(size=2)
    assert [seen.first_time(e) for e in ("Ev1", "Ev1", "Ev2", "Ev3", "Ev1")] == [
        True, False, True, True, True]  # fmt: skip
    assert extract_event_id({"type": "event_callback", "event_id": "Ev9"}) == "Ev9"
    assert extract_event_id({"type": "block_actions", "event_id": "Ev9"}) is None
    assert extract_event_id({"type": "event_callback"}) is None


@pytest.fixture
def half_closed() -> Iterator[socket.socket]:
    """Our end of a loopback TCP connection whose peer has shut down its side (a FIN): the
    socket polls POLLRDHUP at once, every time."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        ours = socket.create_connection(listener.getsockname())
        theirs, _ = listener.accept()
    theirs.shutdown(socket.SHUT_WR)
    try:
        yield ours
    finally:
        ours.close()
        theirs.close()


def test_the_watch_idles_while_slack_sdk_is_reconnecting_a_hung_up_connection(
    half_closed: socket.socket,
) -> None:
    """slack_sdk holds `connect_operation_lock` while it reconnects (waiting out a 429 or a
    backoff); a hung-up connection is then left to it, and the watch must not spin
    meanwhile: in a second it uses a few milliseconds of CPU, not a second."""
    client = SocketModeClient(APP_TOKEN, web_client=WebClient(base_url="http://127.0.0.1:9/"))
    # slack_sdk's reader stays off our socket: only the watch looks at it
    client.current_session_runner.shutdown()  # type: ignore[no-untyped-call]
    session = Connection(url="wss://127.0.0.1:9/link/", logger=logging.getLogger("test"))
    session.sock = half_closed  # type: ignore[assignment]  # plain TCP, as in slack_sdk's tests
    client.current_session = session
    watch = HangUpWatch(client, poll_seconds=1.0)
    with client.connect_operation_lock:  # "being replaced right now"
        watch.start()
        assert watch.thread.ident is not None
        cpu_clock = time.pthread_getcpuclockid(watch.thread.ident)
        threading.Event().wait(1.0)  # a second of wall time, spent by the watch as it likes
        cpu = time.clock_gettime(cpu_clock)
        assert client.current_session is session  # left alone: slack_sdk replaces it
        client.close()
    watch.thread.join(timeout=5)
    assert not watch.thread.is_alive()
    assert cpu < 0.1, f"the watch used {cpu:.2f} s of CPU in 1 s"
