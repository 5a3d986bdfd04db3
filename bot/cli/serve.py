"""`clvbot serve`: run the Slack app (Socket Mode with SLACK_APP_TOKEN, else HTTP on PORT)."""

from __future__ import annotations

import logging

import typer

from bot.cli.context import fail, load_settings, open_store
from bot.cli.scheduler import start_jobs
from bot.logs import configure_logging
from bot.slack.app import build_app
from bot.slack.deps import Deps, bot_engine
from bot.slack.server import EVENTS_PATH, serve_http, serve_socket_mode
from clv.outreach import OutreachConfigError

REQUIRED = ("slack_signing_secret", "slack_bot_token")


def serve(
    host: str = typer.Option("0.0.0.0", "--host", help="Interface for the HTTP server."),
    port: int | None = typer.Option(None, "--port", help="HTTP port (default: PORT, 3000)."),
    with_scheduler: bool = typer.Option(
        True, "--scheduler/--no-scheduler", help="Also run the re-score and digest jobs."
    ),
) -> None:
    """Answer /clv in Slack from the stored scores (and run the scheduled jobs)."""
    settings = load_settings()
    missing = [name.upper() for name in REQUIRED if getattr(settings, name) is None]
    if missing:
        fail(f"missing setting(s) {', '.join(missing)}: see the README's Slack section")
    engine = open_store(settings)  # exits with the fix when the schema is not current
    configure_logging(logging.INFO)
    try:
        deps = Deps(settings, bot_engine(settings))  # handlers: every store wait bounded
    except OutreachConfigError as exc:
        fail(str(exc))
    app = build_app(deps)
    stop_jobs = start_jobs(engine, settings) if with_scheduler else None
    try:
        if settings.slack_app_token is not None:
            from bot.slack.socket_mode import SocketModeRefusedError  # its adapter: only here

            typer.echo("clvbot: serving /clv over Socket Mode", err=True)
            try:
                serve_socket_mode(app, settings.slack_app_token.get_secret_value())
            except SocketModeRefusedError as exc:
                fail(str(exc))
            return
        port = port or settings.port
        typer.echo(
            f"clvbot: serving /clv on http://{host}:{port}{EVENTS_PATH} (health: /healthz)",
            err=True,
        )
        serve_http(app, deps.engine, settings, host=host, port=port)
    finally:
        if stop_jobs is not None:
            stop_jobs()
