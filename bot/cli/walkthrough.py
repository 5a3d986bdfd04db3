"""`clvbot walkthrough`: the product on a fresh embedded SQLite database with the bundled CDNOW
data, step by step on the command line.

Its store is a file of its own (not the demo's), claimed before it is deleted and built again
(`clv.store.inuse`): a store another clvbot process has open is refused, never deleted."""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import typer
from rich.markup import escape

from bot.cli.context import fail, out, user_errors
from bot.cli.render import print_customer, print_group, ranked_table
from clv.datasets import write_cdnow_orders_csv
from clv.formatting import money, money_minor
from clv.ingest import import_orders
from clv.insights import customer_view, dormant_customers, group_summary, top_customers
from clv.outreach.policy import OutreachRules
from clv.scoring.pipeline import score
from clv.settings import Settings
from clv.store import make_engine, read_snapshot
from clv.store import upgrade as upgrade_schema
from clv.store.inuse import StoreInUseError, claim_for_rebuild
from clv.store.stats import store_stats
from reports.digest.data import build_digest
from reports.digest.render import render_text

WALKTHROUGH_DATABASE = Path("clvbot-walkthrough.db")  # not the demo's: it may be running
CDNOW_LAST_DAY = date(1998, 6, 30)  # the sample's history ends here: score as of that day


def walkthrough(
    database: Path = typer.Option(
        WALKTHROUGH_DATABASE, help="SQLite file to (re)create for the walkthrough."
    ),
    backfill: int = typer.Option(12, help="Weeks of history to score before the last one."),
) -> None:
    """Create a fresh store from the CDNOW sample, score it, and show what clvbot knows."""
    try:
        claim = claim_for_rebuild(database)  # refused while another clvbot process has it
    except StoreInUseError as exc:
        fail(escape(str(exc)))
    with claim, user_errors():
        claim.delete_files()
        settings = Settings(database_url=f"sqlite:///{database}", _env_file=None)
        engine = make_engine(settings.database_url)
        _, revision = upgrade_schema(engine)
        out.print(f"1. created {database} (schema {revision})")
        with tempfile.TemporaryDirectory() as tmp:
            orders_csv = write_cdnow_orders_csv(Path(tmp) / "cdnow_sample_orders.csv")
            report = import_orders(engine, orders_csv, settings)
        out.print(f"2. imported the CDNOW sample: {report.summary()}", markup=False)
        with read_snapshot(engine) as session:
            stats = store_stats(session=session)
        revenue = money_minor(stats.revenue_minor, settings.currency, settings.currency_exponent)
        out.print("3. store statistics")
        out.print(f"   customers  {stats.customers:,}")
        out.print(f"   orders     {stats.orders:,}")
        out.print(f"   dates      {stats.first_order} to {stats.last_order}")
        out.print(f"   revenue    {revenue}")
        runs = score(engine, settings, as_of=CDNOW_LAST_DAY, backfill=backfill)
        current = runs[-1]
        out.print(
            f"4. scored {current.n_customers:,} customers as of {current.as_of} with "
            f"{current.model} and {len(runs) - 1} weeks of backfill: customer equity "
            f"{money(current.customer_equity, settings.currency)}"
        )
        with read_snapshot(engine) as session:
            rules, now = OutreachRules.of(settings), datetime.now(UTC)
            best = top_customers(session, limit=1).rows[0]
            out.print(f"\n5. the most valuable customer, `clvbot customer {best.customer_id}`")
            print_customer(customer_view(session, best.customer_id, rules=rules, now=now))
            out.print("\n6. a segment, `clvbot segment champions`")
            print_group(group_summary(session, "champions", top=5))
            out.print("\n7. the top of the re-engagement list, `clvbot dormant --limit 5`")
            out.print(ranked_table(dormant_customers(session, limit=5, rules=rules, now=now)))
            out.print("\n8. the weekly digest, `clvbot digest --preview`\n")
            week_after = CDNOW_LAST_DAY + timedelta(days=7 - CDNOW_LAST_DAY.weekday())
            digest = build_digest(session, settings, week_end=None,
                                  now=datetime.combine(week_after, time(9), UTC))  # fmt: skip
            out.print(render_text(digest, channel="#clv-digest"), markup=False, end="")
    out.print(
        f"\nThe walkthrough's store stays in {database}: "
        f"DATABASE_URL=sqlite:///{database} .venv/bin/clvbot --help"
    )
