"""Digest subscriptions as scheduler jobs: two subscriptions, Europe/Berlin and
America/Los_Angeles, around the autumn 2026 clock changes (Europe on Sunday 25 October, the
US on Sunday 1 November): each fires at 09:00 local time on both sides, and posts exactly one
digest per period however often and from however many threads or schedulers its job runs.
Frozen clocks (time-machine); SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from apscheduler.events import (
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MISSED,
    EVENT_JOB_SUBMITTED,
    JobEvent,
)
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from sqlalchemy import Engine, select

from clv.insights.scope import GroupScope
from clv.settings import Settings
from clv.store import read_snapshot
from clv.store.subscriptions import add_subscription, remove_subscription
from clv.store.tables import customer_weekly_table, digest_posts_table
from clv.subscriptions import Schedule, Subscription
from reports.digest.claims import MAX_ATTEMPTS
from reports.digest.data import subscription_digest
from reports.digest.render import render_text
from reports.jobs import (
    JobContext,
    configure,
    digest_job,
    digest_retry_job,
    subscription_job,
    subscriptions_job,
)
from reports.schedule import next_fire_times, previous_month_end
from reports.scheduler import (
    SCORE_JOB,
    build_scheduler,
    install_jobs,
    subscription_job_id,
    sync_subscription_jobs,
)
from tests.bot.fake_slack import FakeSlack
from tests.bot.limits import all_text
from tests.reports.conftest import CHANNEL, build_small_shop

BERLIN, LOS_ANGELES = ZoneInfo("Europe/Berlin"), ZoneInfo("America/Los_Angeles")
C_BERLIN, C_LA = "C0BERLIN01", "C0LOSANGEL"
LAST_SCORED = date(2026, 11, 15)  # a Sunday: weekly runs from 4 Oct to 15 Nov 2026
BEFORE = datetime(2026, 10, 1, tzinfo=UTC)
ADMIN = "U0ADMIN"
# what the fire times must be (UTC), Monday 09:00 local: summer time, then winter time
BERLIN_FIRES = [
    *("10-05 07:00", "10-12 07:00", "10-19 07:00"),  # CEST, UTC+2
    *("10-26 08:00", "11-02 08:00", "11-09 08:00"),  # CET, UTC+1 (from Sunday 25 October)
]
LA_FIRES = [
    *("10-12 16:00", "10-19 16:00", "10-26 16:00"),  # PDT, UTC-7
    *("11-02 17:00", "11-09 17:00", "11-16 17:00"),  # PST, UTC-8 (from Sunday 1 November)
]
MONDAY_9 = {
    zone: Schedule("weekly", 0, 9, 0, zone) for zone in ("Europe/Berlin", "America/Los_Angeles")
}


@pytest.fixture
def dst_shop(engine: Engine, settings: Settings, tmp_path: Path) -> Engine:
    build_small_shop(engine, settings, tmp_path, as_of=LAST_SCORED, backfill=6)
    return engine


@pytest.fixture
def subscribed(dst_shop: Engine, digest_settings: Settings) -> tuple[Subscription, Subscription]:
    """Berlin: the whole shop; Los Angeles: the Low tier; both weekly, Monday 09:00 local."""
    berlin = add_subscription(dst_shop, channel=C_BERLIN, scope=None, by=ADMIN, now=BEFORE,
                              schedule=MONDAY_9["Europe/Berlin"])  # fmt: skip
    la = add_subscription(dst_shop, channel=C_LA, scope=GroupScope("tier", "Low"), by=ADMIN,
                          now=BEFORE, schedule=MONDAY_9["America/Los_Angeles"])  # fmt: skip
    configure(JobContext(dst_shop, digest_settings))  # the clock: time-machine's
    return berlin.subscription, la.subscription


def fires(subscription: Subscription, after: datetime, count: int) -> list[datetime]:
    return next_fire_times(subscription.crontab, subscription.zone, after, count)


def posted_weeks(fake: FakeSlack, channel: str) -> list[str]:
    return [m["metadata"]["event_payload"]["week_end"] for m in fake.channel_posts(channel)]


def test_each_zone_fires_at_nine_local_time_on_both_sides_of_its_clock_change(
    subscribed: tuple[Subscription, Subscription],
) -> None:
    berlin, la = subscribed
    for subscription, zone, expected, after in (
        (berlin, BERLIN, BERLIN_FIRES, BEFORE),
        (la, LOS_ANGELES, LA_FIRES, BEFORE + timedelta(days=7)),
    ):
        times = fires(subscription, after, 6)
        assert [t.astimezone(zone).strftime("%a %H:%M") for t in times] == ["Mon 09:00"] * 6
        assert [t.astimezone(UTC).strftime("%m-%d %H:%M") for t in times] == expected


def test_the_stored_jobs_fire_when_the_subscriptions_say(
    subscribed: tuple[Subscription, Subscription], dst_shop: Engine, digest_settings: Settings
) -> None:
    berlin, la = subscribed
    engine = dst_shop
    with time_machine.travel(datetime(2026, 10, 24, 12, tzinfo=UTC), tick=False):
        scheduler = build_scheduler(engine, digest_settings)
        scheduler.start(paused=True)
        install_jobs(scheduler, digest_settings, engine)
        jobs = {s.key: scheduler.get_job(subscription_job_id(s.id or 0)) for s in (berlin, la)}
        scheduler.shutdown(wait=True)
    # Saturday 24 Oct: Berlin's next is the Monday after its change, LA's still summer time
    assert jobs[berlin.key].next_run_time.astimezone(UTC) == datetime(2026, 10, 26, 8, tzinfo=UTC)
    assert jobs[la.key].next_run_time.astimezone(UTC) == datetime(2026, 10, 26, 16, tzinfo=UTC)
    assert jobs[la.key].args == (la.id,)


def test_each_subscription_posts_once_a_week_across_the_change_however_often_it_runs(
    subscribed: tuple[Subscription, Subscription], dst_shop: Engine, fake_slack: FakeSlack
) -> None:
    berlin, la = subscribed
    runs = sorted([(t, berlin) for t in fires(berlin, BEFORE, 6)]
                  + [(t, la) for t in fires(la, BEFORE + timedelta(days=7), 6)],
                  key=lambda pair: pair[0])  # fmt: skip
    statuses: list[str] = []
    for fire, subscription in runs:
        with time_machine.travel(fire, tick=False):
            fake_slack.ts_base = fire.timestamp()
            statuses += _race(subscription.id or 0, threads=4)  # four at once, then a fifth
            again = subscription_job(subscription.id or 0)
            assert again is not None
            statuses.append(again.status)
    assert statuses.count("posted") == 12
    assert set(statuses) <= {"posted", "already_posted", "in_progress"}
    # Monday 09:00 in Berlin and in Los Angeles are both on Monday in the shop's zone (UTC):
    # the week just ended is the one each digest is of
    assert posted_weeks(fake_slack, C_BERLIN) == [
        "2026-10-04", "2026-10-11", "2026-10-18", "2026-10-25", "2026-11-01", "2026-11-08",
    ]  # fmt: skip
    assert posted_weeks(fake_slack, C_LA) == [
        "2026-10-11", "2026-10-18", "2026-10-25", "2026-11-01", "2026-11-08", "2026-11-15",
    ]  # fmt: skip
    heads = [m["blocks"][0]["text"]["text"] for m in fake_slack.channel_posts(C_LA)]
    assert heads[0] == "Weekly CLV digest · Low tier · week ending Sun 11 Oct 2026"
    assert all(m["metadata"]["event_payload"]["subscription"] == la.key
               for m in fake_slack.channel_posts(C_LA))  # fmt: skip
    with dst_shop.connect() as connection:
        claims = connection.execute(
            select(digest_posts_table.c.subscription, digest_posts_table.c.status)
        ).all()
    assert sorted(claims) == sorted([(berlin.key, "posted")] * 6 + [(la.key, "posted")] * 6)


def _race(subscription_id: int, *, threads: int) -> list[str]:
    barrier, results, lock = threading.Barrier(threads), [], threading.Lock()

    def attempt() -> None:
        barrier.wait()
        outcome = subscription_job(subscription_id)
        with lock:
            results.append(outcome.status if outcome else "removed")

    workers = [threading.Thread(target=attempt) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert results.count("posted") == 1, results
    return results


def test_two_schedulers_on_one_store_post_each_subscription_once(
    subscribed: tuple[Subscription, Subscription],
    dst_shop: Engine,
    digest_settings: Settings,
    fake_slack: FakeSlack,
) -> None:
    """Both schedulers wake for Berlin's job; each may find it due (and run it) or already
    moved on by the other. Each also has a marker job of its own due at the same instant, in
    a store of its own processed after the shared one: once both markers are submitted, both
    schedulers have made their pass, and every run of the job they submitted is counted;
    then the test waits for each of those runs to end (executed, or missed) and checks them
    all, exactly."""
    berlin, la = subscribed
    engine = dst_shop
    fire = datetime(2026, 10, 26, 8, tzinfo=UTC)  # Berlin's first winter-time digest, 09:00 CET
    berlin_job = subscription_job_id(berlin.id or 0)
    submitted: list[str] = []
    ended: list[str] = []
    markers: list[str] = []
    lock = threading.Lock()

    def listener(event: JobEvent) -> None:
        with lock:
            if event.job_id == "marker":
                markers.append("marker" if event.code == EVENT_JOB_SUBMITTED else "done")
            elif event.code == EVENT_JOB_SUBMITTED:
                submitted.append(event.job_id)
            else:  # executed, or missed
                outcome = getattr(event, "retval", None)
                ended.append(f"{event.job_id}:{getattr(outcome, 'status', 'missed')}")

    def passes_done() -> bool:
        with lock:
            return markers.count("marker") == 2 and len(ended) == len(submitted)

    with time_machine.travel(fire - timedelta(seconds=2), tick=True):
        fake_slack.ts_base = time.time()
        schedulers: list[BackgroundScheduler] = []
        for _ in range(2):
            scheduler = build_scheduler(engine, digest_settings)
            scheduler.add_jobstore(MemoryJobStore(), "marker")  # after the shared "default"
            scheduler.add_listener(
                listener, EVENT_JOB_SUBMITTED | EVENT_JOB_EXECUTED | EVENT_JOB_MISSED
            )
            scheduler.start(paused=True)
            install_jobs(scheduler, digest_settings, engine)
            scheduler.remove_job(SCORE_JOB)  # keep this test to the subscriptions
            scheduler.add_job(_mark, DateTrigger(fire), id="marker", jobstore="marker")
            schedulers.append(scheduler)
        for scheduler in schedulers:
            scheduler.resume()
        _wait(passes_done, seconds=15)
        la_next = schedulers[0].get_job(subscription_job_id(la.id or 0)).next_run_time
        for scheduler in schedulers:
            scheduler.shutdown(wait=True)
    assert markers.count("marker") == 2
    assert submitted in ([berlin_job], [berlin_job, berlin_job]), submitted
    # one run posted; a second, if the other scheduler also found the job due, was refused
    refused = (f"{berlin_job}:already_posted", f"{berlin_job}:in_progress")
    assert sorted(ended, key=lambda e: not e.endswith(":posted")) in (
        [f"{berlin_job}:posted"],
        *([f"{berlin_job}:posted", r] for r in refused),
    ), ended
    assert len(ended) == len(submitted)
    assert posted_weeks(fake_slack, C_BERLIN) == ["2026-10-25"]
    assert fake_slack.channel_posts(C_LA) == []
    assert la_next.astimezone(UTC) == datetime(2026, 10, 26, 16, tzinfo=UTC)  # 09:00 PDT


def _mark() -> None:
    """The marker job: it does nothing; its submission says its scheduler's pass is done."""


def _wait(condition: object, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not condition():  # type: ignore[operator]
        time.sleep(0.05)


def test_the_jobs_follow_the_table_and_a_removed_subscription_posts_nothing(
    subscribed: tuple[Subscription, Subscription],
    dst_shop: Engine,
    digest_settings: Settings,
    fake_slack: FakeSlack,
) -> None:
    berlin, la = subscribed
    engine = dst_shop
    scheduler = build_scheduler(engine, digest_settings)
    scheduler.start(paused=True)
    try:
        first = sync_subscription_jobs(scheduler, engine, digest_settings)
        assert first.added == tuple(sorted(subscription_job_id(s.id or 0) for s in (berlin, la)))
        assert sync_subscription_jobs(scheduler, engine, digest_settings).added == ()
        # another replica removes Berlin and adds a monthly one: the next sync follows
        remove_subscription(engine, berlin.id or 0)
        first_of_month = Schedule("monthly", 1, 9, 0, "Europe/Berlin")
        monthly = add_subscription(engine, channel=C_BERLIN, scope=None, by=ADMIN, now=BEFORE,
                                   schedule=first_of_month)  # fmt: skip
        synced = sync_subscription_jobs(scheduler, engine, digest_settings)
        monthly_job = subscription_job_id(monthly.subscription.id or 0)
        assert synced.removed == (subscription_job_id(berlin.id or 0),)
        assert synced.added == (monthly_job,)
        stored = {job.id for job in scheduler.get_jobs()}
        assert subscription_job_id(berlin.id or 0) not in stored
        assert monthly_job in stored
    finally:
        scheduler.shutdown(wait=True)
    # a job that still ran after its subscription was removed finds no row: nothing posted
    with time_machine.travel(datetime(2026, 10, 26, 8, tzinfo=UTC), tick=False):
        assert subscription_job(berlin.id or 0) is None
    assert fake_slack.channel_posts(C_BERLIN) == []


def test_a_monthly_subscription_is_of_the_month_before_its_fire_date(
    dst_shop: Engine, digest_settings: Settings, fake_slack: FakeSlack
) -> None:
    added = add_subscription(dst_shop, channel=C_BERLIN, scope=GroupScope("segment", "At Risk"),
                             by=ADMIN, now=BEFORE,
                             schedule=Schedule("monthly", 1, 9, 0, "Europe/Berlin"))  # fmt: skip
    subscription = added.subscription
    configure(JobContext(dst_shop, digest_settings))
    times = fires(subscription, BEFORE, 3)
    assert [t.astimezone(UTC).strftime("%m-%d %H:%M") for t in times] == [
        "10-01 07:00", "11-01 08:00", "12-01 08:00",  # 09:00 CEST, then CET
    ]  # fmt: skip
    with time_machine.travel(times[0], tick=False):  # September: no week of it is scored
        assert _status(subscription_job(subscription.id or 0)) == "no_scores"
    for fire in times[1:]:
        with time_machine.travel(fire, tick=False):
            fake_slack.ts_base = fire.timestamp()
            statuses = [_status(subscription_job(subscription.id or 0)) for _ in range(3)]
        assert statuses == ["posted", "already_posted", "already_posted"]
    october, november = fake_slack.channel_posts(C_BERLIN)
    assert october["metadata"]["event_payload"]["week_end"] == "2026-10-31"
    assert october["blocks"][0]["text"]["text"] == (
        "Monthly CLV digest · At Risk segment · October 2026 (week ending Sun 25 Oct 2026)"
    )
    # September has no scored week: nothing to compare October with, and it says so
    assert "No scored week of September to compare this month with." in all_text(october)
    assert "vs last week" not in all_text(october)
    # November's last Sunday (29th) is not scored: the newest scored week, saying so
    assert november["metadata"]["event_payload"]["week_end"] == "2026-11-30"
    assert "week ending Sun 15 Nov 2026" in november["blocks"][0]["text"]["text"]
    assert "This is the week ending 2026-11-15, not 2026-11-29" in all_text(november)


def _status(outcome: object) -> str:
    return str(getattr(outcome, "status", None))


def test_a_monthly_period_is_the_month_before_the_local_fire_date() -> None:
    # 00:30 on 1 November in Berlin is still 31 October in UTC: the digest is of October
    assert previous_month_end(datetime(2026, 10, 31, 23, 30, tzinfo=UTC), BERLIN) == date(
        2026, 10, 31
    )
    assert previous_month_end(datetime(2026, 10, 31, 23, 30, tzinfo=UTC), UTC) == date(2026, 9, 30)
    assert previous_month_end(datetime(2027, 1, 1, 9, tzinfo=UTC), UTC) == date(2026, 12, 31)
    assert previous_month_end(datetime(2028, 3, 1, 9, tzinfo=UTC), UTC) == date(2028, 2, 29)


def test_a_failed_post_is_finished_once_by_the_subscriptions_job(
    subscribed: tuple[Subscription, Subscription], fake_slack: FakeSlack
) -> None:
    berlin, _ = subscribed
    fire = datetime(2026, 11, 2, 8, tzinfo=UTC)
    with time_machine.travel(fire, tick=False):
        fake_slack.ts_base = fire.timestamp()
        assert subscriptions_job() == []  # nothing attempted yet: not the retry's business
        fake_slack.faults.server_error("chat.postMessage", status=503)  # not carried out
        assert _status(subscription_job(berlin.id or 0)) == "failed"
    with time_machine.travel(fire + timedelta(minutes=5), tick=False):
        assert [o.status for o in subscriptions_job()] == ["posted"]
        assert subscriptions_job() == []
    assert posted_weeks(fake_slack, C_BERLIN) == ["2026-11-01"]


def test_the_default_digest_and_a_subscription_in_its_channel_are_two_deliveries(
    dst_shop: Engine, digest_settings: Settings, fake_slack: FakeSlack
) -> None:
    """DIGEST_CHANNEL's digest is subscription "default": a subscription in the same channel
    and week posts its own digest, and neither's retry mistakes the other's claim for its."""
    added = add_subscription(dst_shop, channel=CHANNEL, scope=GroupScope("tier", "Low"),
                             by=ADMIN, now=BEFORE,
                             schedule=Schedule("weekly", 0, 9, 0, "UTC"))  # fmt: skip
    configure(JobContext(dst_shop, digest_settings))
    fire = datetime(2026, 11, 9, 9, tzinfo=UTC)
    with time_machine.travel(fire, tick=False):
        fake_slack.ts_base = fire.timestamp()
        assert _status(digest_job()) == "posted"
        fake_slack.faults.server_error("chat.postMessage", status=503)  # not carried out
        assert _status(subscription_job(added.subscription.id or 0)) == "failed"
        assert digest_retry_job() is None  # the default's claim is posted: nothing to finish
        assert _status(digest_job()) == "already_posted"
        assert [o.status for o in subscriptions_job()] == ["posted"]
    messages = fake_slack.channel_posts(CHANNEL)
    assert [m["blocks"][0]["text"]["text"] for m in messages] == [
        "Weekly CLV digest · week ending Sun 08 Nov 2026",
        "Weekly CLV digest · Low tier · week ending Sun 08 Nov 2026",
    ]
    assert "subscription" not in messages[0]["metadata"]["event_payload"]  # as before
    with dst_shop.connect() as connection:
        keys = connection.execute(select(digest_posts_table.c.subscription)).scalars().all()
    assert sorted(keys) == sorted(["default", added.subscription.key])


SPRING_2027 = [  # the US changes on Sunday 14 March 2027, Europe on Sunday 28 March
    ("Europe/Berlin", date(2027, 3, 2), ["03-08 08:00", "03-15 08:00", "03-22 08:00",  # CET
                                         "03-29 07:00", "04-05 07:00", "04-12 07:00"]),  # CEST
    ("America/Los_Angeles", date(2027, 2, 25), ["03-01 17:00", "03-08 17:00",  # PST
                                                "03-15 16:00", "03-22 16:00",  # PDT
                                                "03-29 16:00", "04-05 16:00"]),
]  # fmt: skip


@pytest.mark.parametrize(("zone", "after", "expected"), SPRING_2027)
def test_nine_local_time_holds_across_the_spring_changes_too(
    zone: str, after: date, expected: list[str]
) -> None:
    schedule = MONDAY_9[zone]
    start = datetime(after.year, after.month, after.day, tzinfo=UTC)
    times = next_fire_times(schedule.crontab, schedule.zone, start, 6)
    assert [t.astimezone(schedule.zone).strftime("%a %H:%M") for t in times] == ["Mon 09:00"] * 6
    assert [t.astimezone(UTC).strftime("%m-%d %H:%M") for t in times] == expected


def test_a_local_time_that_happens_twice_posts_once(
    dst_shop: Engine, digest_settings: Settings, fake_slack: FakeSlack
) -> None:
    """Sunday 02:30 in Berlin happens twice on 25 October 2026 (CEST, then CET): the scheduler
    fires at both instants, and the claim makes that one digest."""
    night = add_subscription(dst_shop, channel=C_BERLIN, scope=None, by=ADMIN, now=BEFORE,
                             schedule=Schedule("weekly", 6, 2, 30, "Europe/Berlin"))  # fmt: skip
    subscription = night.subscription
    configure(JobContext(dst_shop, digest_settings))
    times = fires(subscription, datetime(2026, 10, 20, tzinfo=UTC), 3)
    assert [t.astimezone(UTC).strftime("%m-%d %H:%M") for t in times] == [
        "10-25 00:30", "10-25 01:30", "11-01 01:30",
    ]  # fmt: skip
    statuses = []
    for fire in times[:2]:
        with time_machine.travel(fire, tick=False):
            fake_slack.ts_base = fire.timestamp()
            statuses.append(_status(subscription_job(subscription.id or 0)))
    assert statuses == ["posted", "already_posted"]
    assert posted_weeks(fake_slack, C_BERLIN) == ["2026-10-18"]


@pytest.mark.parametrize("error", ["not_in_channel", "channel_not_found", "is_archived",
                                   "missing_scope", "invalid_auth"])  # fmt: skip
def test_a_permanent_slack_error_gives_the_period_up_instead_of_retrying_it(
    subscribed: tuple[Subscription, Subscription],
    dst_shop: Engine,
    fake_slack: FakeSlack,
    error: str,
) -> None:
    berlin, _ = subscribed
    fire = datetime(2026, 11, 2, 8, tzinfo=UTC)
    with time_machine.travel(fire, tick=False):
        fake_slack.ts_base = fire.timestamp()
        fake_slack.faults.fail("chat.postMessage", error)
        outcome = subscription_job(berlin.id or 0)
        assert outcome is not None
        assert outcome.status == "given_up"
        assert f"Slack said {error}" in outcome.detail
    for minutes in (5, 10, 60):  # before, every retry tried again, every 5 minutes
        with time_machine.travel(fire + timedelta(minutes=minutes), tick=False):
            assert subscriptions_job() == []
    with time_machine.travel(fire + timedelta(hours=2), tick=False):
        assert _status(subscription_job(berlin.id or 0)) == "given_up"  # the job again
    assert len(fake_slack.named("/api/chat.postMessage")) == 1
    (row,) = _claims(dst_shop)
    assert (row.status, row.attempts) == ("given_up", 1)
    assert f"Slack said {error}" in row.error
    if error == "not_in_channel":
        assert "invite me with `/invite @clvbot`" in row.error
    # the next week is a new period: tried, and posted once the bot is back in the channel
    with time_machine.travel(fire + timedelta(days=7), tick=False):
        fake_slack.ts_base = (fire + timedelta(days=7)).timestamp()
        assert _status(subscription_job(berlin.id or 0)) == "posted"
    assert posted_weeks(fake_slack, C_BERLIN) == ["2026-11-08"]


def _claims(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(select(digest_posts_table).order_by("id")).all())


def test_a_lasting_failure_is_retried_six_times_then_given_up(
    subscribed: tuple[Subscription, Subscription], dst_shop: Engine, fake_slack: FakeSlack
) -> None:
    berlin, _ = subscribed
    fire = datetime(2026, 11, 2, 8, tzinfo=UTC)
    fake_slack.faults.server_error("chat.postMessage", times=20, status=503)
    with time_machine.travel(fire, tick=False):
        fake_slack.ts_base = fire.timestamp()
        assert _status(subscription_job(berlin.id or 0)) == "failed"
    retried = []
    for n in range(1, 12):
        with time_machine.travel(fire + timedelta(minutes=5 * n), tick=False):
            retried.append([o.status for o in subscriptions_job()])
    assert retried == [["failed"]] * 4 + [["given_up"]] + [[]] * 6
    assert len(fake_slack.named("/api/chat.postMessage")) == MAX_ATTEMPTS
    (row,) = _claims(dst_shop)
    assert (row.status, row.attempts) == ("given_up", MAX_ATTEMPTS)
    assert row.error.startswith(f"gave up after {MAX_ATTEMPTS} attempts: Slack said ")
    assert fake_slack.channel_posts(C_BERLIN) == []


@pytest.mark.parametrize("first", ["zone left tzdata", "its week not scored"])
def test_one_subscription_that_cannot_be_retried_does_not_stop_the_others(
    dst_shop: Engine, digest_settings: Settings, fake_slack: FakeSlack, first: str
) -> None:
    """Before, the loop stopped at the first: an exception ended the job, and a subscription
    without a scored period (`NoScoresError`) returned, leaving every later one unretried."""
    broken = (
        Schedule("weekly", 0, 9, 0, "Mars/Olympus")  # stored before its zone was dropped
        if first == "zone left tzdata"
        # at Mon 5 Oct 09:00 UTC it is Sunday night in Pago Pago: its week is the one ending
        # 27 Sep, before the first scored one
        else Schedule("weekly", 0, 9, 0, "Pacific/Pago_Pago")
    )
    add_subscription(dst_shop, channel=C_LA, scope=None, by=ADMIN, now=BEFORE, schedule=broken)
    weekly = add_subscription(dst_shop, channel=C_BERLIN, scope=None, by=ADMIN, now=BEFORE,
                              schedule=Schedule("weekly", 0, 9, 0, "UTC")).subscription  # fmt: skip
    configure(JobContext(dst_shop, digest_settings))
    fire = datetime(2026, 10, 5, 9, tzinfo=UTC)
    with time_machine.travel(fire, tick=False):
        fake_slack.ts_base = fire.timestamp()
        fake_slack.faults.server_error("chat.postMessage", status=503)
        assert _status(subscription_job(weekly.id or 0)) == "failed"
    with time_machine.travel(fire + timedelta(minutes=5), tick=False):
        assert [(o.subscription, o.status) for o in subscriptions_job()] == [(weekly.key, "posted")]
    assert posted_weeks(fake_slack, C_BERLIN) == ["2026-10-04"]


NOVEMBER_FIRE = datetime(2026, 12, 1, 9, tzinfo=UTC)  # November's digest: week 15 Nov shown
END_OF_OCTOBER = date(2026, 10, 25)  # the last complete week of October: what it compares with


def _weekly_clv(engine: Engine) -> dict[tuple[date, int], tuple[float, str]]:
    w = customer_weekly_table
    with engine.connect() as connection:
        rows = connection.execute(
            select(w.c.week_end, w.c.customer_id, w.c.predicted_clv, w.c.segment)
        ).all()
    return {(_day(r[0]), r[1]): (float(r[2]), r[3]) for r in rows}


def _day(value: object) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value  # type: ignore[return-value]


@pytest.mark.parametrize("scope", [None, GroupScope("segment", "At Risk")], ids=["shop", "group"])
def test_a_monthly_digest_compares_with_the_month_befores_last_week(
    dst_shop: Engine, digest_settings: Settings, scope: GroupScope | None
) -> None:
    """Before, a monthly digest was last week's under a monthly title: its change, segments
    and movers were week over week. Now they are against the month before's last complete
    week, counted here from the weekly history."""
    schedule = Schedule("monthly", 1, 9, 0, "UTC")
    subscription = Subscription("9", C_BERLIN, scope, "monthly", schedule.crontab, "UTC",
                                schedule, 9)  # fmt: skip
    with read_snapshot(dst_shop) as session:
        digest = subscription_digest(session, digest_settings, subscription, now=NOVEMBER_FIRE)
    assert (digest.period_end, digest.week_end) == (date(2026, 11, 30), date(2026, 11, 15))
    assert digest.baseline == END_OF_OCTOBER
    weekly = _weekly_clv(dst_shop)

    def members(week: date) -> dict[int, float]:
        return {c: clv for (w, c), (clv, segment) in weekly.items()
                if w == week and (scope is None or segment == scope.name)}  # fmt: skip

    now, before = members(digest.week_end), members(END_OF_OCTOBER)
    assert digest.change_week == pytest.approx(sum(now.values()) - sum(before.values()))
    assert digest.change_4_weeks is None  # "vs 4 weeks ago" is not a monthly figure
    assert digest.drivers is None  # the run splits a week's change only
    changes = sorted(
        (weekly[(digest.week_end, c)][0] - weekly[(END_OF_OCTOBER, c)][0])
        for c in set(now) | set(before)
        if (digest.week_end, c) in weekly and (END_OF_OCTOBER, c) in weekly
    )
    # orders end in 2024: in 2026 every prediction only decays, so there are falls only
    assert [m.after - m.before for m in digest.rises] == [c for c in changes if c > 0][::-1][:5]
    assert [m.after - m.before for m in digest.falls] == pytest.approx(changes[:5])
    for row in digest.segments:  # each segment's change is against 25 Oct too
        if scope is not None and row.name != scope.name:
            continue
        then = [
            clv for (w, _), (clv, seg) in weekly.items() if w == END_OF_OCTOBER and seg == row.name
        ]
        assert row.clv_change == pytest.approx(row.clv_sum - sum(then))
    text = render_text(digest)
    assert "vs October (week ending 25 Oct)" in text
    assert "Top movers (week ending 25 Oct → week ending 15 Nov)" in text
    assert "vs last week" not in text
    assert "since last week" not in text
