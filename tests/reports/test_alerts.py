"""Alerts are posted once per firing, whatever happens (SQLite and PostgreSQL): two
schedulers, a crash between the claim and the post, a re-run of the same scoring day."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from clv.alerts.evaluate import evaluate_alerts
from clv.alerts.store import mute_rule, recent_alerts
from clv.outreach.holdout import open_assignments
from clv.present.privacy import HIDDEN
from clv.scoring.pipeline import score
from clv.settings import Settings
from clv.store import read_snapshot
from clv.store.tables import alerts_table, customers_table
from reports.alerts.claims import claim_alert
from reports.alerts.publish import EVENT_TYPE, publish_alerts
from reports.digest.claims import CLAIM_LEASE
from reports.digest.publish import digest_client
from reports.jobs import JobContext, run_alerts
from tests.bot.fake_slack import FakeSlack
from tests.reports.conftest import AS_OF, MONDAY_9AM

ALERTS = "C0ALERTS01"
EVERY_TIER = "Platinum,Gold,Silver,Bronze,Medium,Low"  # so the small shop has VIPs at risk


@pytest.fixture
def alert_settings(digest_settings: Settings) -> Settings:
    return digest_settings.model_copy(
        update={
            "alerts_channel": ALERTS,
            "alert_tiers": EVERY_TIER,
            "alert_equity_drop": 0.001,
            "outreach_holdout_share": 0.1,
        }
    )


def context(engine: Engine, settings: Settings, now: datetime = MONDAY_9AM) -> JobContext:
    return JobContext(engine, settings, digest_client(settings), clock=lambda: now)


def alert_rows(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        rows = connection.execute(select(alerts_table).order_by(alerts_table.c.id))
        return [dict(r._mapping) for r in rows]


def alert_posts(fake: FakeSlack) -> list[dict[str, Any]]:
    return [m for m in fake.channel_posts(ALERTS) if (m.get("metadata") or {}).get("event_type")
            == EVENT_TYPE]  # fmt: skip


def one_post_per_firing(engine: Engine, fake: FakeSlack) -> None:
    rows = alert_rows(engine)
    posts = alert_posts(fake)
    assert rows, "the small shop fires at least the VIP rule"
    assert sorted(p["metadata"]["event_payload"]["alert_id"] for p in posts) == [
        r["id"] for r in rows
    ]
    assert all(r["status"] == "posted" for r in rows)
    assert {r["message_ts"] for r in rows} == {p["ts"] for p in posts}


def test_a_run_day_evaluated_again_and_rescored_posts_each_firing_once(
    shop: Engine, alert_settings: Settings, fake_slack: FakeSlack
) -> None:
    first = run_alerts(context(shop, alert_settings))
    assert {o.status for o in first} == {"posted"}
    assert run_alerts(context(shop, alert_settings)) == []  # evaluated again: nothing new
    # the same scoring day scored again (a re-run): its firings are the same rows
    score(shop, alert_settings, as_of=AS_OF, model="mbgnbd")
    again = run_alerts(context(shop, alert_settings, MONDAY_9AM + timedelta(hours=1)))
    assert again == []
    one_post_per_firing(shop, fake_slack)
    rules = {r["rule"] for r in alert_rows(shop)}
    assert "vip_dormant" in rules


def test_two_schedulers_post_one_message_per_firing(
    shop: Engine, alert_settings: Settings, fake_slack: FakeSlack
) -> None:
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def scheduler() -> None:
        try:
            barrier.wait()
            run_alerts(context(shop, alert_settings))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    one_post_per_firing(shop, fake_slack)


def test_a_crash_between_claim_and_post_posts_once_after_the_lease(
    shop: Engine, alert_settings: Settings, fake_slack: FakeSlack
) -> None:
    evaluate_alerts(shop, alert_settings, now=MONDAY_9AM)
    crashed = [claim_alert(shop, row["id"], now=MONDAY_9AM) for row in alert_rows(shop)]
    assert all(c is not None for c in crashed)  # then the process died: nothing was posted
    client = digest_client(alert_settings)
    soon = publish_alerts(shop, alert_settings, client, now=MONDAY_9AM + timedelta(minutes=5))
    assert soon == []  # a live claim: nobody else posts
    later = MONDAY_9AM + CLAIM_LEASE + timedelta(minutes=1)
    outcomes = publish_alerts(shop, alert_settings, client, now=later)
    assert {o.status for o in outcomes} == {"posted"}
    assert fake_slack.named("/api/conversations.history")  # it looked before posting
    one_post_per_firing(shop, fake_slack)
    assert {r["attempts"] for r in alert_rows(shop)} == {2}


def test_a_post_that_reached_slack_before_the_crash_is_recorded_not_reposted(
    shop: Engine, alert_settings: Settings, fake_slack: FakeSlack
) -> None:
    evaluate_alerts(shop, alert_settings, now=MONDAY_9AM)
    client = digest_client(alert_settings)
    for row in alert_rows(shop):
        assert claim_alert(shop, row["id"], now=MONDAY_9AM) is not None
        client.chat_postMessage(  # the dead process had posted, then died before recording
            channel=ALERTS, text=row["summary"],
            metadata={"event_type": EVENT_TYPE, "event_payload": {"alert_id": row["id"]}},
        )  # fmt: skip
    later = MONDAY_9AM + CLAIM_LEASE + timedelta(minutes=1)
    outcomes = publish_alerts(shop, alert_settings, client, now=later)
    assert {o.status for o in outcomes} == {"recovered"}
    one_post_per_firing(shop, fake_slack)


@pytest.mark.parametrize("carried_out", [False, True], ids=["not posted", "posted anyway"])
def test_a_failed_post_is_retried_by_the_alerts_job_once(
    shop: Engine, alert_settings: Settings, fake_slack: FakeSlack, carried_out: bool
) -> None:
    """A 500 from chat.postMessage may or may not have posted: the retry looks first."""
    fake_slack.faults.server_error("chat.postMessage", carried_out=carried_out)
    first = run_alerts(context(shop, alert_settings))
    assert [o.status for o in first].count("failed") == 1
    later = MONDAY_9AM + timedelta(minutes=10)
    retried = publish_alerts(shop, alert_settings, digest_client(alert_settings), now=later)
    assert [o.status for o in retried] == ["recovered" if carried_out else "posted"]
    one_post_per_firing(shop, fake_slack)


def test_several_vips_are_one_masked_message_with_buttons_and_held_out_rows(
    shop: Engine, alert_settings: Settings, fake_slack: FakeSlack
) -> None:
    run_alerts(context(shop, alert_settings))
    (row,) = [r for r in alert_rows(shop) if r["rule"] == "vip_dormant"]
    (post,) = [p for p in alert_posts(fake_slack) if p["ts"] == row["message_ts"]]
    payload = row["payload"]
    assert payload["total"] > len(payload["customers"]) == 10  # one message: ten and "more"
    text = str(post["blocks"])
    with shop.connect() as connection:
        people = connection.execute(
            select(customers_table.c.id, customers_table.c.name, customers_table.c.email)
        ).all()
    names = {row.id: row.name for row in people}
    emails = {row.id: row.email for row in people}
    for listed in payload["customers"]:
        assert names[listed["store_id"]] not in text  # masked: "B••• N•••"
        assert str(emails[listed["store_id"]]) not in text
    assert HIDDEN in text
    assert f"and {payload['total'] - 10:,} more" in text
    ids = [int(c["store_id"]) for c in payload["customers"]]
    with read_snapshot(shop) as session:
        arms = open_assignments(session, ids, AS_OF)
    assert set(arms) == set(ids) - {1}  # recorded for the listed (customer 1 opted out)
    buttons = [b for b in post["blocks"] if (b.get("accessory") or {}).get("type") == "button"]
    held = [a for a in arms.values() if a.held_out]
    assert len(buttons) + len(held) + (1 in ids) == len(ids)
    assert text.count("held out as the control group") == len(held)


def test_a_muted_rule_is_kept_and_listed_but_not_posted(
    shop: Engine, alert_settings: Settings, fake_slack: FakeSlack
) -> None:
    mute_rule(shop, "vip_dormant", days=7, by="U0ADMIN", now=MONDAY_9AM)
    run_alerts(context(shop, alert_settings))
    muted = [r for r in alert_rows(shop) if r["rule"] == "vip_dormant"]
    assert [r["status"] for r in muted] == ["muted"]
    assert all(p["metadata"]["event_payload"]["rule"] != "vip_dormant"
               for p in alert_posts(fake_slack))  # fmt: skip
    with read_snapshot(shop) as session:
        view = recent_alerts(session, now=MONDAY_9AM, enabled=("vip_dormant",))
    assert "vip_dormant" in view.muted
    assert [a.status for a in view.recent if a.rule == "vip_dormant"] == ["muted"]
