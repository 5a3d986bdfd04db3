"""A store outage or a bug: a short apology with an error id that is in the log; no trace."""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Callable
from urllib.parse import urlparse

import pytest

from tests.bot.fake_slack import FakeSlack
from tests.bot.limits import all_text, assert_within_limits
from tests.bot.served import BOT_TOKEN, SECRET, ServedBot


def error_id(text: str) -> str:
    found = re.search(r"error id: `([0-9a-f]{10})`", text)
    assert found, text
    return found.group(1)


def test_store_outage_gives_an_apology_with_an_error_id(
    serve: Callable[..., ServedBot],
    store_copy: str,
    fake_slack: FakeSlack,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bot = serve(store_copy)
    assert "Jane Doe" in all_text(bot.command("1").json())
    with sqlite3.connect(urlparse(store_copy).path) as con:
        con.execute("DROP TABLE customer_weekly")
        con.execute("DROP TABLE customer_scores")
    caplog.set_level(logging.INFO)
    reply = bot.command("1")
    assert reply.status == 200
    message = reply.json()
    assert_within_limits(message)
    text = all_text(message)
    assert "Sorry, something went wrong" in text
    assert "Traceback" not in text
    assert "customer_scores" not in text
    assert error_id(text) in caplog.text
    assert "no such table" in caplog.text  # the log has the cause
    bot.click("clv_why", "1", tag="why")
    (call,) = fake_slack.wait_for("/respond/why")
    assert error_id(all_text(call.body)) in caplog.text
    assert BOT_TOKEN not in caplog.text
    assert SECRET not in caplog.text


def test_the_lazy_path_apologises_too(
    serve: Callable[..., ServedBot],
    store_copy: str,
    fake_slack: FakeSlack,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bot = serve(store_copy, slack_answer_in_ack=False)
    with sqlite3.connect(urlparse(store_copy).path) as con:
        con.execute("DROP TABLE customers")
    assert bot.command("1", tag="late").status == 200
    (call,) = fake_slack.wait_for("/respond/late")
    assert error_id(all_text(call.body)) in caplog.text
