"""An alert firing as a channel message (pure): personal data masked, every value escaped.

A VIP alert lists its customers, each with an outreach button when the policy allows it now,
or why not (held out as the control group, opted out, in the cooldown); the other rules say
what moved and against what.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clv.formatting import money, money_change, percent
from clv.outreach.policy import Eligibility
from clv.present.blocks import Block, context, escape, header, section, to_message
from clv.present.outreach import outreach_block_id, outreach_button, section_with_button
from clv.segments.alerts import RULES

TITLES = {
    "vip_dormant": ":rotating_light: Top customers turned dormant",
    "vip_overdue": ":hourglass: Top customers are overdue",
    "equity_drop": ":chart_with_downwards_trend: Customer equity fell",
    "channel_cac": ":money_with_wings: A channel fell below its CLV:CAC target",
    "model_drift": ":warning: The model drifted",
}


def render_alert(
    alert_id: int, rule: str, summary: str, payload: Mapping[str, Any],
    verdicts: Mapping[int, Eligibility],
) -> dict[str, Any]:  # fmt: skip
    """chat.postMessage arguments (text and blocks) of one firing."""
    blocks: list[Block] = [header(TITLES.get(rule, rule)), section(escape(summary))]
    if rule in ("vip_dormant", "vip_overdue"):
        blocks += _customers(alert_id, payload, verdicts)
    elif rule == "equity_drop":
        blocks += _equity(payload)
    elif rule == "channel_cac":
        blocks += _channels(payload)
    elif rule == "model_drift":
        blocks += _drift(payload)
    about = f"rule `{rule}`: {escape(RULES.get(rule, ''))}"
    mute = f"mute: `/clv alerts mute {rule} 7`"
    blocks.append(context(f"Scores as of {escape(payload.get('as_of'))} · {about} · {mute}"))
    message = to_message(summary, blocks, ephemeral=False)
    message.pop("response_type", None)
    return message


def _customers(
    alert_id: int, payload: Mapping[str, Any], verdicts: Mapping[int, Eligibility]
) -> list[Block]:
    cur = str(payload.get("currency", "USD"))
    blocks: list[Block] = []
    for row in payload.get("customers", []):
        who = escape(row["key"]) + (f" ({escape(row['name'])})" if row.get("name") else "")
        text = (
            f"*{who}* · {escape(row.get('tier'))} · {escape(row.get('segment'))}\n"
            f"at stake *{money(row['value_at_stake'], cur, decimals=0)}* · predicted CLV "
            f"{money(row['predicted_clv'], cur, decimals=0)} · "
            f"P(alive) {percent(row.get('p_alive'))}"
            f"\n{escape(row.get('reason'))}"
        )
        verdict = verdicts.get(int(row["store_id"]))
        button = None
        if verdict is not None and verdict.eligible:
            button = outreach_button(int(row["store_id"]), f"alert:{alert_id}")
        elif verdict is not None and verdict.reason:
            mark = ":test_tube:" if verdict.held_out else ":no_entry_sign:"
            text += f"\n{mark} _no button: {escape(verdict.reason)}_"
        blocks.append(section_with_button(text, outreach_block_id(int(row["store_id"])), button))
    more = int(payload.get("total", 0)) - len(payload.get("customers", []))
    if more > 0:
        blocks.append(context(f"… and {more:,} more: `/clv dormant` and `/clv overdue` list them"))
    return blocks


def _equity(payload: Mapping[str, Any]) -> list[Block]:
    cur = str(payload.get("currency", "USD"))
    lines = [
        f"*{money(payload['before'], cur, decimals=0)}* on {escape(payload['before_as_of'])} → "
        f"*{money(payload['after'], cur, decimals=0)}* ({money_change(payload['change'], cur)}, "
        f"{percent(payload['share'], decimals=1)}; the alert fires below "
        f"−{percent(payload['threshold'], decimals=1)})"
    ]
    drivers = payload.get("drivers")
    if drivers:
        lines.append(
            f"Drivers: {drivers['new_customers']:,} new customers added "
            f"{money(drivers['new_customers_clv'], cur, decimals=0)}; {drivers['went_dormant']:,} "
            f"going dormant changed it by {money_change(drivers['went_dormant_change'], cur)}; "
            f"everyone else by {money_change(drivers['others_change'], cur)}."
        )
    return [section("\n".join(lines))]


def _channels(payload: Mapping[str, Any]) -> list[Block]:
    cur = str(payload.get("currency", "USD"))
    lines = []
    for row in payload.get("channels", []):
        before = f" (was {row['before']:.1f}:1)" if row.get("before") is not None else ""
        spend = ""
        if row.get("affordable_cac") is not None:
            spend = (f" · to keep {payload['target']:g}:1, spend up to "
                     f"{money(row['affordable_cac'], cur)} per customer (now "
                     f"{money(row.get('cac_mean'), cur)})")  # fmt: skip
        flag = " · :red_circle: losing money" if row.get("losing") else ""
        lines.append(f"*{escape(row['channel'])}* {row['clv_cac']:.1f}:1{before}{spend}{flag}")
    lines.append("`/clv channels` has every channel.")
    return [section("\n".join(lines))]


def _drift(payload: Mapping[str, Any]) -> list[Block]:
    lines = []
    for m in payload.get("measures", []):
        previous = f"; the run before: {m['previous']:.3g}" if m.get("previous") is not None else ""
        lines.append(f"*{escape(m['label'])}* {m['value']:.3g}, usual band "
                     f"{m['low']:.3g}–{m['high']:.3g}{previous}")  # fmt: skip
    lines.append("`/clv model` shows the holdout check and the models compared.")
    return [section("\n".join(lines))]
