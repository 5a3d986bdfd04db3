"""`clvbot stats`: what the store holds."""

from __future__ import annotations

import typer

from bot.cli.context import load_settings, open_store, out, print_json
from clv.formatting import major_units, money_exact
from clv.store import read_snapshot
from clv.store.stats import store_stats


def stats(json_output: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Counts of customers and orders, the date range and total revenue."""
    settings = load_settings()
    with read_snapshot(open_store(settings)) as session:
        result = store_stats(session=session)
    exponent = settings.currency_exponent
    if json_output:
        data = result.as_dict()
        del data["revenue_minor"]  # every amount in --json: major units (exact here)
        data["revenue"] = major_units(result.revenue_minor, exponent)
        data["currency"] = settings.currency
        print_json(data)
        return
    span = f"{result.first_order} to {result.last_order}" if result.first_order else "no orders"
    revenue = money_exact(result.revenue_minor, settings.currency, exponent)
    out.print(f"customers  {result.customers:,}")
    out.print(f"orders     {result.orders:,} ({result.refunds:,} refunds)")
    out.print(f"dates      {span}")
    out.print(f"revenue    {revenue} (net of refunds)", markup=False)
