"""Issue 12's first-week defects in Slack answers: did-you-mean, "Why this number?" for a
dormant customer, masking, lists, long input, money. Against the scored CDNOW store."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import text
from sqlmodel import Session

from clv.formatting import money, money_change
from clv.insights.customers import WeekValue
from clv.present.privacy import to_masked_email, to_masked_name
from clv.present.status import to_status
from tests.bot.fake_slack import FakeSlack
from tests.bot.limits import all_text, assert_within_limits, mrkdwn_text
from tests.bot.served import BotUnderTest
from tests.helpers import view_of


def ask(bot: BotUnderTest, asked: str) -> str:
    reply = bot.command(asked)
    assert reply.status == 200, reply.body
    assert_within_limits(reply.json())
    return all_text(reply.json())


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [
        ("champoins", "`/clv segment champions`"),
        ("segmnet champions", "`/clv segment champions`"),
        ("dormnat", "`/clv dormant`"),
        ("segment champoins", "did you mean Champions?"),
        ("hibernatng", "`/clv segment hibernating`"),
        ("platinim", "`/clv segment platinum`"),
        ("Jane", "`/clv 1`"),  # a customer by the start of their name
    ],
)
def test_did_you_mean_names_the_nearest_command_group_or_customer(
    bot: BotUnderTest, typed: str, suggested: str
) -> None:
    """Defect 4: none of these got a suggestion."""
    assert suggested in ask(bot, typed)


def dormant_key(bot: BotUnderTest) -> str:
    query = text(
        "SELECT c.external_id FROM customer_scores s JOIN customers c ON c.id = s.customer_id "
        "WHERE s.dormant AND s.value_at_stake > 1 ORDER BY s.value_at_stake DESC LIMIT 1"
    )
    with bot.engine.connect() as connection:
        return str(connection.execute(query).scalar_one())


def test_why_explains_a_dormant_customer_by_the_value_at_stake(
    bot: BotUnderTest, fake_slack: FakeSlack
) -> None:
    """Defect 5: a dormant customer's "Why this number?" showed "worth $0.13" while the digest
    said "at stake $617"."""
    key = dormant_key(bot)
    card = ask(bot, key)
    bot.click("clv_why", key, tag="why")
    (call,) = fake_slack.wait_for("/respond/why")
    why = all_text(call.body)
    stake = re.search(r"\*(\$[0-9,.]+) at stake\*", why)
    assert stake, why
    assert f"has at stake {stake.group(1)}" in why  # the header leads with it
    assert "if they were still active" in why
    assert "covers the next 12 months" in why
    assert "covers the whole expected lifespan" in why
    assert "last order" in card
    assert "dormant since" in card


def test_a_shared_card_is_masked_with_the_one_rule_and_no_mrkdwn_in_it(
    bot: BotUnderTest, fake_slack: FakeSlack
) -> None:
    """Defect 6: masks showed as "U*** Y***", "J** S**", "C* W*": asterisks are mrkdwn."""
    assert to_masked_name("Jane Doe") == "J••• D•••"
    assert to_masked_email("jane@example.com") == "j•••@e•••.com"
    bot.click("clv_share", "1", user="U42", channel="C77", tag="share")
    (post,) = fake_slack.wait_for("/api/chat.postMessage")
    shown = mrkdwn_text(post.body)
    assert "J••• D•••" in all_text(post.body)
    assert "*" not in re.sub(r"\*[A-Za-z:·()0-9 ,\-]+\*", "", shown)  # only our bold labels


def test_tiers_and_stages_are_listed_in_rank_order_and_say_where_prospects_are(
    bot: BotUnderTest,
) -> None:
    """Defect 7: `/clv segments tier` was sorted by value (Medium, Bronze, Low, Gold, ...)."""
    tiers = ask(bot, "segments tier")
    order = [t for t in ("Platinum", "Gold", "Silver", "Bronze", "Medium", "Low") if t in tiers]
    assert order == sorted(order, key=tiers.index)
    stages = ask(bot, "segments stage")
    named = ["prospect", "new", "retained", "loyal", "dormant"]
    assert [s for s in named if f"*{s}*" in stages] == named
    assert "in rank order" in tiers
    # the dormant rule with the thresholds the run used, not the names of settings
    p_alive, days = bot.settings.dormant_p_alive, bot.settings.dormant_max_days
    assert f"P(alive) &lt; {p_alive:.2f} (DORMANT_P_ALIVE)" in stages, stages  # escaped <
    assert f"more than {days} days (DORMANT_MAX_DAYS)" in stages


@pytest.mark.parametrize(
    ("asked", "answer"),
    [
        ("top 0", "a whole number from 1 to 50; `0` is not one"),
        ("top abc", "a whole number from 1 to 50; `abc` is not one"),
        ("dormant -3", "a whole number from 1 to 50; `-3` is not one"),
        ("top 100", "showing the top 50, the most a message holds"),
    ],
)
def test_list_lengths_say_what_was_done_or_what_is_wrong(
    bot: BotUnderTest, asked: str, answer: str
) -> None:
    """Defect 7: `top 0` returned one row, `top 100` silently 50, `top abc` "I don't know"."""
    assert answer in ask(bot, asked)


def test_the_dormant_list_states_p_alive_once_per_row(bot: BotUnderTest) -> None:
    """Defect 7: rows read "P(alive) 5% · P(alive) 0.05 < 0.30"."""
    rows = [line for line in ask(bot, "dormant 20").splitlines() if "at stake" in line]
    assert rows
    assert all(line.count("P(alive)") <= 1 for line in rows)


def test_long_input_is_clipped_by_grapheme_and_the_sentence_survives(bot: BotUnderTest) -> None:
    """Defect 8: 3,000 mixed-unicode characters were cut inside a code span (a stray backtick),
    split a family emoji and lost the rest of the sentence."""
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"
    typed = ("héllo wörld " + family + " `x` *b* ") * 120
    shown = ask(bot, typed[:3000])
    line = next(line for line in shown.splitlines() if line.startswith("I don't know"))
    assert line.endswith("no such command, segment or customer.")
    assert line.count("`") == 2  # one code span, closed
    echoed = line.split("`")[1]
    assert "\u200d" not in echoed[-2:]  # no sequence cut in the middle
    assert family in echoed or not echoed.rstrip("…").endswith("\U0001f468")


def test_money_reads_one_way_everywhere() -> None:
    """Defect 9: "−1,493 USD" beside "$89,152"."""
    assert money(-1493, "USD", decimals=0) == "\u2212$1,493"
    assert money_change(-1493, "USD") == "\u2212$1,493"
    assert money_change(1493, "USD") == "+$1,493"
    assert money(1234.5, "CHF") == "CHF 1,234.50"
    assert money(-0.001, "USD") == "$0.00"


def test_no_answer_puts_a_currency_code_beside_a_symbol(bot: BotUnderTest) -> None:
    for asked in ("segment hibernating", "segments", "1", "top 5", "dormant 5"):
        shown = ask(bot, asked)
        assert " USD" not in shown, (asked, shown)


def test_dormant_since_is_the_first_flagged_week_or_at_least_the_oldest_week_kept(
    bot: BotUnderTest,
) -> None:
    """Defect 7: "dormant since <date>" showed the last order date; and a customer flagged in
    every stored week is dormant since *at least* the oldest of them, not since then."""
    with Session(bot.engine) as session:
        view = view_of(session, dormant_key(bot))
    weeks = [date(2024, 6, 2) + timedelta(weeks=k) for k in range(4)]
    started = replace(view, history=tuple(WeekValue(w, 10.0, k >= 2) for k, w in enumerate(weeks)))
    always = replace(view, history=tuple(WeekValue(w, 10.0, True) for w in weeks))
    last = f"last order {view.scores.last_order}"
    assert to_status(started) == f"{last}, dormant since {weeks[2]}"
    assert to_status(always) == f"{last}, dormant since at least {weeks[0]}"
