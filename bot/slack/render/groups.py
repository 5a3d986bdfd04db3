"""`/clv segment <name>` and `/clv segments`."""

from __future__ import annotations

from typing import Any

from clv.formatting import money, percent, signed
from clv.present.blocks import (
    context,
    escape,
    fields,
    header,
    line_sections,
    section,
    short,
    to_message,
)


def _change(customers: int | None, value: float | None, currency: str) -> str:
    if customers is None or value is None:
        return "no earlier week to compare with"
    return f"{signed(customers)} customers, {signed(value)} {currency} predicted CLV"


def render_group(group: dict[str, Any], *, currency: str, as_of: str) -> dict[str, Any]:
    """`group` is `GroupSummary.as_dict()`."""
    name = group["name"]
    pairs = [
        ("Customers", f"{group['customers']:,} ({percent(group['share'], decimals=1)})"),
        ("Predicted CLV", money(group["clv_sum"], currency, decimals=0)),
        ("Median CLV", money(group["clv_median"], currency)),
        (
            "Week over week",
            _change(group["customers_change"], group["clv_change"], currency),
        ),
    ]
    rows = [
        f"{i}. `{short(t['customer_id'], 40)}` {short(t['name'] or '')} — "
        f"{money(t['predicted_clv'], currency)}"
        + ("" if t["p_alive"] is None else f" · P(alive) {percent(t['p_alive'])}")
        for i, t in enumerate(group["top"], start=1)
    ]
    blocks = [
        header(f"{name} ({group['dimension']})"),
        context(f"rule: {escape(group['rule'])}"),
        fields(pairs),
    ]
    if group["advice"]:
        blocks.append(section(f"_{escape(group['advice'])}_"))
    if rows:
        blocks.append(section("*Top customers by predicted CLV*"))
        blocks.extend(line_sections(rows))
    blocks.append(context(f"scores as of {as_of}"))
    text = f"{name}: {group['customers']:,} customers, {money(group['clv_sum'], currency)}"
    return to_message(escape(text), blocks)


def render_groups(
    groups: list[dict[str, Any]], *, dimension: str, currency: str, as_of: str
) -> dict[str, Any]:
    rows = []
    for g in groups:
        change = "" if g["customers_change"] is None else f" ({signed(g['customers_change'])} w/w)"
        rows.append(
            f"*{escape(g['name'])}* — {g['customers']:,} customers{change}, "
            f"{money(g['clv_sum'], currency, decimals=0)} · _{escape(g['rule'])}_"
        )
    blocks = [
        header(f"Customers by {dimension}"),
        *line_sections(rows),
        context(f"scores as of {as_of} · `/clv segment <name>` for one of them"),
    ]
    return to_message(f"{len(groups)} groups by {escape(dimension)}", blocks)
