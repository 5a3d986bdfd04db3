"""The customer card (`/clv <customer>`) and its "Why this number?" expansion.

Both take a `CustomerView` (clv.insights): no threshold or eligibility rule lives here. The
customer's activity comes from `clv.present.status.to_status` (which asks the definitions),
and whether they may be contacted from the outreach policy's verdict the view carries.
"""

from __future__ import annotations

from typing import Any

from clv.formatting import money, money_minor, percent, sparkline
from clv.insights import CustomerView
from clv.outreach import Eligibility
from clv.present.blocks import (
    actions,
    button,
    code,
    context,
    divider,
    escape,
    fields,
    header,
    section,
    to_message,
)
from clv.present.outreach import outreach_block_id, outreach_button
from clv.present.predictions import cadence_text, purchases_range, range_meaning, with_range
from clv.present.privacy import to_masked_email, to_masked_key, to_masked_name
from clv.present.status import to_status
from clv.segments.acquisition import DEFAULT_CLV_CAC_TARGET, clv_cac_band

ACTION_WHY = "clv_why"
ACTION_SHARE = "clv_share"


BAND_ICONS = {
    "losing money": ":warning:",
    "below target": ":small_orange_diamond:",
    "healthy": ":white_check_mark:",
}


def to_clv_cac(ratio: float | None, *, target: float = DEFAULT_CLV_CAC_TARGET) -> str | None:
    """The ratio with its band (`clv.segments.acquisition.clv_cac_band`) and an icon."""
    if ratio is None:
        return None
    band = clv_cac_band(ratio, target=target)
    return f"{BAND_ICONS[band]} {ratio:.1f} — {band}" if band else f"{ratio:.1f}"


def to_no_outreach(verdict: Eligibility) -> str:
    """Why a dormant customer has no outreach button, in mrkdwn (mentions as Slack shows them)."""
    if verdict.in_cooldown and verdict.last_by and verdict.last_at:
        who = f"<@{verdict.last_by}>" if verdict.last_by.isalnum() else escape(verdict.last_by)
        verb = "contacted" if verdict.last_status == "sent" else "outreach requested"
        return (
            f"No outreach button: {verb} by {who} on {verdict.last_at.date()}; "
            f"next possible {verdict.next_possible}"
        )
    return f"No outreach button: {escape(verdict.reason or 'not allowed now')}"


def _identity(view: CustomerView, masked: bool) -> tuple[str, str, str]:
    name, email, key = view.name, view.email, view.customer_id
    if masked:
        name, email, key = to_masked_name(name), to_masked_email(email), to_masked_key(key)
    return name or f"Customer {key}", email or "", key


def _predicted(view: CustomerView) -> list[tuple[str, str]]:
    """Predicted CLV with its range, purchases over the horizon and the cadence; below the
    data floor, what is missing instead."""
    s, run = view.scores, view.run
    cur, months = run.currency, run.horizon_months
    if run.withheld:
        return [(f"Predicted CLV ({months} months)", f"not predicted: {escape(run.withheld)}")]
    level = run.interval_level
    pairs = [
        (f"Predicted CLV ({months} months)",
         with_range(s.predicted_clv, s.clv_low, s.clv_high, level, cur)),
    ]  # fmt: skip
    purchases = purchases_range(s.expected_purchases_horizon, s.purchases_low,
                                s.purchases_high, level)  # fmt: skip
    if purchases is not None:
        pairs.append((f"Expected purchases, next {months} months", purchases))
    return pairs


def _orders_line(view: CustomerView) -> str:
    """The first and last order and, for a repeat buyer, their rhythm (clv.scoring.cadence)."""
    s = view.scores
    dates = f"{s.first_order or '—'} · {s.last_order or '—'}"
    pace = None if view.run.withheld else cadence_text(s.order_gap_days, s.next_order_on, s.overdue)
    return dates if pace is None else f"{dates}\n{escape(pace)}"


def _pairs(view: CustomerView) -> list[tuple[str, str]]:
    s, run = view.scores, view.run
    cur = run.currency
    pairs = [
        *_predicted(view),
        (
            "Historical value · total CLV",
            f"{money_minor(s.historical_value_minor, cur, run.currency_exponent)} · "
            f"{money(view.total_clv, cur)}",
        ),
        ("Status", escape(to_status(view))),
        ("Orders · AOV", f"{s.orders:,} · {money(s.aov, cur)}"),
        ("First · last order", _orders_line(view)),
        ("Segment", escape(s.segment)),
        ("CLV tier · stage", f"{escape(s.tier or '—')} · {escape(s.stage)}"),
    ]
    cac = to_clv_cac(s.clv_cac, target=view.run.clv_cac_target)
    if cac:
        pairs.append(("CLV:CAC", cac))
    if view.nps is not None:
        pairs.append(("NPS", str(view.nps)))
    return pairs


def render_customer_card(
    view: CustomerView, *, masked: bool = False, shared_by: str | None = None
) -> dict[str, Any]:
    """The card; a masked card (for a channel) carries no buttons."""
    name, email, key = _identity(view, masked)
    history = [week.predicted_clv for week in view.history]
    trend = f"{len(history)}-week CLV trend `{sparkline(history)}`" if history else "no trend yet"
    who = f"customer {code(key, 64)}" + (f" · {escape(email)}" if email else "")
    blocks = [
        header(name),
        context(who),
        fields(_pairs(view)),
        context(f"{trend} · scores as of {view.run.as_of}"),
    ]
    if shared_by:
        blocks.append(context(f"shared by <@{shared_by}> · personal data masked"))
    if not masked:
        if view.scores.dormant and not view.outreach.eligible:
            blocks.append(context(to_no_outreach(view.outreach)))
        blocks.append(_buttons(view))
    text = f"{name} ({key}): predicted CLV {money(view.scores.predicted_clv, view.run.currency)}"
    return to_message(escape(text), blocks, ephemeral=not shared_by)


def _buttons(view: CustomerView) -> dict[str, Any]:
    buttons = [
        button("Why this number?", ACTION_WHY, view.customer_id),
        button("Share in channel", ACTION_SHARE, view.customer_id),
    ]
    if view.outreach.eligible:  # the policy's verdict: dormant, consenting, not cooling down
        buttons.append(outreach_button(view.store_id, f"card:{view.customer_id}"))
    return {**actions(*buttons), "block_id": outreach_block_id(view.store_id)}


def render_why(view: CustomerView, segment_median: float | None) -> dict[str, Any]:
    """Predicted CLV taken apart; for a dormant customer, the value at stake first."""
    s, run = view.scores, view.run
    cur = run.currency
    lines = _at_stake_lines(view) if s.dormant else []
    lines += (
        _predicted_lines(view)
        if not run.withheld
        else [
            f"*No predicted CLV yet*: {escape(run.withheld)}. Until then the card shows the "
            "historical value and the formula CLV."
        ]
    )
    lines.append(_formula_line(view))
    if segment_median is not None:
        lines.append(f"Median predicted CLV in {escape(s.segment)}: *{money(segment_median, cur)}*")
    worth = s.value_at_stake if s.dormant else s.predicted_clv
    verb = "has at stake" if s.dormant else "is worth"
    name = view.name or f"customer {view.customer_id}"
    blocks = [
        header(f"Why {name} {verb} {money(worth, cur)}"),
        section("\n".join(lines)),
        divider(),
        context(f"customer {code(view.customer_id, 64)} · scores as of {run.as_of}"),
    ]
    return to_message(escape(f"Why {name} {verb} {money(worth, cur)}"), blocks)


def _at_stake_lines(view: CustomerView) -> list[str]:
    s, cur = view.scores, view.run.currency
    if_active = s.predicted_clv / s.p_alive if s.p_alive else None
    lines = [
        f"*Dormant* ({escape(s.dormant_reason or 'no recent purchase')}): "
        f"*{money(s.value_at_stake, cur)} at stake*.",
    ]
    if if_active is not None and s.p_alive is not None:
        lines.append(
            f"That is what {view.run.horizon_months} months would be worth if they were still "
            f"active ({money(if_active, cur)}) times the chance they are gone "
            f"({percent(1 - s.p_alive)}): what winning them back is worth."
        )
    return lines


def _predicted_lines(view: CustomerView) -> list[str]:
    s, run = view.scores, view.run
    cur, margin = run.currency, run.terms.gross_margin
    # the stored CLV is purchases × spend × margin, discounted month by month: back out the
    # discounted purchases so the product on screen multiplies out to the stored value
    discounted = s.predicted_clv / (s.expected_spend * margin) if s.expected_spend else 0.0
    horizon = run.horizon_months
    return [
        f"*Predicted CLV {money(s.predicted_clv, cur)}* covers the next {horizon} months "
        f"(CLV_HORIZON_MONTHS) =",
        f"• expected purchases over {horizon} months, discounted at "
        f"{percent(run.terms.annual_discount_rate)} a year (monthly): *{discounted:.2f}*",
        f"• × expected spend per order (Gamma-Gamma): *{money(s.expected_spend, cur)}*",
        f"• × gross margin: *{percent(margin)}*",
        f"Next 90 days alone: {s.expected_purchases_90d:.2f} expected purchases.",
        *_range_lines(view),
    ]


def _range_lines(view: CustomerView) -> list[str]:
    s, run = view.scores, view.run
    if s.clv_low is None or s.clv_high is None or run.interval_level is None:
        return []
    low, high = money(s.clv_low, run.currency), money(s.clv_high, run.currency)
    return [f"{range_meaning(run.interval_level)} Here: *{low}–{high}*."]


def _formula_line(view: CustomerView) -> str:
    lifespan = view.run.terms.lifespan_years
    span = f"{lifespan:.1f} years" if lifespan else "the expected lifespan"
    return (
        f"Formula CLV (AOV × purchases a year × lifespan × margin) covers the whole expected "
        f"lifespan ({span}), not {view.run.horizon_months} months: "
        f"*{money(view.scores.formula_clv, view.run.currency)}*"
    )
