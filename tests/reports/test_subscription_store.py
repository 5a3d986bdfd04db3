"""Digest subscriptions in the store (SQLite and PostgreSQL, migrated as in production): a
removed subscription's number is never given to a new one, which therefore starts with no
claims, and the same subscription cannot be stored twice, even by racing requests."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from clv.insights.scope import GroupScope
from clv.settings import Settings
from clv.store.subscriptions import Added, add_subscription, remove_subscription
from clv.store.tables import digest_subscriptions_table
from clv.subscriptions import Schedule
from reports.jobs import JobContext, run_subscription
from tests.bot.fake_slack import FakeSlack
from tests.reports.conftest import build_small_shop

MONDAY_9 = Schedule("weekly", 0, 9, 0, "UTC")
NOW = datetime(2024, 7, 1, 9, 0, tzinfo=UTC)  # the small shop's Monday: week 30 Jun 2024


def _add(engine: Engine, channel: str, schedule: Schedule = MONDAY_9) -> Added:
    return add_subscription(engine, channel=channel, scope=None, schedule=schedule, by="U0ADMIN",
                            now=NOW)  # fmt: skip


def _stored(engine: Engine) -> int:
    with engine.connect() as connection:
        count = select(func.count()).select_from(digest_subscriptions_table)
        return int(connection.execute(count).scalar_one())


def test_a_removed_number_is_not_reused_and_the_new_subscription_posts_its_first_period(
    engine: Engine, settings: Settings, tmp_path: Path, digest_settings: Settings,
    fake_slack: FakeSlack,
) -> None:  # fmt: skip
    build_small_shop(engine, settings, tmp_path)
    context = JobContext(engine, digest_settings, clock=lambda: NOW)
    first, second = _add(engine, "C0FIRST001"), _add(engine, "C0SECOND01")
    assert (first.subscription.id, second.subscription.id) == (1, 2)
    assert _status(run_subscription(context, 2)) == "posted"  # #2's claim on week 30 Jun
    remove_subscription(engine, 2)
    third = _add(engine, "C0THIRD001")
    # SQLite gave a plain INTEGER PRIMARY KEY's largest id + 1 again, 2, and #2's claim
    # then refused the new subscription's first week as already posted
    assert third.subscription.id == 3
    assert _status(run_subscription(context, 3)) == "posted"
    assert [m["metadata"]["event_payload"]["week_end"]
            for m in fake_slack.channel_posts("C0THIRD001")] == ["2024-06-30"]  # fmt: skip
    assert run_subscription(context, 2) is None  # removed: nothing posted


def _status(outcome: object) -> str:
    return str(getattr(outcome, "status", None))


def test_the_same_subscription_is_stored_once_and_the_first_is_returned(engine: Engine) -> None:
    gold = GroupScope("tier", "Gold")
    first = add_subscription(engine, channel="C0SALES001", scope=gold, schedule=MONDAY_9,
                             by="U0ADMIN", now=NOW)  # fmt: skip
    again = add_subscription(engine, channel="C0SALES001", scope=gold, schedule=MONDAY_9,
                             by="U0OTHER", now=NOW)  # fmt: skip
    other_time = _add(engine, "C0SALES001", Schedule("weekly", 0, 9, 30, "UTC"))
    assert first.created
    assert not again.created
    assert other_time.created
    assert again.subscription == first.subscription
    assert _stored(engine) == 2


@pytest.mark.parametrize("threads", [6])
def test_racing_requests_for_the_same_subscription_store_one(engine: Engine, threads: int) -> None:
    """Each request checks and inserts on its own connection at the same moment: before the
    unique key, several inserted (the check saw no row in every one)."""
    barrier, results, errors = threading.Barrier(threads), [], []
    lock = threading.Lock()

    def subscribe() -> None:
        barrier.wait()
        try:
            added = _add(engine, "C0RACE0001")
        except Exception as exc:  # a failure must fail the test, not vanish in the thread
            with lock:
                errors.append(exc)
            return
        with lock:
            results.append(added)

    workers = [threading.Thread(target=subscribe) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert sum(1 for added in results if added.created) == 1
    assert {added.subscription.id for added in results} == {results[0].subscription.id}
    assert _stored(engine) == 1
