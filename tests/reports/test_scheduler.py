"""The schedule: week boundaries and fire times in a non-UTC zone across daylight-saving
changes, jobs kept in the store across restarts, misfires, and two schedulers on one store."""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.events import EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine

from clv.settings import Settings
from reports.jobs import JobContext, configure, digest_job, digest_retry_job
from reports.schedule import digest_week, last_complete_week_end, next_fire_times, score_as_of
from reports.scheduler import DIGEST_JOB, SCORE_JOB, build_scheduler, install_jobs
from tests.bot.fake_slack import FakeSlack
from tests.reports.conftest import CHANNEL, MONDAY_9AM

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("now", "zone", "week_end"),
    [
        # Monday 00:30 in Berlin is still Sunday 22:30 UTC: Berlin's last complete week ended
        # the day before, not a week earlier
        (datetime(2026, 3, 29, 22, 30, tzinfo=UTC), BERLIN, date(2026, 3, 29)),
        (datetime(2026, 3, 29, 21, 30, tzinfo=UTC), BERLIN, date(2026, 3, 22)),  # Sun 23:30
        # the Sunday the clocks go back in New York (1 Nov 2026), and the Monday after
        (datetime(2026, 11, 2, 4, 30, tzinfo=UTC), NEW_YORK, date(2026, 10, 25)),  # Sun 23:30
        (datetime(2026, 11, 2, 5, 30, tzinfo=UTC), NEW_YORK, date(2026, 11, 1)),  # Mon 00:30
    ],
)
def test_the_digest_week_is_the_last_complete_week_in_the_shop_zone(
    now: datetime, zone: ZoneInfo, week_end: date
) -> None:
    assert last_complete_week_end(now, zone) == week_end
    assert week_end.weekday() == 6


@pytest.mark.parametrize(
    ("now", "zone", "newest_scored", "week"),
    [
        # Sunday 23:59 in Berlin (21:59 UTC in summer): that week is not complete yet
        (datetime(2026, 6, 28, 21, 59, tzinfo=UTC), BERLIN, date(2026, 6, 28), date(2026, 6, 21)),
        # Monday 00:01 in Berlin is still Sunday 22:01 UTC: the week just ended is the one
        (datetime(2026, 6, 28, 22, 1, tzinfo=UTC), BERLIN, date(2026, 6, 28), date(2026, 6, 28)),
        # ... but only once its Sunday is scored: the newest scores are of Saturday
        (datetime(2026, 6, 28, 22, 1, tzinfo=UTC), BERLIN, date(2026, 6, 27), date(2026, 6, 21)),
        # scores newer than the week end (a Tuesday run) do not move the digest past today's
        # last complete week ("make demo" on Tue 1 Dec 2026: the week ending Sun 29 Nov)
        (datetime(2026, 12, 1, 10, tzinfo=UTC), BERLIN, date(2026, 12, 1), date(2026, 11, 29)),
        # scores weeks old: the digest is of the last week they cover, not of an empty week
        (datetime(2026, 12, 1, 10, tzinfo=UTC), BERLIN, date(2026, 11, 11), date(2026, 11, 8)),
        # the week Berlin's clocks go forward (Sun 29 Mar 2026): 23:59 and 00:01 local
        (datetime(2026, 3, 29, 21, 59, tzinfo=UTC), BERLIN, date(2026, 3, 29), date(2026, 3, 22)),
        (datetime(2026, 3, 29, 22, 1, tzinfo=UTC), BERLIN, date(2026, 3, 29), date(2026, 3, 29)),
        # the week New York's clocks go back (Sun 1 Nov 2026, UTC-5 from then on)
        (datetime(2026, 11, 2, 4, 59, tzinfo=UTC), NEW_YORK, date(2026, 11, 1), date(2026, 10, 25)),
        (datetime(2026, 11, 2, 5, 1, tzinfo=UTC), NEW_YORK, date(2026, 11, 1), date(2026, 11, 1)),
        (datetime(2026, 11, 2, 5, 1, tzinfo=UTC), NEW_YORK, date(2026, 11, 3), date(2026, 11, 1)),
    ],
)
def test_the_digest_names_the_last_complete_week_on_or_before_today_and_the_newest_scores(
    now: datetime, zone: ZoneInfo, newest_scored: date, week: date
) -> None:
    assert digest_week(now, zone, newest_scored=newest_scored) == week
    assert week.weekday() == 6


def test_rescoring_is_as_of_yesterday_in_the_shop_zone() -> None:
    # 02:00 on Monday 30 March 2026 in Berlin (summer time since Sunday) is 00:00 UTC
    assert score_as_of(datetime(2026, 3, 30, 0, 0, tzinfo=UTC), BERLIN) == date(2026, 3, 29)


def test_the_digest_fires_at_nine_local_time_on_both_sides_of_daylight_saving() -> None:
    fires = next_fire_times("0 9 * * mon", BERLIN, datetime(2026, 3, 20, tzinfo=UTC), 3)
    assert [f.astimezone(BERLIN).strftime("%a %H:%M") for f in fires] == ["Mon 09:00"] * 3
    assert [f.astimezone(UTC).hour for f in fires] == [8, 7, 7]  # CET, then CEST
    nightly = next_fire_times("0 2 * * *", BERLIN, datetime(2026, 10, 24, 12, tzinfo=UTC), 3)
    assert [f.astimezone(UTC).hour for f in nightly] == [0, 1, 1]  # CEST, then CET


@pytest.fixture
def jobs(shop: Engine, digest_settings: Settings) -> Settings:
    configure(JobContext(shop, digest_settings, clock=lambda: MONDAY_9AM))
    return digest_settings


def _record(scheduler: BackgroundScheduler, log: list[str], lock: threading.Lock) -> None:
    def listener(event: JobExecutionEvent) -> None:
        with lock:
            log.append(("missed:" if event.code == EVENT_JOB_MISSED else "ran:") + event.job_id)
            outcome = getattr(event, "retval", None)
            if outcome is not None:
                log.append(f"outcome:{outcome.status}")

    scheduler.add_listener(listener, EVENT_JOB_EXECUTED | EVENT_JOB_MISSED)


def _paused_with_digest_due_at(
    engine: Engine, settings: Settings, when: datetime, log: list[str], lock: threading.Lock
) -> BackgroundScheduler:
    """A scheduler come up (paused) with the stored digest due at `when`, as after downtime."""
    scheduler = build_scheduler(engine, settings)
    _record(scheduler, log, lock)
    scheduler.start(paused=True)
    install_jobs(scheduler, settings)
    scheduler.modify_job(DIGEST_JOB, next_run_time=when)
    scheduler.remove_job(SCORE_JOB)  # keep these tests to the digest
    return scheduler


def _wait(condition: object, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not condition():  # type: ignore[operator]
        time.sleep(0.05)


def test_jobs_survive_a_restart_with_their_next_run_time(shop: Engine, jobs: Settings) -> None:
    due = datetime.now(UTC) + timedelta(days=3)
    first = _paused_with_digest_due_at(shop, jobs, due, [], threading.Lock())
    first.shutdown(wait=True)
    scheduler = build_scheduler(shop, jobs)
    scheduler.start(paused=True)
    install_jobs(scheduler, jobs)  # same schedule: the stored next run time is kept
    job = scheduler.get_job(DIGEST_JOB)
    assert job is not None
    assert abs((job.next_run_time - due).total_seconds()) < 1
    changed = jobs.model_copy(update={"digest_cron": "30 8 * * tue"})
    install_jobs(scheduler, changed)  # a new schedule replaces it
    job = scheduler.get_job(DIGEST_JOB)
    assert job.next_run_time.astimezone(UTC).strftime("%a %H:%M") == "Tue 08:30"
    scheduler.shutdown(wait=True)


def test_a_digest_missed_while_down_posts_once_within_the_grace_period(
    shop: Engine, jobs: Settings, fake_slack: FakeSlack
) -> None:
    log: list[str] = []
    # due an hour ago and the Monday before (coalesced): one run, not a backlog
    scheduler = _paused_with_digest_due_at(
        shop, jobs, datetime.now(UTC) - timedelta(hours=1), log, threading.Lock()
    )
    scheduler.resume()
    _wait(lambda: log)
    time.sleep(0.5)
    scheduler.shutdown(wait=True)
    assert log == [f"ran:{DIGEST_JOB}", "outcome:posted"]
    assert len(fake_slack.channel_posts(CHANNEL)) == 1


def test_a_digest_missed_beyond_the_grace_period_is_skipped(
    shop: Engine, jobs: Settings, fake_slack: FakeSlack
) -> None:
    grace = jobs.model_copy(update={"scheduler_misfire_grace_seconds": 3600})
    configure(JobContext(shop, grace, clock=lambda: MONDAY_9AM))
    log: list[str] = []
    scheduler = _paused_with_digest_due_at(
        shop, grace, datetime.now(UTC) - timedelta(hours=2), log, threading.Lock()
    )
    scheduler.resume()
    _wait(lambda: log)
    scheduler.shutdown(wait=True)
    assert log == [f"missed:{DIGEST_JOB}"]
    assert fake_slack.channel_posts(CHANNEL) == []


def test_two_schedulers_on_one_store_post_one_digest(
    shop: Engine, jobs: Settings, fake_slack: FakeSlack
) -> None:
    log: list[str] = []
    lock = threading.Lock()
    due = datetime.now(UTC) + timedelta(seconds=1)
    schedulers = [_paused_with_digest_due_at(shop, jobs, due, log, lock)]
    second = build_scheduler(shop, jobs)
    _record(second, log, lock)
    second.start(paused=True)
    install_jobs(second, jobs)  # the same stored job, due at the same time
    schedulers.append(second)
    for scheduler in schedulers:
        scheduler.resume()
    # both wake at the same due time; under load the second may start a little later
    _wait(lambda: log.count(f"ran:{DIGEST_JOB}") == 2 and fake_slack.channel_posts(CHANNEL))
    time.sleep(0.5)
    for scheduler in schedulers:
        scheduler.shutdown(wait=True)
    # Usually both schedulers run the job (they wake at the same due time) and the claim lets
    # one post. Under load the first may have moved the stored next run time on before the
    # second looks, and then only one runs: either way, exactly one message.
    runs = log.count(f"ran:{DIGEST_JOB}")
    assert runs in (1, 2), log
    outcomes = sorted(entry for entry in log if entry.startswith("outcome:"))
    assert outcomes[-1] == "outcome:posted"
    if runs == 2:
        assert outcomes[0] in ("outcome:already_posted", "outcome:in_progress")
    assert len(fake_slack.channel_posts(CHANNEL)) == 1


def test_the_retry_job_finishes_only_an_unfinished_digest(
    shop: Engine, jobs: Settings, fake_slack: FakeSlack
) -> None:
    assert digest_retry_job() is None  # nothing attempted this week: not the retry's business
    fake_slack.faults.fail("chat.postMessage", "channel_not_found")
    failed = digest_job()
    assert failed is not None
    assert failed.status == "failed"
    retried = digest_retry_job()
    assert retried is not None
    assert retried.status == "posted"
    assert digest_retry_job() is None  # posted: nothing left to finish
    assert len(fake_slack.channel_posts(CHANNEL)) == 1
