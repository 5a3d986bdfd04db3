"""SLACK_ALLOWED_USERS / SLACK_ALLOWED_CHANNELS: others get a polite refusal and nothing else."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from tests.bot.fake_slack import FakeSlack
from tests.bot.limits import all_text
from tests.bot.served import ServedBot


def test_only_allowed_users_and_channels(
    serve: Callable[..., ServedBot], scored_sqlite: Path, fake_slack: FakeSlack
) -> None:
    bot = serve(
        f"sqlite:///{scored_sqlite}",
        slack_allowed_users="U1, U2",
        slack_allowed_channels="C1",
    )
    assert "Jane Doe" in all_text(bot.command("1", user="U2", channel="C1").json())
    for user, channel in (("U3", "C1"), ("U1", "C2")):
        refusal = bot.command("1", user=user, channel=channel).json()
        text = all_text(refusal)
        assert refusal["response_type"] == "ephemeral"
        assert "not enabled for you here" in text
        assert "Jane" not in text
        assert "$" not in text
    bot.click("clv_share", "1", user="U3", channel="C1", tag="refused")
    (note,) = fake_slack.wait_for("/respond/refused")
    assert "not enabled for you here" in all_text(note.body)
    time.sleep(0.3)  # a lazy listener would have posted by now
    assert fake_slack.named("/api/chat.") == []
