"""Over real HTTP: request signatures, the health check, and what a served /clv returns."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from urllib.parse import urlparse

from tests.bot.fake_slack import FakeSlack
from tests.bot.limits import assert_within_limits
from tests.bot.served import ServedBot, command_body


def test_a_signed_command_is_answered_in_the_acknowledgement(served_bot: ServedBot) -> None:
    reply = served_bot.command("1")
    assert reply.status == 200
    message = reply.json()
    assert message["response_type"] == "ephemeral"
    assert_within_limits(message)


def test_forged_signature_is_refused_with_401(served_bot: ServedBot, fake_slack: FakeSlack) -> None:
    body = command_body("1", fake_slack.response_url())
    assert served_bot.post(body, secret="not-the-secret").status == 401
    assert fake_slack.messages() == []


def test_tampered_body_is_refused_with_401(served_bot: ServedBot) -> None:
    body = command_body("1", "http://127.0.0.1:9/respond")
    reply = served_bot.post(body)  # correctly signed ...
    assert reply.status == 200
    signed_then_changed = served_bot.post(body.replace("text=1", "text=2"), secret="x")
    assert signed_then_changed.status == 401


def test_stale_timestamp_is_refused_with_401(served_bot: ServedBot, fake_slack: FakeSlack) -> None:
    body = command_body("1", fake_slack.response_url())
    assert served_bot.post(body, timestamp=int(time.time()) - 301).status == 401
    assert served_bot.post(body, timestamp=int(time.time()) - 60).status == 200


def test_healthz_checks_the_store(serve: Callable[..., ServedBot], store_copy: str) -> None:
    bot = serve(store_copy)
    reply = bot.get("/healthz")
    assert (reply.status, reply.json()) == (200, {"ok": True})
    with sqlite3.connect(urlparse(store_copy).path) as con:
        con.execute("DROP TABLE alembic_version")  # the store is no longer clvbot's schema
    reply = bot.get("/healthz")
    assert (reply.status, reply.json()) == (503, {"ok": False})


def test_unknown_paths_are_404(served_bot: ServedBot) -> None:
    assert served_bot.get("/slack/events").status == 405
    assert served_bot.get("/nope").status == 404
