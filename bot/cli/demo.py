"""`clvbot demo`: the product on a fresh embedded SQLite database with the bundled CDNOW data."""

from __future__ import annotations

import tempfile
from pathlib import Path

import typer

from bot.cli.context import out, user_errors
from clv.datasets import write_cdnow_orders_csv
from clv.ingest import import_orders
from clv.ingest.parsing import format_money
from clv.settings import Settings
from clv.store import make_engine, session_scope
from clv.store import upgrade as upgrade_schema
from clv.store.stats import store_stats

DEMO_DATABASE = Path("clvbot-demo.db")


def demo(
    database: Path = typer.Option(DEMO_DATABASE, help="SQLite file to (re)create for the demo."),
) -> None:
    """Create a fresh demo database, import the CDNOW sample and show what the store holds."""
    for stale in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        stale.unlink(missing_ok=True)
    settings = Settings(database_url=f"sqlite:///{database}", timezone="UTC", currency="USD")
    engine = make_engine(settings.database_url)
    with user_errors():
        _, revision = upgrade_schema(engine)
        out.print(f"1. created {database} (schema {revision})")
        with tempfile.TemporaryDirectory() as tmp:
            orders_csv = write_cdnow_orders_csv(Path(tmp) / "cdnow_sample_orders.csv")
            report = import_orders(engine, orders_csv, settings)
        out.print(f"2. imported the CDNOW sample: {report.summary()}", markup=False)
        with session_scope(engine) as session:
            stats = store_stats(session=session)
    revenue = format_money(stats.revenue_minor, exponent=settings.currency_exponent)
    out.print("3. store statistics")
    out.print(f"   customers  {stats.customers:,}")
    out.print(f"   orders     {stats.orders:,}")
    out.print(f"   dates      {stats.first_order} to {stats.last_order}")
    out.print(f"   revenue    {revenue} {settings.currency}")
    out.print(
        f"\nThe demo database stays in {database}: DATABASE_URL=sqlite:///{database} clvbot stats"
    )
