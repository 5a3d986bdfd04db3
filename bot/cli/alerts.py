"""`clvbot alerts`: recent alerts; evaluate and post now; mute and unmute a rule."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import typer

from bot.cli.context import fail, load_settings, open_store, out, user_errors
from bot.cli.lazy import FlagGroup
from clv.alerts.evaluate import evaluate_alerts
from clv.alerts.store import mute_rule, recent_alerts, unmute_rule
from clv.segments.alerts import RULES, enabled_rules
from clv.store import read_snapshot

app = typer.Typer(
    help="Alerts after each scoring run: list them, post what is due, mute a rule.",
    no_args_is_help=True,
    cls=FlagGroup,
)


@app.command("list")
def list_alerts(
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    limit: int = typer.Option(20, "--limit", min=1, max=500, help="How many recent alerts."),
) -> None:
    """The recent alerts with their status, and the rules with what mutes them."""
    settings = load_settings()
    engine = open_store(settings)
    with read_snapshot(engine) as session:
        view = recent_alerts(session, now=datetime.now(UTC),
                             enabled=enabled_rules(settings.alert_rules), limit=limit)  # fmt: skip
    if as_json:
        out.print(json.dumps(view.as_dict(), indent=2), markup=False)
        return
    for alert in view.recent:
        out.print(f"{alert.created_at:%Y-%m-%d %H:%M} {alert.status:<8} {alert.rule:<12} "
                  f"{alert.summary}", markup=False)  # fmt: skip
    if not view.recent:
        out.print("no alert has fired yet", markup=False)
    for rule, meaning in RULES.items():
        state = "on" if rule in view.enabled else "off"
        if rule in view.muted:
            state = f"muted until {view.muted[rule]:%Y-%m-%d %H:%M} UTC"
        out.print(f"rule {rule:<12} {state:<28} {meaning}", markup=False)


@app.command("post")
def post_alerts() -> None:
    """Evaluate the rules on the current scores and post what is due to ALERTS_CHANNEL."""
    from reports.alerts.publish import publish_alerts
    from reports.digest.publish import digest_client

    settings = load_settings()
    if not settings.alerts_channel:
        fail("ALERTS_CHANNEL is not set: alerts have nowhere to go", code=2)
    if settings.slack_bot_token is None:
        fail("SLACK_BOT_TOKEN is not set: see the README's Slack section", code=2)
    engine = open_store(settings)
    now = datetime.now(UTC)
    with user_errors():
        evaluation = evaluate_alerts(engine, settings, now=now)
        outcomes = publish_alerts(engine, settings, digest_client(settings), now=now)
    out.print(f"{len(evaluation.firings)} firing(s), {evaluation.inserted} new", markup=False)
    for outcome in outcomes:
        out.print(f"alert {outcome.alert_id} {outcome.rule}: {outcome.status} ({outcome.detail})",
                  markup=False)  # fmt: skip


@app.command("mute")
def mute(
    rule: str = typer.Argument(..., help=f"One of {', '.join(RULES)}."),
    days: int = typer.Option(7, "--days", min=1, max=365, help="For how many days."),
) -> None:
    """Mute a rule: its firings are kept (and listed) but not posted."""
    settings = load_settings()
    engine = open_store(settings)
    with user_errors():
        until = mute_rule(engine, rule, days=days, by="cli", now=datetime.now(UTC))
    out.print(f"muted {rule} until {until:%Y-%m-%d %H:%M} UTC", markup=False)


@app.command("unmute")
def unmute(rule: str = typer.Argument(..., help="The rule to post again.")) -> None:
    """Unmute a rule."""
    settings = load_settings()
    engine = open_store(settings)
    with user_errors():
        done = unmute_rule(engine, rule)
    out.print(f"{rule} {'unmuted' if done else 'was not muted'}", markup=False)
