"""SLACK_ANSWER_IN_ACK=false: an empty acknowledgement, the answer through the response_url."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.bot.fake_slack import FakeSlack
from tests.bot.limits import all_text, assert_within_limits
from tests.bot.served import ServedBot


def test_ack_at_once_then_respond(
    serve: Callable[..., ServedBot], scored_sqlite: Path, fake_slack: FakeSlack
) -> None:
    bot = serve(f"sqlite:///{scored_sqlite}", slack_answer_in_ack=False)
    reply = bot.command("1", tag="card")
    assert (reply.status, reply.body) == (200, "")
    (call,) = fake_slack.wait_for("/respond/card")
    assert call.body["response_type"] == "ephemeral"
    assert_within_limits(call.body)
    assert "Jane Doe" in all_text(call.body)
