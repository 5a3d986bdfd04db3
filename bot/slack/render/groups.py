"""`/clv segment <name>` and `/clv segments`: typed group summaries in, Block Kit out."""

from __future__ import annotations

from typing import Any

from clv.formatting import money, money_change, percent, signed
from clv.insights import GroupList, GroupSummary, RunRef
from clv.present.blocks import (
    code,
    context,
    escape,
    fields,
    header,
    line_sections,
    section,
    short,
    to_message,
)
from clv.present.predictions import withheld_line


def withheld_blocks(run: RunRef) -> list[dict[str, Any]]:
    """A note when the run has no predictions (clv.present.predictions.withheld_line)."""
    line = withheld_line(run.withheld)
    return [] if line is None else [context(f":hourglass: {escape(line)}")]


def to_change(group: GroupSummary) -> str:
    if group.customers_change is None or group.clv_change is None:
        return "no earlier week to compare with"
    cur = group.run.currency
    return (
        f"{signed(group.customers_change)} customers, "
        f"{money_change(group.clv_change, cur)} predicted CLV"
    )


def render_group(group: GroupSummary) -> dict[str, Any]:
    cur = group.run.currency
    pairs = [
        ("Customers", f"{group.customers:,} ({percent(group.share, decimals=1)})"),
        ("Predicted CLV", money(group.clv_sum, cur, decimals=0)),
        ("Median CLV", money(group.clv_median, cur)),
        ("Week over week", to_change(group)),
    ]
    rows = [
        f"{i}. {code(t.customer_id, 40)} {short(t.name or '')} — {money(t.predicted_clv, cur)}"
        + ("" if t.p_alive is None else f" · P(alive) {percent(t.p_alive)}")
        for i, t in enumerate(group.top, start=1)
    ]
    blocks = [
        header(f"{group.name} ({group.dimension})"),
        context(f"rule: {escape(group.rule)}"),
        *withheld_blocks(group.run),
        fields(pairs),
    ]
    if group.advice:
        blocks.append(section(f"_{escape(group.advice)}_"))
    if rows:
        blocks.append(section("*Top customers by predicted CLV*"))
        blocks.extend(line_sections(rows))
    blocks.append(context(f"scores as of {group.run.as_of}"))
    text = f"{group.name}: {group.customers:,} customers, {money(group.clv_sum, cur)}"
    return to_message(escape(text), blocks)


def render_groups(listing: GroupList) -> dict[str, Any]:
    cur, dimension = listing.run.currency, listing.dimension
    rows = []
    for g in listing.groups:
        change = "" if g.customers_change is None else f" ({signed(g.customers_change)} w/w)"
        rows.append(
            f"*{escape(g.name)}* — {g.customers:,} customers{change}, "
            f"{money(g.clv_sum, cur, decimals=0)} · _{escape(g.rule)}_"
        )
    order = "by value" if dimension == "segment" else "in rank order"
    notes = [f"scores as of {listing.run.as_of}", f"{dimension}s {order}"]
    if listing.unplaced:
        notes.append(f"{listing.unplaced:,} prospects (no purchase yet) have no {dimension}")
    notes.append("`/clv segment <name>` for one of them")
    blocks = [
        header(f"Customers by {dimension}"), *withheld_blocks(listing.run), *line_sections(rows),
        context(" · ".join(notes)),
    ]  # fmt: skip
    return to_message(f"{len(listing.groups)} groups by {escape(dimension)}", blocks)
