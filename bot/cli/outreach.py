"""`clvbot outreach report`: what outreach added, contacted against held-out customers."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import typer

from bot.cli.context import load_settings, open_store, out
from bot.cli.lazy import FlagGroup
from clv.outreach.experiment import ExperimentReport, experiment_report
from clv.present.experiment import comparison_line, experiment_sentence, lift_sentence
from clv.store import read_snapshot

app = typer.Typer(help="Outreach measured against its control group.", no_args_is_help=True,
                  cls=FlagGroup)  # fmt: skip


@app.command("report")
def report(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Contacted against held-out customers of the lists 2-8 weeks ago: overall, by list week
    and by tier, with 90 % intervals."""
    settings = load_settings()
    engine = open_store(settings)
    now = datetime.now(UTC).astimezone(settings.tzinfo)
    with read_snapshot(engine) as session:
        found = experiment_report(session, now=now, exponent=settings.currency_exponent)
    if as_json:
        out.print(json.dumps(found.as_dict(), indent=2), markup=False)
        return
    print_report(found, settings.currency)


def print_report(found: ExperimentReport, currency: str) -> None:
    out.print(f"Outreach results, {experiment_sentence(found, currency)}", markup=False)
    arm = found.overall.contact_arm
    out.print(f"Whole contact arm against held out: {lift_sentence(arm, currency)}", markup=False)
    for title, rows in (("by list week", found.weeks), ("by tier", found.tiers)):
        out.print(f"\n{title}", markup=False)
        for row in rows:
            out.print(f"  {comparison_line(row, currency)}", markup=False)
        if not rows:
            out.print("  no list week in the window yet", markup=False)
