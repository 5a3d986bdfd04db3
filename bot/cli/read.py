"""The read commands: `customer`, `segment`, `segments`, `dormant`, `top`, `model`, `trends`."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.table import Table
from sqlmodel import Session

from bot.cli.context import load_settings, open_store, out, user_errors
from clv.formatting import money, percent, signed, sparkline
from clv.insights import (
    RankedCustomer,
    all_groups,
    customer_view,
    dormant_customers,
    group_summary,
    model_status,
    top_customers,
    weekly_trend,
)
from clv.settings import Settings

JSON = typer.Option(False, "--json", help="Print JSON.")
T = TypeVar("T")


def _read(reader: Callable[[Session], T]) -> tuple[T, Settings]:
    settings = load_settings()
    with user_errors(), Session(open_store(settings)) as session:
        return reader(session), settings


def _json(data: Any) -> None:
    out.print_json(json.dumps(data, default=str))


def customer(
    key: str = typer.Argument(..., help="Customer id or email."), json_output: bool = JSON
) -> None:
    """The full view of one customer: values, P(alive), segment, stage and 13-week trend."""
    view, settings = _read(lambda s: customer_view(s, key))
    currency = settings.currency
    data = view.as_dict()
    if json_output:
        _json(data)
        return
    c = data
    historical = c["historical_value_minor"] / 10**settings.currency_exponent
    p_alive = "n/a" if c["p_alive"] is None else percent(c["p_alive"])
    lines = [
        f"{c['name'] or '(no name)'} · customer {c['customer_id']} · {c['email'] or 'no email'}",
        f"predicted CLV ({c['horizon_months']} months)  {money(c['predicted_clv'], currency)}",
        f"historical value             {money(historical, currency)}",
        f"formula CLV                  {money(c['formula_clv'], currency)}",
        f"P(alive)                     {p_alive}",
        f"orders / AOV                 {c['orders']} / {money(c['aov'], currency)}",
        f"first / last order           {c['first_order']} / {c['last_order']}",
        f"expected purchases, 90 days  {c['expected_purchases_90d']:.2f}",
        f"segment / tier / stage       {c['segment']} / {c['tier']} / {c['stage']}",
        f"RFM                          R{c['r_score']} F{c['f_score']} M{c['m_score']}",
    ]
    if c["clv_cac"] is not None:
        lines.append(f"CLV:CAC                      {c['clv_cac']:.1f}")
    if c["nps"] is not None:
        lines.append(f"NPS                          {c['nps']}")
    if c["dormant"]:
        lines.append(f"dormant                      {c['dormant_reason']}")
    history = [h["predicted_clv"] for h in c["history"]]
    lines.append(f"weekly CLV trend             {sparkline(history)} ({len(history)} weeks)")
    lines.append(f"scores as of                 {c['as_of']}")
    for line in lines:
        out.print(line, markup=False)


def segment(
    name: str = typer.Argument(..., help="Segment, tier or stage name."), json_output: bool = JSON
) -> None:
    """One segment (or CLV tier, or lifecycle stage): size, value, change, rule, top customers."""
    group, settings = _read(lambda s: group_summary(s, name))
    currency = settings.currency
    if json_output:
        _json(group.as_dict())
        return
    out.print(f"{group.name} ({group.dimension}): {group.rule}", markup=False)
    out.print(
        f"{group.customers:,} customers ({percent(group.share, decimals=1)}), "
        f"predicted CLV {money(group.clv_sum, currency)} in total, "
        f"median {money(group.clv_median, currency)}",
        markup=False,
    )
    if group.customers_change is not None and group.clv_change is not None:
        out.print(
            f"week over week: {signed(group.customers_change)} customers, "
            f"{signed(group.clv_change)} {currency}",
            markup=False,
        )
    if group.advice:
        out.print(group.advice, markup=False)
    table = Table("customer", "name", "predicted CLV", "P(alive)")
    for top in group.top:
        table.add_row(
            top.customer_id,
            top.name or "",
            money(top.predicted_clv, currency),
            "n/a" if top.p_alive is None else percent(top.p_alive),
        )
    out.print(table)


def segments(
    json_output: bool = JSON,
    by: str = typer.Option("segment", "--by", help="segment, tier or stage."),
) -> None:
    """Every segment (or tier, or stage) with size, value, week-over-week change and rule."""
    groups, settings = _read(lambda s: all_groups(s, by))
    currency = settings.currency
    if json_output:
        _json([g.as_dict() for g in groups])
        return
    table = Table(by, "customers", "share", "predicted CLV", "median", "Δ customers (w/w)", "rule")
    for g in groups:
        change = "" if g.customers_change is None else signed(g.customers_change)
        table.add_row(
            g.name,
            f"{g.customers:,}",
            percent(g.share, decimals=1),
            money(g.clv_sum, currency, decimals=0),
            money(g.clv_median, currency),
            change,
            g.rule,
        )
    out.print(table)


def _ranked_table(rows: list[RankedCustomer], currency: str, *, stake: bool) -> Table:
    table = Table(
        "customer",
        "name",
        "predicted CLV",
        "P(alive)",
        "value at stake" if stake else "segment",
        "why dormant" if stake else "stage",
    )
    for r in rows:
        name = (r.name or "") + (" (opted out)" if r.opted_out else "")
        p_alive = "n/a" if r.p_alive is None else percent(r.p_alive)
        table.add_row(
            r.customer_id,
            name,
            money(r.predicted_clv, currency),
            p_alive,
            money(r.value_at_stake, currency) if stake else r.segment,
            (r.dormant_reason or "") if stake else r.stage,
        )
    return table


def dormant(
    limit: int = typer.Option(10, "--limit", min=1, max=500), json_output: bool = JSON
) -> None:
    """Dormant customers ranked by value at stake; opted-out customers are marked."""
    rows, settings = _read(lambda s: dormant_customers(s, limit=limit))
    currency = settings.currency
    if json_output:
        _json([r.as_dict() for r in rows])
    else:
        out.print(_ranked_table(rows, currency, stake=True))


def top(limit: int = typer.Option(10, "--limit", min=1, max=500), json_output: bool = JSON) -> None:
    """The customers with the highest predicted CLV."""
    rows, settings = _read(lambda s: top_customers(s, limit=limit))
    currency = settings.currency
    if json_output:
        _json([r.as_dict() for r in rows])
    else:
        out.print(_ranked_table(rows, currency, stake=False))


def model(json_output: bool = JSON) -> None:
    """The current run's models: parameters, standard errors, fit, holdout check, warnings."""
    status, _ = _read(model_status)
    if json_output:
        _json(status)
        return
    tm, holdout = status["transactions_model"], status["holdout"]
    out.print(
        f"as of {status['as_of']} (fitted {status['fitted_at']}), {status['buyers']:,} "
        f"buyers of {status['customers']:,} customers",
        markup=False,
    )
    for key in ("transactions_model", "spend_model"):
        m = status[key]
        params = ", ".join(
            f"{k} = {v:.4g} (± {m.get('standard_errors', {}).get(k, float('nan')):.2g})"
            for k, v in m.get("params", {}).items()
        )
        out.print(f"{m.get('name')}: {params or 'not fitted'}", markup=False)
    if tm.get("log_likelihood") is not None:
        out.print(f"log-likelihood {tm['log_likelihood']:.1f} (time unit: {status['time_unit']})")
    if holdout:
        out.print(
            f"holdout {holdout['calibration_end']}..{holdout['holdout_end']}: predicted "
            f"{holdout['predicted_repeat_purchases']:,.0f} repeat purchases, actual "
            f"{holdout['actual_repeat_purchases']:,.0f}",
            markup=False,
        )
    for warning in status["warnings"]:
        out.print(f"warning: {warning}", markup=False)
    if status["failed_since"]:
        out.print(f"the last scoring run failed: {status['failed_since']['error']}", markup=False)


def trends(
    weeks: int = typer.Option(13, "--weeks", min=1, max=520), json_output: bool = JSON
) -> None:
    """Customer equity, mean CLV, active and dormant customers and revenue, week by week."""
    rows, settings = _read(lambda s: weekly_trend(s, weeks=weeks))
    currency = settings.currency
    if json_output:
        _json(rows)
        return
    table = Table("week ending", "customer equity", "mean CLV", "active", "dormant", "revenue")
    for r in rows:
        table.add_row(
            r["week_end"],
            money(r["customer_equity"], currency, decimals=0),
            money(r["mean_clv"], currency),
            f"{r['active']:,}",
            f"{r['dormant']:,}",
            money(r["revenue_week_minor"] / 10**settings.currency_exponent, currency, decimals=0),
        )
    out.print(table)
