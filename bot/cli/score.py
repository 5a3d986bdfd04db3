"""`clvbot score`: score every customer and store the run."""

from __future__ import annotations

from datetime import UTC, date, datetime

import typer
from sqlalchemy import Engine

from bot.cli.context import load_settings, open_store, out, user_errors
from clv.present.predictions import equity_text
from clv.scoring.pipeline import NO_MODEL
from clv.scoring.pipeline import score as run_score
from clv.scoring.weeks import today_in
from clv.settings import Settings


def score(
    as_of: str | None = typer.Option(None, "--as-of", help="YYYY-MM-DD; default today."),
    model: str | None = typer.Option(
        None, "--model", help="auto, bgnbd, mbgnbd or pnbd (default CLV_MODEL)."
    ),
    backfill: int = typer.Option(
        0, "--backfill", min=0, max=520, help="Also score as of each of the last N week ends."
    ),
    wait: float = typer.Option(
        0.0,
        "--wait",
        min=0.0,
        metavar="SECONDS",
        help="If another scoring run is in progress, wait up to this long for it to end.",
    ),
) -> None:
    """Fit the models and score every customer as of a day (orders on that day included)."""
    settings = load_settings()
    engine = open_store(settings)
    day = _parse_day(as_of) if as_of else today_in(settings.tzinfo, datetime.now(UTC))
    with user_errors():
        results = run_score(
            engine, settings, as_of=day, model=model, backfill=backfill, wait_seconds=wait
        )
    for result in results:
        chosen = " (chosen by CLV_MODEL=auto)" if result.chosen_by_auto else ""
        model = "no purchase model" if result.model == NO_MODEL else result.model
        equity = equity_text(result.customer_equity, result.equity_range, settings.currency)
        out.print(
            f"scored {result.n_customers:,} customers as of {result.as_of} with "
            f"{model}{chosen} (run {result.run_id}, equity {equity}, "
            f"{result.seconds:.1f} s)",
            markup=False,
        )
    for warning in results[-1].warnings:
        out.print(f"warning: {warning}", markup=False)
    if settings.alerts_channel:
        _alerts(engine, settings)
    if settings.slack_bot_token is not None:
        _homes(engine, settings)


def _homes(engine: Engine, settings: Settings) -> None:
    """After the run: republish the App Homes opened within APP_HOME_REFRESH_DAYS."""
    from reports.digest.publish import digest_client
    from reports.home.refresh import refresh_homes

    count = refresh_homes(engine, settings, digest_client(settings), now=datetime.now(UTC))
    if count:
        out.print(f"app home: {count} home tab(s) republished", markup=False)


def _alerts(engine: Engine, settings: Settings) -> None:
    """After the run: evaluate the alert rules, and post them when Slack is configured (else
    the scheduler's alerts job posts them)."""
    from clv.alerts.evaluate import evaluate_alerts

    now = datetime.now(UTC)
    with user_errors():
        evaluation = evaluate_alerts(engine, settings, now=now)
    line = f"alerts: {len(evaluation.firings)} firing(s), {evaluation.inserted} new"
    if settings.slack_bot_token is not None and evaluation.inserted:
        from reports.alerts.publish import publish_alerts
        from reports.digest.publish import digest_client

        outcomes = publish_alerts(engine, settings, digest_client(settings), now=now)
        line += f", {sum(o.status in ('posted', 'recovered') for o in outcomes)} posted"
    out.print(line, markup=False)


def _parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"expected YYYY-MM-DD, got {text!r}", param_hint="--as-of"
        ) from None
