"""The read commands: `customer`, `segment`, `segments`, `dormant`, `top`, `model`, `trends`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import TypeVar

import typer
from rich.table import Column, Table
from sqlmodel import Session

from bot.cli.context import load_settings, open_store, out, print_json, user_errors
from bot.cli.render import print_customer, print_group, print_model, ranked_table, week_point
from clv.formatting import money, money_change, money_minor, percent, signed
from clv.insights import (
    MoverReport,
    NoScoresError,
    all_groups,
    customer_view,
    dormant_customers,
    group_summary,
    model_status,
    overdue_customers,
    stored_weeks,
    top_customers,
    weekly_trend,
)
from clv.insights import movers as find_movers
from clv.outreach.policy import OutreachRules
from clv.segments.definitions import rule_lines
from clv.settings import Settings
from clv.store import read_snapshot

JSON = typer.Option(False, "--json", help="Print JSON.")
MAX_CLI_LIST = 500  # the terminal holds more than a Slack message
T = TypeVar("T")


def _read(reader: Callable[[Session], T]) -> tuple[T, Settings]:
    settings = load_settings()
    with user_errors(), read_snapshot(open_store(settings)) as session:
        return reader(session), settings


def customer(
    key: str = typer.Argument(..., help="Customer id or email."), json_output: bool = JSON
) -> None:
    """The full view of one customer: values, P(alive), segment, stage and 13-week trend."""
    settings = load_settings()
    rules, now = OutreachRules.of(settings), datetime.now(UTC)
    view, _ = _read(lambda s: customer_view(s, key, rules=rules, now=now))
    if json_output:
        print_json(view.as_dict())
    else:
        print_customer(view)


def segment(
    name: str = typer.Argument(..., help="Segment, tier or stage name."), json_output: bool = JSON
) -> None:
    """One segment (or CLV tier, or lifecycle stage): size, value, change, rule, top customers."""
    group, _ = _read(lambda s: group_summary(s, name))
    if json_output:
        print_json(group.as_dict())
    else:
        print_group(group)


def segments(
    json_output: bool = JSON,
    by: str = typer.Option("segment", "--by", help="segment, tier or stage."),
) -> None:
    """Every segment (or tier, or stage) with size, value, week-over-week change and rule."""
    listing, settings = _read(lambda s: all_groups(s, by))
    currency = settings.currency
    if json_output:
        print_json([g.as_dict() for g in listing.groups])
        return
    table = Table(by, "customers", "share", "predicted CLV", "median", "Δ customers (w/w)", "rule")
    for g in listing.groups:
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
    if listing.unplaced:
        out.print(f"{listing.unplaced:,} prospects (no purchase yet) have no {by}", markup=False)
    lines = rule_lines(
        by, dormant_p_alive=settings.dormant_p_alive, dormant_max_days=settings.dormant_max_days
    )
    if lines:
        out.print("rules:", *(f"  {line}" for line in lines), sep="\n", markup=False)


def dormant(
    limit: int = typer.Option(10, "--limit", min=1, max=500), json_output: bool = JSON
) -> None:
    """Dormant customers ranked by value at stake; opted-out customers are marked."""
    settings = load_settings()
    rules, now = OutreachRules.of(settings), datetime.now(UTC)
    listing, _ = _read(
        lambda s: dormant_customers(s, limit=limit, rules=rules, now=now, cap=MAX_CLI_LIST)
    )
    if json_output:
        print_json(listing.as_dict())
    else:
        out.print(ranked_table(listing))


def top(limit: int = typer.Option(10, "--limit", min=1, max=500), json_output: bool = JSON) -> None:
    """The customers with the highest predicted CLV."""
    listing, _ = _read(lambda s: top_customers(s, limit=limit, cap=MAX_CLI_LIST))
    if json_output:
        print_json(listing.as_dict())
    else:
        out.print(ranked_table(listing))


def overdue(
    limit: int = typer.Option(10, "--limit", min=1, max=500), json_output: bool = JSON
) -> None:
    """Overdue customers (past their usual time between orders, not yet dormant) by value at
    stake."""
    settings = load_settings()
    rules, now = OutreachRules.of(settings), datetime.now(UTC)
    listing, _ = _read(
        lambda s: overdue_customers(s, limit=limit, cap=MAX_CLI_LIST, rules=rules, now=now)
    )
    if json_output:
        print_json(listing.as_dict())
    else:
        out.print(ranked_table(listing))


def model(json_output: bool = JSON) -> None:
    """The current run's models: parameters, standard errors, fit, holdout check, warnings."""
    status, settings = _read(model_status)
    if json_output:
        print_json(status.as_dict())
    else:
        print_model(status, settings.tzinfo)


def trends(
    weeks: int = typer.Option(13, "--weeks", min=1, max=520), json_output: bool = JSON
) -> None:
    """Customer equity, mean CLV, active and dormant customers and revenue, week by week."""
    rows, _ = _read(lambda s: weekly_trend(s, weeks=weeks))
    if json_output:
        print_json([r.as_dict() for r in rows])
        return
    table = Table("customer equity", "mean CLV", "active", "dormant", "revenue, 7 days")
    table.columns.insert(0, Column("week point", no_wrap=True))
    for r in rows:
        cur = r.run.currency
        table.add_row(
            week_point(r.week_end),
            money(r.customer_equity, cur, decimals=0),
            money(r.mean_clv, cur),
            f"{r.active:,}",
            f"{r.dormant:,}",
            money_minor(r.revenue_week_minor, cur, r.run.currency_exponent, decimals=0),
        )
    out.print(table)


def movers(
    before: str | None = typer.Option(
        None, "--from", help="Week end YYYY-MM-DD (default: the one before --to)."
    ),
    after: str | None = typer.Option(
        None, "--to", help="Week end YYYY-MM-DD (default: the newest)."
    ),
    limit: int = typer.Option(5, "--limit", min=1, max=100),
    json_output: bool = JSON,
) -> None:
    """Largest predicted-CLV rises and falls, and segment migrations, between two stored weeks."""

    def read(session: Session) -> MoverReport:
        weeks = stored_weeks(session)
        if len(weeks) < 2:
            raise NoScoresError()
        to_week = date.fromisoformat(after) if after else weeks[-1]
        earlier = [w for w in weeks if w < to_week]
        from_week = date.fromisoformat(before) if before else (earlier[-1] if earlier else weeks[0])
        return find_movers(session, before=from_week, after=to_week, limit=limit)

    found, settings = _read(read)
    if json_output:
        print_json(found.as_dict())
        return
    out.print(f"from {week_point(found.before)} to {week_point(found.after)}", markup=False)
    table = Table("customer", "name", "before", "after", "change")
    cur = settings.currency
    for mover in [*found.rises, *found.falls]:
        table.add_row(
            mover.customer_id,
            mover.name or "",
            money(mover.before, cur),
            money(mover.after, cur),
            money_change(mover.change, cur, decimals=2),
        )
    out.print(table)
    for m in found.migrations:
        out.print(f"{m.customers:,} {m.source} became {m.target}", markup=False)
