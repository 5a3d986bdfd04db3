"""`/clv alerts`: recent alerts, and muting a rule (for SLACK_ALERT_USERS only)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import select

from clv.alerts.evaluate import evaluate_alerts
from clv.store.tables import alert_mutes_table
from tests.bot.limits import all_text, assert_within_limits
from tests.bot.served import BotUnderTest, ServedBot

ADMIN = "U0ADMIN"


def ask(bot: BotUnderTest, text: str, user: str = ADMIN) -> str:
    reply = bot.command(text, user=user)
    assert reply.status == 200, reply.body
    message = reply.json()
    assert message["response_type"] == "ephemeral"
    assert_within_limits(message)
    return all_text(message)


def test_alerts_lists_firings_and_rules(serve: Callable[..., ServedBot], store_copy: str) -> None:
    bot = serve(store_copy, alerts_channel="C0ALERTS", slack_alert_users=ADMIN,
                alert_tiers="Platinum,Gold,Silver")  # fmt: skip
    evaluation = evaluate_alerts(bot.engine, bot.settings, now=datetime.now(UTC))
    assert evaluation.firings
    text = ask(bot, "alerts")
    for firing in evaluation.firings:
        assert f"`{firing.rule}`" in text
    assert "`vip_dormant` — a customer in a top tier turned dormant · on" in text
    assert "_pending_" in text  # evaluated, not posted yet (no scheduler here)


def test_only_alert_users_mute_a_rule(serve: Callable[..., ServedBot], store_copy: str) -> None:
    bot = serve(store_copy, alerts_channel="C0ALERTS", slack_alert_users=ADMIN)
    refused = ask(bot, "alerts mute vip_dormant 7", user="U0SOMEONE")
    assert "Only the people in SLACK_ALERT_USERS" in refused
    assert mutes(bot) == []
    done = ask(bot, "alerts mute vip_dormant 7")
    assert "Muted `vip_dormant` until" in done
    assert [row[0] for row in mutes(bot)] == ["vip_dormant"]
    assert "muted until" in ask(bot, "alerts")
    assert "is unmuted" in ask(bot, "alerts unmute vip_dormant")
    assert mutes(bot) == []


def test_bad_mutes_say_what_is_wrong(serve: Callable[..., ServedBot], store_copy: str) -> None:
    bot = serve(store_copy, alerts_channel="C0ALERTS")
    assert "there is no alert rule 'vip'" in ask(bot, "alerts mute vip 7").replace("&#x27;", "'")
    assert "the rules are vip_dormant, vip_overdue" in ask(bot, "alerts mute vip 7")
    assert "1 to 365 days, not `forever`" in ask(bot, "alerts mute vip_dormant forever")
    assert "`/clv alerts mute <rule> <days>`" in ask(bot, "alerts silence")
    assert mutes(bot) == []


def mutes(bot: BotUnderTest) -> list[tuple[str, str]]:
    with bot.engine.connect() as connection:
        rows = connection.execute(select(alert_mutes_table.c.rule, alert_mutes_table.c.muted_by))
        return [(row.rule, row.muted_by) for row in rows]
