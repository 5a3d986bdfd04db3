"""Every `/clv` sub-command against a scored CDNOW store, answered in the acknowledgement."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.bot.fixtures import INJECTED_NAME, build_scored_store
from tests.bot.limits import all_text, assert_within_limits, mrkdwn_text
from tests.bot.served import BotUnderTest, ServedBot


def ask(bot: BotUnderTest, text: str) -> str:
    reply = bot.command(text)
    assert reply.status == 200, reply.body
    message = reply.json()
    assert message["response_type"] == "ephemeral"
    assert_within_limits(message)
    return all_text(message)


def stored_segment(bot: BotUnderTest, key: str) -> str:
    """The segment the store holds for customer `key` (what the card must show)."""
    query = text(
        "SELECT s.segment FROM customer_scores s JOIN customers c ON c.id = s.customer_id "
        "WHERE c.external_id = :key"
    )
    with bot.engine.connect() as connection:
        return str(connection.execute(query, {"key": key}).scalar_one())


def stored_range(bot: BotUnderTest, key: str) -> str:
    """'$36.73 (80 %: $0.00–$97.12)' from the stored CLV and its range."""
    query = text(
        "SELECT s.predicted_clv, s.clv_low, s.clv_high FROM customer_scores s "
        "JOIN customers c ON c.id = s.customer_id WHERE c.external_id = :key"
    )
    with bot.engine.connect() as connection:
        clv, low, high = connection.execute(query, {"key": key}).one()
    return f"${clv:,.2f} (80 %: ${low:,.2f}–${high:,.2f})"


def test_customer_card(bot: BotUnderTest) -> None:
    card = bot.command("1").json()
    text = all_text(card)
    for expected in (
        "Jane Doe",
        "customer `1`",
        "*Predicted CLV (12 months)*",
        "*Historical value · total CLV*\n$74.02 · $110.75",  # 74.02 × margin 1 + 36.73
        "likely active (P(alive) 73%)",
        "3 · $24.67",
        "1997-01-01 · 1997-08-02",
        f"*Predicted CLV (12 months)*\n{stored_range(bot, '1')}",
        "*Expected purchases, next 12 months*",
        f"*Segment*\n{stored_segment(bot, '1')}",
        "22.2 — healthy",  # CLV:CAC = total CLV 110.75 / CAC $5
        "*NPS*\n9",
        "3-week CLV trend",
        "scores as of 1997-09-30",
    ):
        assert expected in text, expected
    buttons = card["blocks"][-1]["elements"]
    assert [b["text"]["text"] for b in buttons] == ["Why this number?", "Share in channel"]
    assert ask(bot, "JANE.DOE@example.com") == text  # by email, any case


def test_customer_card_flags_a_losing_clv_cac(bot: BotUnderTest) -> None:
    assert "losing money" in ask(bot, "2")  # CAC $500


def test_data_never_becomes_mrkdwn(bot: BotUnderTest) -> None:
    message = bot.command("2").json()
    text = mrkdwn_text(message)
    assert "<!channel>" not in text
    assert "<https://" not in text
    assert "&lt;!channel&gt; &lt;https://evil.example|click&gt; &amp; co" in text
    assert message["blocks"][0]["text"]["text"] == INJECTED_NAME  # plain_text header: inert
    for listing in ("top 50", "dormant 50", "segment champions", "2"):
        assert "<!channel>" not in mrkdwn_text(bot.command(listing).json())


def test_segment_and_segments(bot: BotUnderTest) -> None:
    text = ask(bot, "segment CANT lose them")
    assert "Can't Lose Them (segment)" in text
    assert "rule: R 1–2 and F 5" in text
    assert "*Week over week*" in text
    assert "Top customers by predicted CLV" in text
    assert "Platinum (tier)" in ask(bot, "segment platinum")
    overview = ask(bot, "segments")
    assert "Customers by segment" in overview
    assert "Champions" in overview
    assert "w/w" in overview
    assert "Customers by tier" in ask(bot, "segments tiers")
    assert "takes one of segment, tier, stage" in ask(bot, "segments colour")
    assert "no segment, tier or stage called 'whales'" in ask(bot, "segment whales")


def test_dormant_and_top(bot: BotUnderTest) -> None:
    dormant = ask(bot, "dormant 5")
    assert "Re-engagement list" in dormant
    assert dormant.count("— at stake") == 5
    top = ask(bot, "top")
    assert "Most valuable customers" in top
    assert top.count("P(alive)") == 10
    longest = ask(bot, "top 500")  # capped at 50 rows, then at Slack's size limits
    assert "1. `" in longest
    assert "51. `" not in longest


def test_model(bot: BotUnderTest) -> None:
    text = ask(bot, "model")
    assert "BG/NBD + Gamma-Gamma" in text
    assert "2,357 · 2,357" in text
    assert "actual 1,882" in text


@pytest.mark.parametrize("text", ["", "help", "  HELP  "])
def test_help(bot: BotUnderTest, text: str) -> None:
    assert "/clv segment <name>" in ask(bot, text).replace("&lt;", "<").replace("&gt;", ">")


def test_unknown_customer_gets_help_and_did_you_mean(bot: BotUnderTest) -> None:
    text = ask(bot, "jane.do@example.com")
    assert "I don't know `jane.do@example.com`" in text
    assert "Did you mean `/clv jane.doe@example.com`" in text
    assert "`/clv top [N]`" in text
    assert "Did you mean" in ask(bot, "23577")  # a typo of an existing id
    nonsense = ask(bot, "what is the weather")
    assert "I don't know" in nonsense
    assert "Did you mean" not in nonsense


def test_no_scores_yet_says_how_to_score(
    serve: Callable[..., ServedBot], database_url: str
) -> None:
    bot = serve(database_url)
    text = ask(bot, "1")
    assert "no scores yet" in text.lower()
    assert "`clvbot score`" in text
    # help and a bad list length need no scores: they are answered as on a scored store
    assert "`/clv top [N]`" in ask(bot, "help")
    assert "a whole number from 1 to 50" in ask(bot, "top abc")


def test_every_sub_command_on_each_backend(
    serve: Callable[..., ServedBot], database_url: str, tmp_path: Path
) -> None:
    build_scored_store(database_url, tmp_path)
    bot = serve(database_url)
    for asked in ("1", "segment champions", "segments", "dormant 3", "top 3", "model", "help"):
        assert "something went wrong" not in ask(bot, asked), asked
    assert "Did you mean `/clv jane.doe@example.com`" in ask(bot, "jane.do@example.com")
