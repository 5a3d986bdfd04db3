"""Rendering a digest, pure: the text version, and the Block Kit message within Slack's limits.

The prose lives in Jinja2 templates under `templates/digest/`; this module turns the digest
into display strings (money, signed changes, dates) and assembles the blocks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from clv.formatting import money, signed, sparkline
from clv.present.blocks import (
    MAX_BLOCKS,
    MAX_FALLBACK,
    MAX_TOTAL_TEXT,
    Block,
    block_text_size,
    clip,
    context,
    divider,
    escape,
    header,
    line_sections,
    section,
)
from clv.present.experiment import experiment_sentence
from clv.present.outreach import outreach_block_id, outreach_button, section_with_button
from clv.scoring.records import holdout_sentence
from clv.templating import render
from reports.digest.acquisition import acquisition_context
from reports.digest.model import (
    Digest,
    DormantRow,
    Drivers,
    Migration,
    Mover,
    SegmentRow,
    WeekPoint,
)

MORE_HINT = "More: `/clv dormant`"
# data values are clipped before they are escaped (escaping can make them 5x longer)
WHO_CHARS, NAME_CHARS, REASON_CHARS = 80, 40, 200
SHORTENED = "_Shortened to fit Slack: `clvbot digest --preview` prints all of it._"
_SLACK_USER = re.compile(r"[UW][A-Z0-9]{2,20}")


@dataclass(frozen=True)
class RenderedDigest:
    text: str  # the text version: printed by --preview, the message's fallback text
    message: dict[str, Any]  # chat.postMessage arguments: text and blocks
    chart_png: bytes | None
    chart_title: str


def digest_title(digest: Digest, *, separator: str = " · ") -> str:
    """ "Weekly CLV digest · week ending Sun 30 Jun 2024"; a group's digest names the group
    ("Weekly CLV digest · Gold tier · …"), a monthly one its month. Plain text: a header
    block is plain_text, and the mrkdwn fallback escapes it."""
    week = digest.week_end.strftime("%a %d %b %Y")
    parts = ["Monthly CLV digest" if digest.cadence == "monthly" else "Weekly CLV digest"]
    if digest.scope is not None:
        parts.append(digest.scope.label)
    if digest.period_end is not None:
        parts.append(f"{digest.period_end:%B %Y} (week ending {week})")
    else:
        parts.append(f"week ending {week}")
    return separator.join(parts)


def dormant_scope(digest: Digest) -> str:
    """Whom the dormant total counts: "in all", or "in the Gold tier"."""
    return "in all" if digest.scope is None else f"in the {digest.scope.label}"


def _labels(digest: Digest) -> dict[str, str]:
    """The text version's title, and whom the dormant total counts."""
    return {"title": digest_title(digest, separator=", "), "dormant_scope": dormant_scope(digest)}


def comparison_labels(digest: Digest) -> dict[str, str]:
    """What the changes are against, in words: last week, or for a monthly digest the month
    before's last complete week ("vs September (week ending 27 Sep)")."""
    if digest.cadence != "monthly" or digest.period_end is None:
        return {"versus": "vs last week", "since": "since last week",
                "movers_span": "last week → this week",
                "no_comparison": "This is the first scored week: changes show from next week on.",
                "no_movers": "No week to compare with yet."}  # fmt: skip
    month = (digest.period_end.replace(day=1) - timedelta(days=1)).strftime("%B")
    if digest.baseline is None:
        missing = f"No scored week of {month} to compare this month with."
        return {"versus": f"vs {month}", "since": f"since {month}", "movers_span": month,
                "no_comparison": missing, "no_movers": missing}  # fmt: skip
    base = digest.baseline.strftime("%d %b")
    return {
        "versus": f"vs {month} (week ending {base})",
        "since": f"since the end of {month} (week ending {base})",
        "movers_span": f"week ending {base} → week ending {digest.week_end:%d %b}",
        "no_comparison": "",
        "no_movers": digest.movers_note or f"No customer's predicted CLV moved since {base}.",
    }


def digest_context(digest: Digest, *, channel: str) -> dict[str, Any]:
    """Display strings for the templates (data values are escaped by the mrkdwn templates)."""
    cur = digest.currency

    def amount(value: float) -> str:
        return money(value, cur, decimals=0)

    def change(value: float | None) -> str | None:
        if value is None:
            return None
        return ("+" if value > 0 else "−" if value < 0 else "±") + amount(abs(value))

    def relative(value: float | None, base: float) -> str | None:
        text = change(value)
        if text is None or value is None:
            return None
        before = base - value
        return f"{text} ({signed(100 * value / before, '{:.1f}')}%)" if before else text

    compared = comparison_labels(digest)
    return {
        **_labels(digest),
        **compared,
        "week": digest.week_end.strftime("%a %d %b %Y"),
        "as_of": digest.as_of.isoformat(),
        "note": digest.note,
        "equity": amount(digest.customer_equity),
        "change_week": relative(digest.change_week, digest.customer_equity),
        "change_4_weeks": relative(digest.change_4_weeks, digest.customer_equity),
        "driver": driver_sentence(
            digest.drivers,
            digest.change_week,
            amount,
            change,
            since=compared["since"],
            missing=compared["no_comparison"],
        ),
        "sparkline": sparkline([p.customer_equity for p in digest.trend]),
        "weeks": [_week(p, amount, cur) for p in digest.trend],
        "segments": [_segment(row, amount, change) for row in digest.segments],
        "migrations": [_migration(m) for m in digest.migrations],
        "rises": [_mover(m, amount, change) for m in digest.rises],
        "falls": [_mover(m, amount, change) for m in digest.falls],
        **_health(digest),
        "outreach": _outreach(digest, amount),
        "dormant": [_dormant(row, amount) for row in digest.dormant],
        "dormant_total": f"{digest.dormant_total:,}",
        "dormant_as_of": (
            digest.dormant_as_of.isoformat() if digest.dormant_as_of != digest.as_of else None
        ),
        "channel": channel,
        **acquisition_context(digest.acquisition, cur),
    }


def driver_sentence(
    drivers: Drivers | None,
    change_week: float | None,
    amount: Any,
    change: Any,
    *,
    since: str = "since last week",
    missing: str = "This is the first scored week: changes show from next week on.",
) -> str:
    """One sentence saying what moved customer equity this week (`since`: or since when)."""
    if change_week is None:
        return missing
    if drivers is None:
        return f"Customer equity changed by {change(change_week)} {since}."
    parts = []
    if drivers.new_customers:
        parts.append(
            f"{drivers.new_customers:,} new customer{'s' if drivers.new_customers != 1 else ''} "
            f"added {amount(drivers.new_customers_clv)}"
        )
    if drivers.went_dormant:
        verb = "took away" if drivers.went_dormant_change <= 0 else "added"
        parts.append(
            f"{drivers.went_dormant:,} customer{'s' if drivers.went_dormant != 1 else ''} "
            f"going dormant {verb} {amount(abs(drivers.went_dormant_change))}"
        )
    verb = "added" if drivers.others_change >= 0 else "took away"
    parts.append(
        f"changed purchase and spend behaviour of existing customers {verb} "
        f"{amount(abs(drivers.others_change))}"
    )
    head = ", ".join(parts[:-1])
    sentence = f"{head} and {parts[-1]}" if head else parts[-1]
    return sentence[0].upper() + sentence[1:] + "."


def _week(point: WeekPoint, amount: Any, currency: str) -> dict[str, str]:
    return {
        "label": point.week_end.strftime("%d %b"),
        "equity": amount(point.customer_equity),
        "mean": money(point.mean_clv, currency),
        "active": f"{point.active:,}",
        "dormant": f"{point.dormant:,}",
    }


def _migration(m: Migration) -> dict[str, str]:
    return {
        "customers": f"{m.customers:,}",
        "source": clip(m.source, NAME_CHARS),
        "target": clip(m.target, NAME_CHARS),
    }


def _segment(row: SegmentRow, amount: Any, change: Any) -> dict[str, str | None]:
    return {
        "name": clip(row.name, NAME_CHARS),
        "customers": f"{row.customers:,}",
        "customers_change": signed(row.customers_change) if row.customers_change else None,
        "value": amount(row.clv_sum),
        "value_change": (
            change(row.clv_change)
            if row.clv_change is not None and abs(row.clv_change) >= 0.5
            else None
        ),
    }


def _mover(m: Mover, amount: Any, change: Any) -> dict[str, str]:
    who = f"{m.key} ({m.name})" if m.name else m.key
    return {
        "who": clip(who, WHO_CHARS),
        "before": amount(m.before),
        "after": amount(m.after),
        "change": change(m.after - m.before),
    }


def _health(digest: Digest) -> dict[str, Any]:
    """The model health: the current run's, in the words `/clv model` uses."""
    model = digest.model
    return {
        "model": model.name,
        "model_as_of": model.as_of.isoformat(),
        "fitted": model.fitted_at.strftime("%Y-%m-%d %H:%M UTC") if model.fitted_at else "?",
        "holdout": holdout_sentence(model.holdout),
        "warnings": [clip(w, REASON_CHARS) for w in model.warnings],
    }


def _outreach(digest: Digest, amount: Any) -> str | None:
    if digest.outreach is None:  # a group's digest: the experiment is of the whole shop
        return None
    return experiment_sentence(digest.outreach, digest.currency)


def _dormant(row: DormantRow, amount: Any) -> dict[str, Any]:
    who = f"{row.key} ({row.name})" if row.name else row.key
    cooldown = None
    if row.contacted_by and row.contacted_on and row.next_possible:
        by = row.contacted_by
        mention = f"<@{by}>" if _SLACK_USER.fullmatch(by) else escape(by)
        cooldown = {"by": by, "by_mrkdwn": mention, "on": row.contacted_on.isoformat(),
                    "next": row.next_possible.isoformat()}  # fmt: skip
    return {
        "customer_id": row.customer_id,
        "who": clip(who, WHO_CHARS),
        "segment": clip(row.segment, NAME_CHARS),
        "stake": amount(row.value_at_stake),
        "clv": amount(row.predicted_clv),
        "reason": clip(row.reason or "dormant", REASON_CHARS),
        "eligible": row.eligible,
        "why_not": row.why_not,
        "cooldown": cooldown,
    }


def render_text(digest: Digest, *, channel: str = "") -> str:
    return render("digest/digest.txt.j2", **digest_context(digest, channel=channel))


def render_blocks(digest: Digest, *, channel: str) -> dict[str, Any]:
    """chat.postMessage arguments (text + blocks), within Block Kit limits whatever the data.

    The headline and the re-engagement list come first in the budget (the list loses rows
    from its end, and says so, only if it cannot fit at all); the middle sections get what is
    left and are shortened, with a pointer to the full text, when the data is huge.
    """
    ctx = digest_context(digest, channel=channel)
    source = f"digest:{channel}:{digest.week_end.isoformat()}"
    head: list[Block] = [
        header(digest_title(digest)),
        *line_sections(render("digest/headline.mrkdwn.j2", **ctx).splitlines()),
    ]
    middle: list[Block] = [
        *line_sections(render("digest/trend.mrkdwn.j2", **ctx).splitlines()),
        context(f"Chart of these {len(ctx['weeks'])} weeks in the thread :point_down:"),
        divider(),
        *line_sections(render("digest/segments.mrkdwn.j2", **ctx).splitlines()),
        *line_sections(render("digest/movers.mrkdwn.j2", **ctx).splitlines()),
        divider(),
        *_with_divider(line_sections(render("digest/acquisition.mrkdwn.j2", **ctx).splitlines())),
        *line_sections(render("digest/health.mrkdwn.j2", **ctx).splitlines()),
        divider(),
    ]
    rows: list[Block] = []
    for row in ctx["dormant"]:
        mrkdwn = render("digest/dormant_row.mrkdwn.j2", row=row).strip()
        accessory = outreach_button(row["customer_id"], source) if row["eligible"] else None
        rows.append(section_with_button(mrkdwn, outreach_block_id(row["customer_id"]), accessory))
    total = f"{ctx['dormant_total']} dormant {escape(ctx['dormant_scope'])}"
    if ctx["dormant_as_of"]:
        total += f" (current scores, as of {ctx['dormant_as_of']})"
    blocks = _fit(head, middle, rows, dormant_total=total)
    fallback = f"{escape(ctx['title'])}: customer equity {ctx['equity']}"
    return {"text": clip(fallback, MAX_FALLBACK), "blocks": blocks}


def _with_divider(blocks: list[Block]) -> list[Block]:
    return [*blocks, divider()] if blocks else []


def _fit(
    head: list[Block], middle: list[Block], rows: list[Block], *, dormant_total: str
) -> list[Block]:
    budget = MAX_TOTAL_TEXT - 300  # room for the notes added here

    def size(blocks: list[Block]) -> int:
        return sum(block_text_size(b) for b in blocks)

    list_header = header("Re-engagement: most valuable dormant customers")
    fixed = size(head) + block_text_size(list_header)
    slots = MAX_BLOCKS - len(head) - 3  # list header, list note, shortened note
    kept = rows[: max(0, slots - 1)]
    while kept and fixed + size(kept) > budget:
        kept.pop()
    left_out = len(rows) - len(kept)
    note = f"{dormant_total}. {MORE_HINT}"
    if left_out:
        note = f"{left_out} more not shown to fit Slack. " + note
    tail = [list_header, *(kept or [context("No dormant customers this week.")]), context(note)]
    room = budget - fixed - size(kept)
    slots = MAX_BLOCKS - len(head) - len(tail) - 1
    shown: list[Block] = []
    for block in middle:
        cost = block_text_size(block)
        if cost > room or len(shown) >= slots:
            if block.get("type") == "section" and room > 200 and len(shown) < slots:
                shown.append(section(clip(block["text"]["text"], room - 100)))
            shown.append(context(SHORTENED))
            break
        shown.append(block)
        room -= cost
    return [*head, *shown, *tail]
