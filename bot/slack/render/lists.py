"""`/clv dormant [N]` and `/clv top [N]`: ranked customer lists."""

from __future__ import annotations

from typing import Any

from clv.formatting import money, percent
from clv.present.blocks import context, escape, header, line_sections, short, to_message


def _row(i: int, r: dict[str, Any], currency: str, stake: bool) -> str:
    name, key = short(r["name"] or ""), short(r["customer_id"], 40)
    opted = " :no_entry_sign: _opted out_" if r["opted_out"] else ""
    p_alive = "" if r["p_alive"] is None else f" · P(alive) {percent(r['p_alive'])}"
    if stake:
        return (
            f"{i}. `{key}` {name}{opted} — at stake "
            f"*{money(r['value_at_stake'], currency)}*{p_alive}"
            f" · {escape(r['dormant_reason'] or '')}"
        )
    return (
        f"{i}. `{key}` {name}{opted} — *{money(r['predicted_clv'], currency)}*"
        f"{p_alive} · {escape(r['segment'])}"
    )


def render_ranked(
    rows: list[dict[str, Any]], *, stake: bool, currency: str, as_of: str
) -> dict[str, Any]:
    """`rows` are `RankedCustomer.as_dict()`; stake=True is the re-engagement list."""
    title = (
        "Re-engagement list: dormant customers by value at stake"
        if stake
        else ("Most valuable customers by predicted CLV")
    )
    lines = [_row(i, r, currency, stake) for i, r in enumerate(rows, start=1)]
    if not lines:
        lines = ["_Nobody on this list._"]
    blocks = [header(title), *line_sections(lines), context(f"scores as of {as_of}")]
    return to_message(f"{title} ({len(rows)})", blocks)
