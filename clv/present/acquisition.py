"""Acquisition figures in words, shared by Slack, the terminal and the digest."""

from __future__ import annotations

from clv.formatting import money, percent
from clv.insights.channels import ChannelRow
from clv.insights.cohorts import NpsGroup
from clv.segments.acquisition import AFFORDABLE_RULE, NPS_RULE, PAYBACK_RULE, clv_cac_rule


def ratio_text(ratio: float | None) -> str:
    """'6.3:1', or 'no CAC' when the group has no acquisition cost to divide by."""
    return "no CAC" if ratio is None else f"{ratio:.1f}:1"


def payback_text(months: int | None, *, has_cac: bool = True) -> str:
    if not has_cac:
        return "—"
    if months is None:
        return "not yet"
    return "in month 1" if months == 1 else f"in month {months}"


def band_text(row: ChannelRow) -> str:
    """The channel's band, or why it has none."""
    if row.clv_cac is None:
        return "no acquisition cost recorded"
    return row.band or ""


def affordable_sentence(row: ChannelRow, target: float, currency: str) -> str:
    """'to keep 3:1, you can spend up to $41 to acquire a customer like your organic ones'."""
    return (
        f"to keep {target:g}:1, you can spend up to {money(row.affordable_cac, currency)} to "
        f"acquire a customer like your {row.channel} ones"
    )


def nps_text(group: NpsGroup, min_responses: int) -> str:
    """'NPS +32 (412 answers)', or why there is no score."""
    if group.nps is None:
        return f"{group.respondents:,} answers: fewer than {min_responses}, no score"
    return f"NPS {group.nps:+.0f} ({group.respondents:,} answers)"


def worth_sentence(group: NpsGroup, currency: str) -> str:
    """'promoters $402 · passives $215 · detractors $172 (promoters are worth 2.3× detractors)'."""
    parts = [
        f"{name} {money(value, currency, decimals=0)}"
        for name, value in (
            ("promoters", group.promoters_clv_mean),
            ("passives", group.passives_clv_mean),
            ("detractors", group.detractors_clv_mean),
        )
        if value is not None
    ]
    text = " · ".join(parts) or "no answers"
    times = group.promoters_to_detractors
    return f"{text} (promoters are worth {times:.1f}× detractors)" if times else text


def share_text(count: int, share: float) -> str:
    return f"{count:,} ({percent(share)})"


def acquisition_rules(target: float) -> list[str]:
    """Every acquisition definition in words, as the commands print them under their tables."""
    return [clv_cac_rule(target), PAYBACK_RULE, AFFORDABLE_RULE, NPS_RULE]
