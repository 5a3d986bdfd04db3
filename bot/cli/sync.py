"""`clvbot sync`: import what is new in SYNC_SOURCE now (the scheduler does it at SYNC_CRON)."""

from __future__ import annotations

from datetime import UTC, datetime

import typer

from bot.cli.context import fail, load_settings, open_store, out, print_json, user_errors


def sync(
    score_after: bool = typer.Option(
        False, "--score", help="Re-score as of yesterday afterwards, as the nightly job does."
    ),
    json_output: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Import the orders that are new in SYNC_SOURCE since the last sync."""
    from clv.ingest.sync import run_sync

    settings = load_settings()
    engine = open_store(settings)
    with user_errors():
        outcome = run_sync(engine, settings, now=datetime.now(UTC))
        if score_after:
            from clv.scoring.pipeline import score
            from reports.schedule import score_as_of

            score(engine, settings, as_of=score_as_of(datetime.now(UTC), settings.tzinfo))
    sentence = outcome.sentence(settings.tzinfo)
    if json_output:
        print_json({"status": outcome.status, "summary": sentence, "read": outcome.read,
                    "imported": outcome.imported, "updated": outcome.updated,
                    "unchanged": outcome.unchanged, "rejected": outcome.rejected,
                    "error": outcome.error})  # fmt: skip
    elif outcome.status == "ok":
        out.print(sentence, markup=False)
    if outcome.status != "ok":
        fail(sentence)
