"""The scheduler: APScheduler 3.x with its jobs kept in the store, so schedules survive restarts.

Jobs: the nightly re-score (`SCORE_CRON`; with SYNC_SOURCE set, the nightly sync at
`SYNC_CRON` instead, which imports what is new and then re-scores), the weekly digest
(`DIGEST_CRON`) and a retry of an interrupted digest, all in `TIMEZONE`; with ALERTS_CHANNEL
set, the alerts evaluated after each scoring are posted then, and retried every ten minutes.
Coalescing and a misfire grace period make a scheduler that was down when a job was due run it
once when it comes back within the grace period, and never a backlog. Two schedulers on one
store may both fire a digest or an alert: their own exactly-once claims make that one post.

Digest subscriptions (`/clv subscribe`): one job per `digest_subscriptions` row
(`clvbot-subscription-<id>`, the subscription's crontab in its own zone, the id its only
argument). The table is the source of truth and the jobs follow it: at start
(`install_jobs`), at once when the process that changed it runs the scheduler
(`refresh_subscription_jobs`), and every SUBSCRIPTIONS_SYNC_MINUTES in every scheduler (the
`clvbot-subscriptions` job, which also finishes a subscription's failed or interrupted post).
So a subscription added through a replica without a scheduler, or one whose job row a second
scheduler removed, is in every scheduler within minutes; a removed one stops at once, since
its job finds no row and posts nothing.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfoNotFoundError

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from clv.settings import Settings
from clv.store.subscriptions import stored_subscriptions
from reports.schedule import cron_trigger, subscription_trigger

JOBS_TABLE = "apscheduler_jobs"
SCORE_JOB, DIGEST_JOB, RETRY_JOB = "clvbot-score", "clvbot-digest", "clvbot-digest-retry"
SYNC_JOB, ALERTS_JOB = "clvbot-sync", "clvbot-alerts"
SUBSCRIPTIONS_JOB, SUBSCRIPTION_PREFIX = "clvbot-subscriptions", "clvbot-subscription-"
SUBSCRIPTIONS_SYNC_MINUTES = 5
SUBSCRIPTION_FUNC = "reports.jobs:subscription_job"
log = logging.getLogger("clvbot.scheduler")
_running: BackgroundScheduler | None = None  # the scheduler this process started, if any


def build_scheduler(engine: Engine, settings: Settings) -> BackgroundScheduler:
    return BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename=JOBS_TABLE)},
        executors={"default": ThreadPoolExecutor(max_workers=2)},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": settings.scheduler_misfire_grace_seconds,
        },
        timezone=settings.tzinfo,
    )


def start_scheduler(engine: Engine, settings: Settings) -> BackgroundScheduler:
    """Start the scheduler with clvbot's jobs; jobs missed while down are handled on start."""
    global _running
    scheduler = build_scheduler(engine, settings)
    scheduler.start(paused=True)  # load the stored jobs before deciding what to change
    install_jobs(scheduler, settings, engine)
    scheduler.resume()
    _running = scheduler
    return scheduler


def running_scheduler() -> BackgroundScheduler | None:
    """The scheduler `start_scheduler` started in this process, while it runs."""
    return _running if _running is not None and _running.running else None


def install_jobs(
    scheduler: BackgroundScheduler, settings: Settings, engine: Engine | None = None
) -> None:
    """Add or update the jobs (with `engine`, the subscriptions' too). A job whose schedule is
    unchanged keeps its stored next run time, so a run missed while clvbot was down is still
    caught up (once) on start."""
    zone = settings.tzinfo
    if settings.sync_source is not None:  # the sync scores after importing: one nightly job
        wanted = {SYNC_JOB: ("reports.jobs:sync_job", cron_trigger(settings.sync_cron, zone))}
    else:
        wanted = {SCORE_JOB: ("reports.jobs:score_job", cron_trigger(settings.score_cron, zone))}
    if settings.digest_channel:
        wanted[DIGEST_JOB] = ("reports.jobs:digest_job", cron_trigger(settings.digest_cron, zone))
        wanted[RETRY_JOB] = ("reports.jobs:digest_retry_job", IntervalTrigger(minutes=10))
    if settings.alerts_channel:  # alerts are posted after each scoring; this retries them
        wanted[ALERTS_JOB] = ("reports.jobs:alerts_job", IntervalTrigger(minutes=10))
    for job_id in (SCORE_JOB, SYNC_JOB, DIGEST_JOB, RETRY_JOB, ALERTS_JOB):
        existing = scheduler.get_job(job_id)
        if job_id not in wanted:
            if existing is not None:
                existing.remove()
            continue
        func, trigger = wanted[job_id]
        if existing is not None and repr(existing.trigger) == repr(trigger):
            existing.modify(misfire_grace_time=settings.scheduler_misfire_grace_seconds)
            continue
        scheduler.add_job(func, trigger, id=job_id, name=job_id, replace_existing=True)
    if engine is not None:
        _install_subscription_jobs(scheduler, settings, engine)


def _install_subscription_jobs(
    scheduler: BackgroundScheduler, settings: Settings, engine: Engine
) -> None:
    trigger = IntervalTrigger(minutes=SUBSCRIPTIONS_SYNC_MINUTES)
    existing = scheduler.get_job(SUBSCRIPTIONS_JOB)
    if existing is None or repr(existing.trigger) != repr(trigger):
        scheduler.add_job("reports.jobs:subscriptions_job", trigger, id=SUBSCRIPTIONS_JOB,
                          name=SUBSCRIPTIONS_JOB, replace_existing=True)  # fmt: skip
    sync_subscription_jobs(scheduler, engine, settings)


def subscription_job_id(subscription_id: int) -> str:
    return f"{SUBSCRIPTION_PREFIX}{subscription_id}"


@dataclass(frozen=True)
class JobSync:
    added: tuple[str, ...]
    removed: tuple[str, ...]


def sync_subscription_jobs(scheduler: BaseScheduler, engine: Engine, settings: Settings) -> JobSync:
    """Make the scheduler's subscription jobs those of the `digest_subscriptions` table: a job
    per row with the row's trigger (an unchanged one keeps its next run time), none without.

    The jobs are read before the rows: a job another process added after committing its row
    is then never taken for one without a row (which would remove it until the next sync).
    """
    jobs = {j.id: j for j in scheduler.get_jobs() if j.id.startswith(SUBSCRIPTION_PREFIX)}
    with engine.connect() as connection:
        wanted = {subscription_job_id(s.id or 0): s for s in stored_subscriptions(connection)}
    removed = []
    for job_id in jobs.keys() - wanted.keys():
        with contextlib.suppress(JobLookupError):  # another process removed it first
            scheduler.remove_job(job_id)
        removed.append(job_id)
    added = []
    for job_id, subscription in wanted.items():
        try:
            trigger = subscription_trigger(subscription)
        except (ValueError, ZoneInfoNotFoundError):  # its zone left this system's tzdata
            log.error("subscription #%s: no trigger for %s", subscription.id, subscription.crontab,
                      exc_info=True)  # fmt: skip
            continue
        job = jobs.get(job_id)
        if job is not None and repr(job.trigger) == repr(trigger):
            if job.misfire_grace_time != settings.scheduler_misfire_grace_seconds:
                job.modify(misfire_grace_time=settings.scheduler_misfire_grace_seconds)
            continue
        scheduler.add_job(SUBSCRIPTION_FUNC, trigger, args=[subscription.id], id=job_id,
                          name=f"digest subscription #{subscription.id} to {subscription.channel}",
                          replace_existing=True)  # fmt: skip
        added.append(job_id)
    if added or removed:
        log.info("subscription jobs: added or changed %s, removed %s", added, removed)
    return JobSync(tuple(sorted(added)), tuple(sorted(removed)))


def refresh_subscription_jobs(engine: Engine, settings: Settings) -> bool:
    """After a subscription was added or removed: bring this process's scheduler in line at
    once; False when no scheduler runs here (the schedulers' next sync will)."""
    scheduler = running_scheduler()
    if scheduler is None:
        return False
    sync_subscription_jobs(scheduler, engine, settings)
    return True
