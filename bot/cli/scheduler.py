"""`clvbot scheduler`: the re-score and digest jobs in a process of their own."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

import typer
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine

from bot.cli.context import load_settings, open_store
from bot.cli.stopping import stop_on_sigterm
from bot.logs import configure_logging
from clv.settings import Settings
from reports.jobs import JobContext, configure
from reports.schedule import next_fire_times
from reports.scheduler import start_scheduler


def start_jobs(engine: Engine, settings: Settings) -> Callable[[], None]:
    """Start the scheduler with its jobs; returns the function that stops it."""
    configure(JobContext(engine, settings))
    scheduler: BackgroundScheduler = start_scheduler(engine, settings)
    now = datetime.now(UTC)
    zone = settings.tzinfo
    for name, cron in (("re-score", settings.score_cron), ("digest", settings.digest_cron)):
        if name == "digest" and not settings.digest_channel:
            typer.echo("clvbot: no DIGEST_CHANNEL: the weekly digest is off", err=True)
            continue
        upcoming = next_fire_times(cron, zone, now, 1)
        when = upcoming[0].isoformat() if upcoming else "never"
        typer.echo(f"clvbot: {name} '{cron}' ({settings.timezone}), next at {when}", err=True)
    return lambda: scheduler.shutdown(wait=True)


def scheduler() -> None:
    """Run the nightly re-score and the weekly digest on their schedules until stopped."""
    settings = load_settings()
    engine = open_store(settings)
    configure_logging(logging.INFO)
    stop = start_jobs(engine, settings)
    with stop_on_sigterm() as stopping:
        try:
            stopping.wait()
        finally:
            stop()
            typer.echo("clvbot: scheduler stopped", err=True)
