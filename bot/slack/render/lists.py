"""`/clv dormant [N]` and `/clv top [N]`: ranked customer lists."""

from __future__ import annotations

from typing import Any

from bot.slack.render.groups import withheld_blocks
from clv.formatting import money, percent
from clv.insights import RankedCustomer, RankedList
from clv.present.blocks import code, context, escape, header, line_sections, short, to_message
from clv.present.predictions import gap_words
from clv.segments.predictions import OVERDUE_RULE

TITLES = {
    "dormant": "Re-engagement list: dormant customers by value at stake",
    "top": "Most valuable customers by predicted CLV",
    "overdue": "Overdue customers by value at stake: contact them before they go dormant",
}


def _outreach_mark(r: RankedCustomer) -> str:
    if r.opted_out:
        return " :no_entry_sign: _opted out_"
    if r.outreach is not None and r.outreach.in_cooldown:
        return f" · _contacted; next possible {r.outreach.next_possible}_"
    if r.outreach is not None and r.outreach.held_out and r.outreach.assignment is not None:
        return f" · :test_tube: _held out (control group) until {r.outreach.assignment.until}_"
    return ""


def _row(i: int, r: RankedCustomer, kind: str, currency: str) -> str:
    who = f"{i}. {code(r.customer_id, 40)} {short(r.name or '')}{_outreach_mark(r)}"
    if kind == "dormant":  # the stored reason already states P(alive) when it is the cause
        reason = f" · {escape(r.dormant_reason)}" if r.dormant_reason else ""
        return f"{who} — at stake *{money(r.value_at_stake, currency)}*{reason}"
    p_alive = "" if r.p_alive is None else f" · P(alive) {percent(r.p_alive)}"
    if kind == "overdue":
        gap = "" if r.order_gap_days is None else f" · usually every {gap_words(r.order_gap_days)}"
        last = "" if r.days_since_last is None else f", last order {r.days_since_last} days ago"
        return f"{who} — at stake *{money(r.value_at_stake, currency)}*{p_alive}{gap}{last}"
    return f"{who} — *{money(r.predicted_clv, currency)}*{p_alive} · {escape(r.segment)}"


def render_ranked(listing: RankedList) -> dict[str, Any]:
    title = TITLES[listing.kind]
    cur = listing.run.currency
    lines = [_row(i, r, listing.kind, cur) for i, r in enumerate(listing.rows, start=1)]
    if not lines:
        lines = ["_Nobody on this list._"]
    blocks = [header(title), *withheld_blocks(listing.run)]
    if listing.capped:  # said first: a long list may lose its tail to the message limit
        blocks.append(context(f"showing the top {listing.cap}, the most a message holds"))
    blocks += [*line_sections(lines), context(f"scores as of {listing.run.as_of}")]
    if listing.kind == "overdue":
        blocks.append(context(escape(OVERDUE_RULE)))
    return to_message(f"{title} ({len(listing.rows)})", blocks)
