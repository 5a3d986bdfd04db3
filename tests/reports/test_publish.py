"""The digest is posted once per channel and week, whatever happens (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import date, timedelta

from sqlalchemy import Engine, select

from clv.settings import Settings
from clv.store.tables import digest_posts_table
from reports.digest.claims import claim_digest
from reports.digest.publish import EVENT_TYPE, digest_client, publish_digest
from tests.bot.fake_slack import FakeSlack
from tests.reports.conftest import AS_OF, CHANNEL, MONDAY_9AM

WEEK = AS_OF  # a Sunday: its own week end


def post(shop: Engine, settings: Settings, **kwargs: object) -> str:
    outcome = publish_digest(
        shop,
        settings,
        digest_client(settings),
        channel=CHANNEL,
        week_end=WEEK,
        now=MONDAY_9AM,
        **kwargs,
    )  # type: ignore[arg-type]
    return outcome.status


def rows(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as connection:
        return [dict(r._mapping) for r in connection.execute(select(digest_posts_table))]


def test_digest_is_posted_once_with_its_chart_in_the_thread(
    shop: Engine, digest_settings: Settings, fake_slack: FakeSlack
) -> None:
    assert post(shop, digest_settings) == "posted"
    assert post(shop, digest_settings) == "already_posted"
    messages = fake_slack.channel_posts(CHANNEL)
    assert len(messages) == 1
    assert messages[0]["metadata"]["event_type"] == EVENT_TYPE
    assert messages[0]["metadata"]["event_payload"]["week_end"] == WEEK.isoformat()
    (row,) = rows(shop)
    assert row["status"] == "posted"
    assert row["message_ts"] == messages[0]["ts"]
    assert row["attempts"] == 1
    complete = fake_slack.wait_for("/api/files.completeUploadExternal")[0].body
    assert complete["thread_ts"] == messages[0]["ts"]
    (upload,) = fake_slack.named("/upload/")
    assert upload.raw.startswith(b"\x89PNG")


def test_concurrent_posts_of_one_week_post_one_digest(
    shop: Engine, digest_settings: Settings, fake_slack: FakeSlack
) -> None:
    results: list[str] = []
    barrier = threading.Barrier(6)

    def attempt() -> None:
        barrier.wait()
        results.append(post(shop, digest_settings))

    threads = [threading.Thread(target=attempt) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results).count("posted") == 1
    assert set(results) <= {"posted", "already_posted", "in_progress"}
    assert len(fake_slack.channel_posts(CHANNEL)) == 1


def test_crash_between_claim_and_post_posts_once_after_the_lease(
    shop: Engine, digest_settings: Settings, fake_slack: FakeSlack
) -> None:
    # a process claimed the week and died before posting anything
    claim_digest(
        shop,
        channel=CHANNEL,
        week_end=WEEK,
        now=MONDAY_9AM,
        trigger="schedule",
        token="dead-host:1:abc",
    )
    assert post(shop, digest_settings) == "in_progress"  # its lease is still running
    later = MONDAY_9AM + timedelta(minutes=16)
    outcome = publish_digest(
        shop,
        digest_settings,
        digest_client(digest_settings),
        channel=CHANNEL,
        week_end=WEEK,
        now=later,
    )
    assert outcome.status == "posted"
    assert len(fake_slack.channel_posts(CHANNEL)) == 1
    (row,) = rows(shop)
    assert row["attempts"] == 2
    assert row["status"] == "posted"


def test_a_digest_posted_before_the_answer_was_lost_is_found_not_reposted(
    shop: Engine, digest_settings: Settings, fake_slack: FakeSlack
) -> None:
    fake_slack.faults.server_error("chat.postMessage", carried_out=True)  # we hear a 500
    assert post(shop, digest_settings) == "failed"
    assert len(fake_slack.channel_posts(CHANNEL)) == 1
    assert post(shop, digest_settings) == "recovered"
    assert post(shop, digest_settings) == "already_posted"
    messages = fake_slack.channel_posts(CHANNEL)
    assert len(messages) == 1
    (row,) = rows(shop)
    assert row["status"] == "posted"
    assert row["message_ts"] == messages[0]["ts"]


def test_a_rate_limited_post_waits_out_retry_after_and_posts_once(
    shop: Engine, digest_settings: Settings, fake_slack: FakeSlack
) -> None:
    fake_slack.faults.rate_limit("chat.postMessage", retry_after=1)  # not carried out
    assert post(shop, digest_settings) == "posted"
    first, second = fake_slack.named("/api/chat.postMessage")
    assert second.at - first.at >= 1.0
    assert len(fake_slack.channel_posts(CHANNEL)) == 1


def test_a_server_error_is_not_retried_blind_and_the_next_attempt_looks_first(
    shop: Engine, digest_settings: Settings, fake_slack: FakeSlack
) -> None:
    fake_slack.faults.server_error("chat.postMessage", status=503)  # not posted, as it happens
    assert post(shop, digest_settings) == "failed"
    assert len(fake_slack.named("/api/chat.postMessage")) == 1  # a 5xx may have been posted
    assert fake_slack.named("/api/conversations.history") == []
    assert post(shop, digest_settings) == "posted"
    (search,) = fake_slack.named("/api/conversations.history")
    assert float(search.body["oldest"]) < MONDAY_9AM.timestamp()
    assert len(fake_slack.channel_posts(CHANNEL)) == 1


def test_a_failure_before_posting_is_retried_and_posts_once(
    shop: Engine, digest_settings: Settings, fake_slack: FakeSlack
) -> None:
    fake_slack.faults.fail("chat.postMessage", "channel_not_found")
    assert post(shop, digest_settings) == "failed"
    (row,) = rows(shop)
    assert row["status"] == "failed"
    assert "channel_not_found" in str(row["error"])
    assert post(shop, digest_settings) == "posted"
    assert len(fake_slack.channel_posts(CHANNEL)) == 1


def test_nothing_is_posted_when_an_earlier_attempt_cannot_be_checked(
    shop: Engine, digest_settings: Settings, fake_slack: FakeSlack
) -> None:
    fake_slack.faults.server_error("chat.postMessage", carried_out=True)
    assert post(shop, digest_settings) == "failed"
    fake_slack.faults.fail("conversations.history", "missing_scope")
    assert post(shop, digest_settings) == "failed"  # at most once: never post blind
    assert len(fake_slack.channel_posts(CHANNEL)) == 1


def test_force_posts_again(shop: Engine, digest_settings: Settings, fake_slack: FakeSlack) -> None:
    assert post(shop, digest_settings) == "posted"
    assert post(shop, digest_settings, force=True) == "posted"
    assert len(fake_slack.channel_posts(CHANNEL)) == 2
    (row,) = rows(shop)
    assert row["attempts"] == 2
    assert row["trigger"] == "force"


def test_each_channel_and_week_is_its_own_digest(
    shop: Engine, digest_settings: Settings, fake_slack: FakeSlack
) -> None:
    client = digest_client(digest_settings)
    for channel, week in ((CHANNEL, WEEK), ("C0OTHER001", WEEK), (CHANNEL, WEEK - timedelta(7))):
        outcome = publish_digest(
            shop, digest_settings, client, channel=channel, week_end=week, now=MONDAY_9AM
        )
        assert outcome.status == "posted"
    assert len(fake_slack.channel_posts(CHANNEL)) == 2
    assert len(fake_slack.channel_posts("C0OTHER001")) == 1
    assert {(r["channel"], r["week_end"]) for r in rows(shop)} == {
        (CHANNEL, WEEK),
        ("C0OTHER001", WEEK),
        (CHANNEL, WEEK - timedelta(7)),
    }
    assert all(isinstance(r["week_end"], date) for r in rows(shop))
