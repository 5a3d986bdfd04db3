"""`/clv subscribe`, `/clv subscriptions`, `/clv unsubscribe`: signed commands as Slack sends
them; only SLACK_ADMIN_USERS change deliveries, anyone may list them; a scheduler running in
the process follows at once."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from clv.store.tables import digest_subscriptions_table
from reports.scheduler import start_scheduler, subscription_job_id
from tests.bot.limits import all_text, assert_within_limits
from tests.bot.served import BotUnderTest, ServedBot

ADMIN, SOMEONE = "U0ADMIN", "U0SOMEONE"
SALES = "C0SALES001"


_tags = itertools.count(1)
WRITES = ("subscribe", "unsubscribe")  # answered after the acknowledgement


def ask(bot: BotUnderTest, text: str, user: str = ADMIN, channel: str = SALES) -> str:
    """The answer to `/clv <text>`: in the acknowledgement, or, for a command that writes,
    through the command's response_url after an empty acknowledgement."""
    tag = f"sub{next(_tags)}"
    reply = bot.command(text, user=user, channel=channel, tag=tag)
    assert reply.status == 200, reply.body
    if text.split()[0] in WRITES:
        assert reply.body == ""  # acknowledged at once: nothing was written before it
        (call,) = bot.fake.wait_for(f"/respond/{tag}")
        message = call.body
    else:
        message = reply.json()
    assert message["response_type"] == "ephemeral"
    assert_within_limits(message)
    return all_text(message).replace("&#x27;", "'")


def stored(bot: BotUnderTest) -> int:
    with bot.engine.connect() as connection:
        count = select(func.count()).select_from(digest_subscriptions_table)
        return int(connection.execute(count).scalar_one())


def test_only_admin_users_subscribe_or_unsubscribe(
    serve: Callable[..., ServedBot], store_copy: str
) -> None:
    bot = serve(store_copy, slack_admin_users=ADMIN)
    refused = ask(bot, "subscribe tier gold", user=SOMEONE)
    assert "only the people in `SLACK_ADMIN_USERS` can subscribe channels to digests" in refused
    assert stored(bot) == 0
    assert "Subscribed <#C0SALES001>" in ask(bot, "subscribe tier gold")
    assert "only the people in `SLACK_ADMIN_USERS`" in ask(bot, "unsubscribe 1", user=SOMEONE)
    assert stored(bot) == 1
    assert "*#1*" in ask(bot, "subscriptions", user=SOMEONE)  # listing is for anyone


def test_nobody_subscribes_from_slack_when_no_admin_is_named(
    serve: Callable[..., ServedBot], store_copy: str
) -> None:
    bot = serve(store_copy)
    assert "`SLACK_ADMIN_USERS` names nobody" in ask(bot, "subscribe")
    assert stored(bot) == 0


def test_subscribe_list_and_unsubscribe(serve: Callable[..., ServedBot], store_copy: str) -> None:
    bot = serve(store_copy, slack_admin_users=ADMIN, digest_channel="C0DIGEST01",
                digest_cron="30 8 * * fri", timezone="Europe/Paris")  # fmt: skip
    done = ask(bot, "subscribe tier gold weekly mon 09:00 America/Los_Angeles")
    assert (
        "Subscribed <#C0SALES001> to the Gold tier's digest, weekly on Monday at 09:00 "
        "America/Los_Angeles: subscription *#1*." in done
    )
    assert re.search(r"First delivery Mon \d\d \w{3} \d{4} 09:00 P[DS]T \(1[67]:00 UTC\)", done)
    assert "scheduler picks it up within a few minutes" in done  # none runs in this process
    assert "already has this subscription: *#1*" in ask(bot, "subscribe tier Gold mon 09:00 "
                                                             "america/los_angeles")  # fmt: skip
    monthly = ask(bot, "subscribe segment can't lose them monthly 15 07:30", channel="C0OTHER001")
    assert "the Can't Lose Them segment's digest, monthly on the 15th at 07:30 Europe/Paris" in (
        monthly
    )
    assert stored(bot) == 2
    listing = ask(bot, "subscriptions", user=SOMEONE)
    lines = [line for line in listing.splitlines() if line.startswith("*")]
    assert lines[0].startswith(
        "*default* · <#C0DIGEST01> · the whole shop, weekly · DIGEST_CRON `30 8 * * fri` in "
        "Europe/Paris · next Fri"
    )
    assert lines[1].startswith(
        "*#1* · <#C0SALES001> · the Gold tier, weekly · weekly on Monday at 09:00 "
        "America/Los_Angeles · next Mon"
    )
    assert re.search(r"next Mon \d\d \w{3} \d{4} 09:00 P[DS]T", lines[1])
    assert lines[2].startswith("*#2* · <#C0OTHER001> · the Can't Lose Them segment, monthly")
    assert re.search(r"next \w{3} 15 \w{3} \d{4} 07:30 CES?T", lines[2])
    removed = ask(bot, "unsubscribe 1")
    assert "Removed subscription *#1*: the Gold tier's digest to <#C0SALES001>" in removed
    assert "*#1*" not in ask(bot, "subscriptions")
    assert "There is no subscription #1" in ask(bot, "unsubscribe #1")
    assert "not `one`" in ask(bot, "unsubscribe one")
    assert "unset `DIGEST_CHANNEL`" in ask(bot, "unsubscribe default")
    assert stored(bot) == 1


def test_wrong_words_are_named_and_nothing_is_stored(
    serve: Callable[..., ServedBot], store_copy: str
) -> None:
    bot = serve(store_copy, slack_admin_users=ADMIN)
    for text, said in (
        ("subscribe tier golden", "no tier called 'golden'; did you mean Gold?"),
        ("subscribe monthly 31", "`31` is not a day a monthly digest can use: say 1 to 28"),
        ("subscribe weekly mon 9am", "I don't understand `9am`"),
        ("subscribe mon 09:00 Mars/Olympus", "`Mars/Olympus` is not a time zone"),
        ("subscribe channel email", "no acquisition channel called 'email'"),
        ("subscribe <!channel>", "I don't understand `&lt;!channel&gt;`"),
    ):
        answer = ask(bot, text)
        assert said in answer, answer
        assert "How to use" in answer or "/clv subscribe" in answer
    assert stored(bot) == 0
    assert "No digest is delivered anywhere yet" in ask(bot, "subscriptions")


def test_the_help_names_the_subscription_commands(
    serve: Callable[..., ServedBot], store_copy: str
) -> None:
    help_text = ask(serve(store_copy), "help")
    assert "`/clv subscribe [segment|tier|channel <name>] [weekly|monthly] [day] [HH:MM]" in (
        help_text
    )
    assert "`/clv subscriptions`" in help_text
    assert "`/clv unsubscribe <n>`" in help_text


def test_a_scheduler_in_the_process_follows_at_once(
    serve: Callable[..., ServedBot], store_copy: str
) -> None:
    bot = serve(store_copy, slack_admin_users=ADMIN)
    scheduler = start_scheduler(bot.engine, bot.settings)
    scheduler.pause()  # no job runs: only what the commands change is looked at
    try:
        done = ask(bot, "subscribe weekly tue 06:15 Asia/Tokyo")
        assert "picks it up" not in done
        job = scheduler.get_job(subscription_job_id(1))
        assert job is not None
        assert repr(job.trigger) == (
            "<CronTrigger (month='*', day='*', day_of_week='tue', hour='6', minute='15', "
            "timezone='Asia/Tokyo')>"
        )
        assert job.next_run_time.strftime("%a %H:%M") == "Tue 06:15"
        ask(bot, "unsubscribe 1")
        assert scheduler.get_job(subscription_job_id(1)) is None
    finally:
        scheduler.shutdown(wait=True)


@pytest.mark.parametrize("answer_in_ack", [True, False])
def test_subscribing_is_answered_once_after_the_acknowledgement_and_the_row_is_written(
    serve: Callable[..., ServedBot], store_copy: str, answer_in_ack: bool
) -> None:
    """The write runs in bolt's lazy listener, outside the read deadline: the command is
    acknowledged with nothing, then answered through its response_url, once, in both modes
    (SLACK_ANSWER_IN_ACK=false answers every command there)."""
    bot = serve(store_copy, slack_admin_users=ADMIN, slack_answer_in_ack=answer_in_ack)
    reply = bot.command("subscribe tier gold", user=ADMIN, channel=SALES, tag="write")
    assert (reply.status, reply.body) == (200, "")
    (answer,) = bot.fake.wait_for("/respond/write")
    assert "Subscribed <#C0SALES001> to the Gold tier's digest" in all_text(answer.body)
    assert stored(bot) == 1
    bot.command("unsubscribe 1", user=ADMIN, channel=SALES, tag="remove")
    (removed,) = bot.fake.wait_for("/respond/remove")
    assert "Removed subscription *#1*" in all_text(removed.body)
    assert stored(bot) == 0
    # a read answered after both: had a second lazy listener answered them too, its post
    # would be in by now (each command's listeners run in order on bolt's lazy thread)
    listing = bot.command("subscriptions", user=SOMEONE, channel=SALES, tag="read")
    if not answer_in_ack:
        bot.fake.wait_for("/respond/read")
    else:
        assert "No digest is delivered anywhere yet" in all_text(listing.json())
    assert len(bot.fake.named("/respond/write")) == 1
    assert len(bot.fake.named("/respond/remove")) == 1


@pytest.mark.parametrize(
    ("error", "said"),
    [
        ("not_in_channel", "I am not a member of <#C0SALES001>, so I cannot post its digests: "
                           "invite me with `/invite @clvbot`"),
        ("channel_not_found", "I am not a member of <#C0SALES001>"),  # a private channel
        ("ratelimited", "I can only post where I am a member: if I am not, invite me"),
    ],
)  # fmt: skip
def test_subscribing_says_when_clvbot_is_not_in_the_channel(
    serve: Callable[..., ServedBot], store_copy: str, error: str, said: str
) -> None:
    bot = serve(store_copy, slack_admin_users=ADMIN)
    member = ask(bot, "subscribe tier gold")
    assert "invite me" not in member  # conversations.history answered: clvbot is a member
    (probe,) = bot.fake.named("/api/conversations.history")
    assert (probe.body["channel"], str(probe.body["limit"])) == (SALES, "1")
    bot.fake.faults.fail("conversations.history", error)
    answer = ask(bot, "subscribe tier silver")
    assert said in answer
    assert "Subscribed <#C0SALES001> to the Silver tier's digest" in answer  # stored anyway
    assert stored(bot) == 2
