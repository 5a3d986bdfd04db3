"""Button clicks (block_actions): acknowledged at once, answered by a lazy listener."""

from __future__ import annotations

from tests.bot.fake_slack import FakeSlack
from tests.bot.limits import all_text, assert_within_limits, mrkdwn_text
from tests.bot.served import BotUnderTest


def test_why_this_number_takes_the_clv_apart(bot: BotUnderTest, fake_slack: FakeSlack) -> None:
    reply = bot.click("clv_why", "1", tag="why")
    assert (reply.status, reply.body) == (200, "")
    (call,) = fake_slack.wait_for("/respond/why")
    assert call.body["replace_original"] is False
    assert_within_limits(call.body)
    text = all_text(call.body)
    assert "*Predicted CLV $36.73* covers the next 12 months" in text
    assert "discounted at 10% a year" in text
    assert "× expected spend per order (Gamma-Gamma)" in text
    assert "× gross margin: *100%*" in text
    assert "Formula CLV" in text
    assert "Median predicted CLV in " in text
    assert "covers the whole expected lifespan" in text


def test_share_in_channel_posts_a_masked_card(bot: BotUnderTest, fake_slack: FakeSlack) -> None:
    assert bot.click("clv_share", "1", user="U42", channel="C77", tag="share").status == 200
    (post,) = fake_slack.wait_for("/api/chat.postMessage")
    assert post.body["channel"] == "C77"
    assert post.headers["Authorization"] == "Bearer xoxb-test-0000-secret-token"
    assert_within_limits(post.body)
    text = all_text(post.body)
    assert "Jane" not in text
    assert "Doe" not in text
    assert "jane.doe" not in text
    assert "J••• D•••" in text
    assert "j•••@e•••.com" in text
    assert "shared by <@U42>" in text
    assert not [b for b in post.body["blocks"] if b["type"] == "actions"]  # no buttons in public
    (note,) = fake_slack.wait_for("/respond/share")
    assert "Shared in <#C77>" in all_text(note.body)


def test_shared_injection_stays_text(bot: BotUnderTest, fake_slack: FakeSlack) -> None:
    bot.click("clv_share", "2", channel="C77")
    (post,) = fake_slack.wait_for("/api/chat.postMessage")
    text = mrkdwn_text(post.body)
    assert "<!channel>" not in text
    assert "<https://" not in text


def test_rate_limited_post_is_retried(bot: BotUnderTest, fake_slack: FakeSlack) -> None:
    fake_slack.faults.rate_limit("chat.postMessage")  # 429 + Retry-After: 1, once
    bot.click("clv_share", "1", channel="C77", tag="share")
    posts = fake_slack.wait_for("/api/chat.postMessage", count=2, timeout=15)
    assert len(posts) == 2
    (note,) = fake_slack.wait_for("/respond/share", timeout=15)
    assert "Shared in <#C77>" in all_text(note.body)


def test_a_click_for_a_customer_gone_from_the_scores(
    bot: BotUnderTest, fake_slack: FakeSlack
) -> None:
    bot.click("clv_why", "no-such-customer", tag="gone")
    (call,) = fake_slack.wait_for("/respond/gone")
    assert "no customer with id or email" in all_text(call.body)
