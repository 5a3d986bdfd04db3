"""The customer card (`/clv <customer>`) and its "Why this number?" expansion."""

from __future__ import annotations

from typing import Any

from clv.formatting import money, percent, sparkline
from clv.present.blocks import (
    actions,
    button,
    context,
    divider,
    escape,
    fields,
    header,
    section,
    to_message,
)
from clv.present.outreach import outreach_block_id, outreach_button
from clv.present.privacy import to_masked_email, to_masked_key, to_masked_name

ACTION_WHY = "clv_why"
ACTION_SHARE = "clv_share"
ACTIVE_P = 0.7  # below it, and not dormant: slipping


def to_status(p_alive: float | None, dormant: bool, last_order: str | None) -> str:
    """P(alive) in plain language."""
    if dormant:
        return f"dormant since {last_order}" if last_order else "dormant"
    if p_alive is None:
        return "no purchase model in this run"
    label = "likely active" if p_alive >= ACTIVE_P else "slipping"
    return f"{label} (P(alive) {percent(p_alive)})"


def to_clv_cac(ratio: float | None) -> str | None:
    if ratio is None:
        return None
    if ratio < 1:
        return f":warning: {ratio:.1f} — losing money"
    if ratio >= 3:
        return f":white_check_mark: {ratio:.1f} — healthy"
    return f"{ratio:.1f}"


def _identity(card: dict[str, Any], masked: bool) -> tuple[str, str, str]:
    name, email, key = card["name"], card["email"], card["customer_id"]
    if masked:
        name, email, key = to_masked_name(name), to_masked_email(email), to_masked_key(key)
    return name or f"Customer {key}", email or "", key


def render_customer_card(
    card: dict[str, Any],
    *,
    exponent: int = 2,
    masked: bool = False,
    shared_by: str | None = None,
) -> dict[str, Any]:
    """`card` is `CustomerView.as_dict()`; masked cards (for channels) carry no buttons."""
    cur = card["currency"]
    name, email, key = _identity(card, masked)
    historical = card["historical_value_minor"] / 10**exponent
    pairs = [
        (f"Predicted CLV ({card['horizon_months']} months)", money(card["predicted_clv"], cur)),
        ("Historical value", money(historical, cur)),
        ("Status", escape(to_status(card["p_alive"], card["dormant"], card["last_order"]))),
        ("Orders · AOV", f"{card['orders']:,} · {money(card['aov'], cur)}"),
        ("First · last order", f"{card['first_order'] or '—'} · {card['last_order'] or '—'}"),
        ("Expected purchases, next 90 days", f"{card['expected_purchases_90d']:.2f}"),
        ("Segment", escape(card["segment"])),
        ("CLV tier · stage", f"{escape(card['tier'] or '—')} · {escape(card['stage'])}"),
    ]
    cac = to_clv_cac(card["clv_cac"])
    if cac:
        pairs.append(("CLV:CAC", cac))
    if card["nps"] is not None:
        pairs.append(("NPS", str(card["nps"])))
    history = [h["predicted_clv"] for h in card["history"]]
    trend = f"{len(history)}-week CLV trend `{sparkline(history)}`" if history else "no trend yet"
    who = f"customer `{escape(key)}`" + (f" · {escape(email)}" if email else "")
    blocks = [
        header(name),
        context(who),
        fields(pairs),
        context(f"{trend} · scores as of {card['as_of']}"),
    ]
    if shared_by:
        blocks.append(context(f"shared by <@{shared_by}> · personal data masked"))
    if not masked:
        buttons = [
            button("Why this number?", ACTION_WHY, card["customer_id"]),
            button("Share in channel", ACTION_SHARE, card["customer_id"]),
        ]
        if card["dormant"] and not card["opted_out"] and card.get("store_id"):
            buttons.append(outreach_button(card["store_id"], f"card:{card['customer_id']}"))
        blocks.append({**actions(*buttons), "block_id": outreach_block_id(card["store_id"] or 0)})
    text = f"{name} ({key}): predicted CLV {money(card['predicted_clv'], cur)}"
    return to_message(escape(text), blocks, ephemeral=not shared_by)


def render_why(
    card: dict[str, Any], run_settings: dict[str, Any], segment_median: float | None
) -> dict[str, Any]:
    """Predicted CLV taken apart: purchases × spend × discounting × margin, beside the others."""
    cur = card["currency"]
    horizon = int(run_settings.get("horizon_months", card["horizon_months"]))
    discount = float(run_settings.get("annual_discount_rate", 0.0))
    margin = float(run_settings.get("gross_margin", 1.0))
    spend, clv = card["expected_spend"], card["predicted_clv"]
    # the stored CLV is purchases × spend × margin, discounted month by month: back out the
    # discounted purchases so the product on screen multiplies out to the stored value
    discounted = clv / (spend * margin) if spend and margin else 0.0
    lines = [
        f"*Predicted CLV {money(clv, cur)}* over {horizon} months =",
        f"• expected purchases over {horizon} months, discounted at {percent(discount)} a year "
        f"(monthly): *{discounted:.2f}*",
        f"• × expected spend per order (Gamma-Gamma): *{money(spend, cur)}*",
        f"• × gross margin: *{percent(margin)}*",
        f"Next 90 days alone: {card['expected_purchases_90d']:.2f} expected purchases.",
        "Formula CLV (AOV × purchases a year × lifespan × margin): "
        f"*{money(card['formula_clv'], cur)}*",
    ]
    if segment_median is not None:
        lines.append(
            f"Median predicted CLV in {escape(card['segment'])}: *{money(segment_median, cur)}*"
        )
    name = card["name"] or f"customer {card['customer_id']}"
    blocks = [
        header(f"Why {name} is worth {money(clv, cur)}"),
        section("\n".join(lines)),
        divider(),
        context(f"customer `{escape(card['customer_id'])}` · scores as of {card['as_of']}"),
    ]
    return to_message(escape(f"Why predicted CLV is {money(clv, cur)}"), blocks)
