"""`clvbot digest`: preview the weekly digest, or post it now (exactly once unless --force);
`clvbot digest subscriptions` lists its deliveries."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import typer

from bot.cli.context import fail, load_settings, open_store, out, user_errors
from clv.store import read_snapshot
from clv.store.subscriptions import all_subscriptions
from clv.subscriptions import summarize
from reports.digest.data import Digest, build_digest
from reports.digest.publish import (
    PostOutcome,
    chart_png,
    cohort_chart_png,
    digest_client,
    publish_digest,
)
from reports.digest.render import render_blocks, render_text
from reports.schedule import next_fire

PREVIEW_CHANNEL = "#preview"


def digest(
    listing: str | None = typer.Argument(
        None,
        metavar="subscriptions",
        help="`subscriptions`: list the digest's deliveries (DIGEST_CHANNEL's and the "
        "channels' /clv subscribe ones) with their next time, instead.",
        show_default=False,
    ),
    preview: bool = typer.Option(False, "--preview", help="Render without posting."),
    send: bool = typer.Option(False, "--send", help="Post to the channel now."),
    out_dir: Path | None = typer.Option(
        None,
        "--out",
        help="With --preview: write digest.txt, digest.json (Block Kit), chart.png "
        "(and cohorts.png on the first digest of a month).",
    ),
    channel: str | None = typer.Option(None, "--channel", help="Channel (default DIGEST_CHANNEL)."),
    week: str | None = typer.Option(
        None,
        "--week",
        help="Week end, a Sunday, YYYY-MM-DD (default: the last complete week, on or before "
        "the newest scores).",
    ),
    force: bool = typer.Option(False, "--force", help="With --send: post even if already posted."),
) -> None:
    """The weekly digest: CLV trends, segments, movers, model health and the re-engagement list."""
    if listing is not None:
        return _list_subscriptions(listing)
    if preview == send:
        fail("say --preview (render only) or --send (post now)")
    settings = load_settings()
    week_end = _week(week)
    engine = open_store(settings)
    now = datetime.now(UTC)
    with user_errors():
        if preview:
            with read_snapshot(engine) as session:
                content = build_digest(session, settings, week_end=week_end, now=now)
            target = channel or settings.digest_channel or PREVIEW_CHANNEL
            out.print(render_text(content, channel=target), markup=False, end="")
            if out_dir is not None:
                _write_preview(out_dir, content, target)
            return
        target = channel or settings.digest_channel
        if not target:
            fail("no channel: pass --channel C0123456789 or set DIGEST_CHANNEL")
        if settings.slack_bot_token is None:
            fail("SLACK_BOT_TOKEN is not set: see the README's Slack section")
        outcome = publish_digest(
            engine,
            settings,
            digest_client(settings),
            channel=target,
            week_end=week_end,
            trigger="manual",
            force=force,
            now=now,
        )
    _say(outcome)


def _say(outcome: PostOutcome) -> None:
    """What `--send` did; exit 1 when nothing could be posted."""
    out.print(
        f"{outcome.status}: {outcome.detail}"
        + (f" (message ts {outcome.message_ts})" if outcome.message_ts else ""),
        markup=False,
    )
    if outcome.status == "already_posted":
        out.print("use --force to post it again", markup=False)
    if outcome.status in ("failed", "given_up", "no_scores"):
        raise typer.Exit(1)


def _week(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        fail(f"--week must be a date such as 2024-06-30, not {value!r}")
    if day.weekday() != 6:
        fail(f"--week must be a week end (a Sunday), not {day:%A} {day}")
    return day


def _write_preview(out_dir: Path, content: Digest, channel: str) -> None:
    """digest.txt, digest.json (Block Kit), chart.png, and cohorts.png on a month's first."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "digest.txt").write_text(render_text(content, channel=channel))
    message = render_blocks(content, channel=channel)
    (out_dir / "digest.json").write_text(json.dumps(message, indent=2) + "\n")
    (out_dir / "chart.png").write_bytes(chart_png(content))
    written = "digest.txt, digest.json and chart.png"
    if (cohorts := cohort_chart_png(content)) is not None:
        (out_dir / "cohorts.png").write_bytes(cohorts)
        written = "digest.txt, digest.json, chart.png and cohorts.png"
    out.print(f"\nwrote {written} to {out_dir}")


def _list_subscriptions(word: str) -> None:
    """Every delivery: its number, channel, group, schedule and next time in its own zone."""
    if word != "subscriptions":
        fail(f"`clvbot digest {word}`: the only word it takes is `subscriptions`")
    settings = load_settings()
    engine = open_store(settings)
    now = datetime.now(UTC)
    with read_snapshot(engine) as session:
        listing = all_subscriptions(session, settings)
    if not listing:
        out.print("no digest deliveries: set DIGEST_CHANNEL, or /clv subscribe in a channel",
                  markup=False)  # fmt: skip
    for subscription in listing:
        fire = next_fire(subscription, now)
        when = f"{fire.astimezone(subscription.zone):%a %Y-%m-%d %H:%M %Z}" if fire else "never"
        s = summarize(subscription)  # the words /clv subscriptions shows
        out.print(f"{s.number:<8} {s.channel:<12} {s.group:<28} {s.schedule}; next {when}",
                  markup=False)  # fmt: skip
