"""Socket Mode: bolt's built-in client, with each envelope handled once and a lost connection
replaced at once.

Slack sends every payload in an envelope and wants it acknowledged by `envelope_id`
(https://api.slack.com/apis/connections/socket-implement); an envelope whose acknowledgement
did not arrive, say because the connection went away first, can come again. A repeat of an
envelope already handled gets the acknowledgement it got the first time (a `/clv` answer
travels in it) and is not handed to the listeners again; one still being handled is left to
that first delivery. Acknowledgements are kept five minutes (`EnvelopeLedger`). Events
retried in a new envelope are caught by their `event_id` (`bot.slack.listeners.dedupe`).

slack_sdk's built-in client notices a lost connection late. When Slack's end closes the TCP
connection without a close frame (a proxy or load balancer hanging up), its reader gets empty
reads without end, spins on a core, and reconnects only after five failed pings: 59 s with
bolt's 10-second ping. After a reset or a close frame it reconnects at its next ping, up to
10 s later. (Measured with tests/bot/socket_mode_server.py; slack_sdk once took an empty read
for a closed connection and reverted it, slackapi/python-slack-sdk#1269.) `HangUpWatch`
notices both within a tenth of a second: it polls the socket for the hang-up (POLLRDHUP,
POLLHUP; Linux) and sees the reader close it. A connection that merely goes silent is still
slack_sdk's to find, after four missed pongs (about 40 s).
"""

from __future__ import annotations

import json
import logging
import select
import socket
import threading
from collections import OrderedDict
from collections.abc import Callable
from time import monotonic, time

from slack_bolt import App, BoltResponse
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.socket_mode.internals import run_bolt_app
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.builtin.connection import Connection
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

log = logging.getLogger("clvbot.slack")
PING_SECONDS = 10.0  # bolt's default; a silent connection is given up after 4 missed pongs
REMEMBERED_ENVELOPES = 512  # at most; a team's bot sees far fewer within ENVELOPE_SECONDS
# a repeat comes on the next connection, seconds later; how long Slack keeps trying is not
# documented (unconfirmed): five minutes is the margin
ENVELOPE_SECONDS = 300.0
HANDLING = "handling"  # an envelope whose first delivery has not been acknowledged yet
# Slack's end is gone: it shut down its side (FIN) or the connection was reset or failed
HUNG_UP = getattr(select, "POLLRDHUP", 0) | select.POLLHUP | select.POLLERR


def to_acknowledgement(envelope_id: str, response: BoltResponse) -> SocketModeResponse | None:
    """What bolt's adapter sends for `response` (slack_bolt.adapter.socket_mode.internals
    .send_response): the JSON body as the payload, text as `{"text": ...}`, nothing when
    bolt did not answer 200 (no listener: Slack will retry, as over HTTP)."""
    if response.status != 200:
        return None
    if not response.body:
        return SocketModeResponse(envelope_id=envelope_id)
    content_type = response.headers.get("content-type", [""])[0]
    if content_type.startswith("application/json"):
        return SocketModeResponse(envelope_id=envelope_id, payload=json.loads(response.body))
    return SocketModeResponse(envelope_id=envelope_id, payload={"text": response.body})


class EnvelopeLedger:
    """The latest envelopes and their acknowledgements, for a few minutes (thread-safe: bolt
    handles envelopes on a pool of threads).

    An acknowledgement can carry personal data (a `/clv` card's name and email), so it is kept
    only while a repeat is likely: Slack delivers an envelope again when its acknowledgement
    did not arrive, on the connection that replaces the lost one. An entry expires
    `keep_seconds` after the envelope's first delivery: each `claim` drops the expired ones
    first, so a repeat after that is handled as new. At most `size` are kept.
    """

    def __init__(
        self,
        size: int = REMEMBERED_ENVELOPES,
        *,
        keep_seconds: float = ENVELOPE_SECONDS,
        clock: Callable[[], float] = monotonic,
    ) -> None:
        self.size, self.keep_seconds, self.clock = size, keep_seconds, clock
        self._lock = threading.Lock()
        # envelope id -> (when first delivered, HANDLING or its acknowledgement), oldest first
        self._seen: OrderedDict[str, tuple[float, SocketModeResponse | str]] = OrderedDict()

    def claim(self, envelope_id: str) -> SocketModeResponse | str | None:
        """None: a new envelope, now claimed for handling. Otherwise HANDLING, or the
        acknowledgement its first delivery got."""
        with self._lock:
            now = self.clock()
            self._forget_before(now - self.keep_seconds)
            if envelope_id in self._seen:
                return self._seen[envelope_id][1]
            self._seen[envelope_id] = (now, HANDLING)
            while len(self._seen) > self.size:
                self._seen.popitem(last=False)
            return None

    def settle(self, envelope_id: str, ack: SocketModeResponse | None) -> None:
        """Keep `ack` for repeats; without one, forget the envelope (a repeat is new again).
        An envelope forgotten meanwhile (expired, or pushed out) stays forgotten."""
        with self._lock:
            if ack is None:
                self._seen.pop(envelope_id, None)
            elif envelope_id in self._seen:
                self._seen[envelope_id] = (self._seen[envelope_id][0], ack)

    def __len__(self) -> int:
        with self._lock:
            return len(self._seen)

    def _forget_before(self, cutoff: float) -> None:
        while self._seen and next(iter(self._seen.values()))[0] <= cutoff:
            self._seen.popitem(last=False)


class OnceSocketModeHandler(SocketModeHandler):
    """bolt's built-in Socket Mode handler, handling each envelope once."""

    def __init__(self, app: App, app_token: str, *, ping_seconds: float = PING_SECONDS) -> None:
        super().__init__(app, app_token, ping_interval=ping_seconds)
        self.ledger = EnvelopeLedger()

    def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        earlier = self.ledger.claim(req.envelope_id)
        if earlier is not None:
            state = "still being handled" if earlier == HANDLING else "acknowledged as before"
            log.info("Slack delivered envelope %s (%s) again: %s", req.envelope_id, req.type, state)
            if isinstance(earlier, SocketModeResponse):
                client.send_socket_mode_response(earlier)
            return
        ack = None
        try:
            started = time()
            ack = to_acknowledgement(req.envelope_id, run_bolt_app(self.app, req))
            if ack is None:
                log.info("no acknowledgement for envelope %s (%s): no listener answered it",
                         req.envelope_id, req.type)  # fmt: skip
            else:
                client.send_socket_mode_response(ack)
                log.debug("acknowledged %s in %.0f ms", req.envelope_id, (time() - started) * 1e3)
        finally:
            self.ledger.settle(req.envelope_id, ack)


class HangUpWatch:
    """Opens a new connection as soon as the current one ends without Slack's `disconnect`:
    Slack's end hung up (the socket polls POLLRDHUP or POLLHUP), or slack_sdk's reader closed
    it after a reset or a close frame (slack_sdk itself reconnects at its next ping)."""

    def __init__(self, client: SocketModeClient, poll_seconds: float = 1.0) -> None:
        self.client, self.poll_seconds = client, poll_seconds
        self.watched: Connection | None = None  # the connection last seen open
        self.pause = threading.Event()  # never set: a wait that is not a busy loop
        self.thread = threading.Thread(target=self._run, name="socket-mode-watch", daemon=True)

    def start(self) -> HangUpWatch:
        if hasattr(select, "poll"):  # not on Windows: slack_sdk's own checks remain
            self.thread.start()
        return self

    def _run(self) -> None:
        while not self.client.closed:
            try:
                self.check_once()
            except Exception as exc:  # the watch must outlive any surprise; slack_sdk's remain
                log.warning("the Socket Mode watch failed once: %s", type(exc).__name__)
                self.pause.wait(0.1)  # a surprise that repeats must not spin either

    def check_once(self) -> bool:
        """Wait up to `poll_seconds` for the current connection to end; True when it had
        ended and a new one was asked for."""
        session = self.client.current_session
        sock = session.sock if session is not None else None
        if session is not None and sock is not None:
            self.watched = session
            if not self._ended(sock):
                return False
        elif session is None or session is not self.watched:
            self.pause.wait(0.1)  # not connected yet, or a reconnection failed: slack_sdk retries
            return False
        self.watched = None
        client = self.client
        # In the next two cases the hung-up socket polls at once again: wait, or spin a core
        # while slack_sdk's reconnection waits out a 429 or a backoff under its lock.
        if client.closed or client.current_session is not session:
            self.pause.wait(0.1)  # we closed it ourselves: shutting down, or replaced
            return False
        if client.connect_operation_lock.locked():
            self.pause.wait(0.1)  # being replaced right now (a `disconnect`, slack_sdk's monitor)
            return False
        log.info("the Socket Mode connection ended without Slack's notice: opening a new one")
        session.disconnect()
        self.client.connect_to_new_endpoint()  # under slack_sdk's lock: no second connection
        return True

    def _ended(self, sock: socket.socket) -> bool:
        poller = select.poll()
        try:
            poller.register(sock.fileno(), HUNG_UP)
        except (OSError, ValueError):  # closed meanwhile
            return True
        # POLLNVAL: slack_sdk's reader closed the socket while we waited
        events = poller.poll(self.poll_seconds * 1000)
        return any(mask & (HUNG_UP | select.POLLNVAL) for _, mask in events)


class SocketModeRefusedError(Exception):
    """Slack would not open a Socket Mode connection: the message says why and what to do."""


TOKEN_TROUBLE = {  # apps.connections.open's errors (https://api.slack.com/methods/apps.connections.open)
    "not_authed": "SLACK_APP_TOKEN is empty",
    "invalid_auth": "Slack does not know SLACK_APP_TOKEN",
    "token_revoked": "SLACK_APP_TOKEN was revoked",
    "account_inactive": "SLACK_APP_TOKEN belongs to a deleted app or user",
    "not_allowed_token_type": "SLACK_APP_TOKEN is not an app-level token (xapp-...)",
    "missing_scope": "SLACK_APP_TOKEN lacks the connections:write scope",
}


def refusal(error: str) -> str:
    """The message for an apps.connections.open that failed with `error`."""
    why = TOKEN_TROUBLE.get(error, "Slack refused apps.connections.open")
    return (f"{why} ({error}): create an app-level token with the connections:write scope "
            "(the app's Basic Information, App-Level Tokens) and turn Socket Mode on "
            "(socket_mode_enabled in manifest.yml), or unset SLACK_APP_TOKEN to serve "
            "HTTP")  # fmt: skip


def serve(app: App, app_token: str, *, ping_seconds: float = PING_SECONDS) -> None:
    """Connect (apps.connections.open through `app.client`, with its 429 handling) and handle
    envelopes until the process is stopped; SocketModeRefusedError when Slack says no."""
    handler = OnceSocketModeHandler(app, app_token, ping_seconds=ping_seconds)
    try:
        handler.connect()  # type: ignore[no-untyped-call]
    except SlackApiError as exc:
        raise SocketModeRefusedError(refusal(str(exc.response.get("error", "")))) from None
    except OSError as exc:  # urllib's URLError: SLACK_API_URL cannot be reached
        raise SocketModeRefusedError(f"cannot reach Slack's Web API to open a Socket Mode "
                                f"connection: {exc}") from None  # fmt: skip
    HangUpWatch(handler.client).start()
    log.info("connected to Slack over Socket Mode")
    try:
        threading.Event().wait()  # the client's threads do the work, until we are stopped
    finally:
        handler.close()  # type: ignore[no-untyped-call]
