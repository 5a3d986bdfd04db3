"""The scheduler: APScheduler 3.x with its jobs kept in the store, so schedules survive restarts.

Jobs: the nightly re-score (`SCORE_CRON`; with SYNC_SOURCE set, the nightly sync at
`SYNC_CRON` instead, which imports what is new and then re-scores), the weekly digest
(`DIGEST_CRON`) and a retry of an interrupted digest, all in `TIMEZONE`; with ALERTS_CHANNEL
set, the alerts evaluated after each scoring are posted then, and retried every ten minutes.
Coalescing and a misfire grace period make a scheduler that was down when a job was due run it
once when it comes back within the grace period, and never a backlog. Two schedulers on one
store may both fire a digest or an alert: their own exactly-once claims make that one post.
"""

from __future__ import annotations

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from clv.settings import Settings
from reports.schedule import cron_trigger

JOBS_TABLE = "apscheduler_jobs"
SCORE_JOB, DIGEST_JOB, RETRY_JOB = "clvbot-score", "clvbot-digest", "clvbot-digest-retry"
SYNC_JOB, ALERTS_JOB = "clvbot-sync", "clvbot-alerts"


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
    scheduler = build_scheduler(engine, settings)
    scheduler.start(paused=True)  # load the stored jobs before deciding what to change
    install_jobs(scheduler, settings)
    scheduler.resume()
    return scheduler


def install_jobs(scheduler: BackgroundScheduler, settings: Settings) -> None:
    """Add or update the jobs. A job whose schedule is unchanged keeps its stored next run
    time, so a run missed while clvbot was down is still caught up (once) on start."""
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
