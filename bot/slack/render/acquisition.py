"""`/clv channels`, `/clv funnel`, `/clv cohorts` and `/clv nps`: the acquisition read models
in, Block Kit out. Channel names are data: escaped and clipped."""

from __future__ import annotations

from typing import Any

from bot.slack.render.customer import BAND_ICONS
from clv.formatting import money, money_change, percent, signed
from clv.insights.channels import ChannelReport, ChannelRow, FunnelReport, FunnelRow
from clv.insights.cohorts import CohortReport, CohortRow, NpsReport
from clv.present.acquisition import (
    affordable_sentence,
    nps_text,
    payback_text,
    ratio_text,
    worth_sentence,
)
from clv.present.blocks import (
    actions,
    button,
    clip,
    context,
    escape,
    header,
    line_sections,
    to_message,
)

NAME_CHARS = 60  # a channel or group name, before escaping
MAX_ROWS = 20  # channels or groups listed; the CLI lists all
COHORTS_SHOWN = 12
PERIODS_SHOWN = (0, 1, 2, 5, 11)  # on a cohort's line: its periods 1, 2, 3, 6 and 12
ACTION_COHORT_CHART = "clv_cohort_chart"  # the button's value is the period


def _name(value: str) -> str:
    return escape(clip(value, NAME_CHARS))


def _more(total: int, command: str) -> list[str]:
    return [f"{total - MAX_ROWS} more: `{command}`"] if total > MAX_ROWS else []


def channel_line(row: ChannelRow, target: float, currency: str) -> str:
    ratio = "no CAC recorded" if row.clv_cac is None else f"CLV:CAC *{ratio_text(row.clv_cac)}*"
    if row.band:
        ratio += f" {BAND_ICONS[row.band]} {row.band}"
    cac = f"{row.customers_with_cac:,} with CAC"
    if row.cac_mean is not None:
        cac += f", mean {money(row.cac_mean, currency)}"
    parts = [
        f"*{_name(row.channel)}* — {ratio}",
        f"{row.customers:,} customers ({cac})",
        f"total CLV mean {money(row.total_clv_mean, currency)}",
    ]
    if row.customers_with_cac:
        parts.append(f"payback {payback_text(row.payback_months)}")
    parts.append(f"{percent(row.equity_share, decimals=1)} of equity")
    change = row.change
    if change is not None and change.clv_cac is not None:
        parts.append(f"{signed(change.clv_cac, '{:.1f}')} in 4 weeks")
    line = " · ".join(parts)
    return line + f"\n      _{escape(affordable_sentence(row, target, currency))}_"


def render_channels(report: ChannelReport) -> dict[str, Any]:
    cur, target = report.run.currency, report.target
    rows = [channel_line(row, target, cur) for row in report.channels[:MAX_ROWS]]
    losing = [r.channel for r in report.channels if r.band == "losing money"]
    notes = [
        f"scores as of {report.run.as_of}",
        f"target {target:g}:1 (CLV_CAC_TARGET)",
        "total CLV = historical net revenue × gross margin + predicted CLV",
    ]
    if report.compared_with:
        notes.append(f"changes since {report.compared_with}")
    blocks = [header("Acquisition channels: CLV against CAC"), *line_sections(rows)]
    if losing:
        names = ", ".join(_name(name) for name in losing[:5])
        blocks.extend(line_sections([f":warning: Losing money on every customer: {names}"]))
    blocks.append(context(" · ".join([*notes, *_more(len(report.channels), "clvbot channels")])))
    return to_message(f"CLV:CAC of {len(report.channels)} acquisition channels", blocks)


def funnel_line(row: FunnelRow) -> str:
    days = row.median_days_to_first_order
    unit = "day" if days == 1 else "days"
    timing = "" if days is None else f", median {days:g} {unit} to the first order"
    return (
        f"*{_name(row.group)}* — {row.acquired:,} acquired → {row.converted:,} converted "
        f"({percent(row.converted_share)}{timing}) → {row.retained:,} retained "
        f"({percent(row.retained_share)}) → {row.loyal:,} loyal ({percent(row.loyal_share)})"
        f" · {row.dormant:,} dormant ({percent(row.dormant_share)}) · "
        f"{row.prospects:,} prospects"
    )


def render_funnel(report: FunnelReport) -> dict[str, Any]:
    title = f"Funnel: {clip(report.channel, NAME_CHARS)}" if report.channel else "Funnel"
    lines = [funnel_line(row) for row in report.channels[:MAX_ROWS]]
    lines.append(funnel_line(report.overall))
    if report.channel is None:
        lines += _more(len(report.channels), "clvbot funnel")
    recent = report.cohorts_quarter[-4:]
    blocks = [header(title), *line_sections(lines)]
    if recent:
        blocks.append(context("*By quarter of acquisition* (all channels)"))
        blocks.extend(line_sections([funnel_line(row) for row in recent]))
    blocks.append(context(
        f"scores as of {report.run.as_of} · shares of the acquired customers · converted = a "
        "first order, retained = a repeat purchase · `clvbot funnel --by month` for cohorts"
    ))  # fmt: skip
    return to_message(escape(title), blocks)


def cohort_line(row: CohortRow, currency: str) -> str:
    shown = [k for k in PERIODS_SHOWN if k < row.periods]
    revenue = " → ".join(money(row.revenue_per_customer[k], currency, decimals=0) for k in shown)
    kept = " / ".join(percent(row.retention[k]) for k in shown)
    ratio = "" if row.clv_cac is None else f" · CLV:CAC {ratio_text(row.clv_cac)}"
    return (
        f"*{row.cohort}* · {row.size:,} customer{'' if row.size == 1 else 's'} · revenue per "
        f"customer {revenue} · "
        f"buying {kept} · still to come {money(row.predicted_per_customer, currency)} each" + ratio
    )


def render_cohorts(report: CohortReport) -> dict[str, Any]:
    cur, period = report.run.currency, report.period
    rows = [cohort_line(row, cur) for row in report.cohorts[-COHORTS_SHOWN:]]
    blocks = [header(f"Acquisition cohorts by {period}"), *line_sections(rows)]
    comparison = report.comparison()
    if comparison is not None:
        k, new, old = comparison.period, comparison.newest, comparison.previous
        blocks.extend(line_sections([
            f"Newest complete cohort *{new.cohort}*: "
            f"{money(new.revenue_per_customer[k], cur)} per customer by {period} {k + 1} "
            f"against {money(old.revenue_per_customer[k], cur)} for {old.cohort} at the same "
            f"age ({money_change(comparison.revenue_change, cur, decimals=2)})"
        ]))  # fmt: skip
    shown = ", ".join(str(k + 1) for k in PERIODS_SHOWN)
    blocks.append(context(
        f"scores as of {report.run.as_of} · revenue to the end of {period}s {shown} since "
        f"acquisition (1 = the acquisition {period}; the newest is under way) · "
        f"`clvbot cohorts --period {period}` for every period"
    ))  # fmt: skip
    if report.cohorts:
        blocks.append(actions(button("Post the chart in channel", ACTION_COHORT_CHART, period)))
    return to_message(f"{len(report.cohorts)} cohorts by {period}", blocks)


def render_nps(report: NpsReport) -> dict[str, Any]:
    cur, minimum = report.run.currency, report.min_responses
    lines = [
        f"*{_name(g.group)}* — {nps_text(g, minimum)} · {escape(worth_sentence(g, cur))}"
        for g in report.groups[:MAX_ROWS]
        if g.respondents
    ]
    silent = sum(1 for g in report.groups if not g.respondents)
    overall = report.overall
    everyone = f"*All customers* — {nps_text(overall, minimum)} · "
    everyone += escape(worth_sentence(overall, cur))
    blocks = [
        header(f"NPS beside CLV, by {report.dimension}"),
        *line_sections([everyone]),
        *line_sections(lines or ["No answers in any group."]),
    ]
    notes = [f"scores as of {report.run.as_of}",
             "NPS = % promoters (9–10) − % detractors (0–6)",
             f"a group needs {minimum} answers (NPS_MIN_RESPONSES)",
             "CLV = mean total CLV"]  # fmt: skip
    if silent:
        notes.append(f"{silent} groups without answers")
    blocks.append(context(" · ".join(notes)))
    return to_message(f"NPS by {report.dimension}", blocks)
