"""The bot tests' digest with outreach buttons: a small scored shop, the bot on it with the
smtp backend, and the digest it posted (as Slack holds it)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from clv.settings import Settings
from reports.digest.publish import digest_client, publish_digest
from tests.bot.fake_slack import FakeSlack
from tests.bot.served import ServedBot
from tests.outreach.conftest import UNSUBSCRIBE
from tests.reports.conftest import AS_OF, CHANNEL, MONDAY_9AM, build_small_shop
from tests.smtp import SmtpServer


def post_digest(
    engine: Engine,
    settings: Settings,
    tmp_path: Path,
    fake_slack: FakeSlack,
    smtp_server: SmtpServer,
    serve: Callable[..., ServedBot],
    **overrides: Any,
) -> tuple[ServedBot, dict[str, Any]]:
    """The bot (smtp backend, `overrides` for its settings) and the digest it posted, as Slack
    would hold it."""
    build_small_shop(engine, settings, tmp_path)
    values: dict[str, Any] = {
        "outreach_backend": "smtp", "smtp_host": "127.0.0.1", "smtp_port": smtp_server.port,
        "smtp_starttls": False, "smtp_from": "shop@example.com",
        "outreach_unsubscribe_url": UNSUBSCRIBE, "digest_channel": CHANNEL, **overrides,
    }  # fmt: skip
    bot = serve(settings.database_url, **values)
    fake_slack.ts_base = MONDAY_9AM.timestamp()
    publish_digest(engine, bot.settings, digest_client(bot.settings), channel=CHANNEL,
                   week_end=AS_OF, now=MONDAY_9AM)  # fmt: skip
    (message,) = fake_slack.channel_posts(CHANNEL)
    return bot, message


@pytest.fixture
def digest_bot(
    engine: Engine,
    settings: Settings,
    tmp_path: Path,
    fake_slack: FakeSlack,
    smtp_server: SmtpServer,
    serve: Callable[..., ServedBot],
) -> tuple[ServedBot, dict[str, Any]]:
    return post_digest(engine, settings, tmp_path, fake_slack, smtp_server, serve)
