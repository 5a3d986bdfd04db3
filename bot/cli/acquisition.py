"""The acquisition commands: `channels`, `funnel`, `cohorts` and `nps`, read from the stored
reports of the current run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from bot.cli.context import err, load_settings, out, print_json
from bot.cli.read import JSON, _read
from clv.formatting import money, percent, signed
from clv.insights.channels import ChannelReport, FunnelRow, channel_report, funnel_report
from clv.insights.cohorts import CohortReport, cohort_report, nps_report
from clv.present.acquisition import (
    acquisition_rules,
    band_text,
    nps_text,
    payback_text,
    ratio_text,
    share_text,
)

COHORT_COLUMNS = 12  # periods since acquisition shown in the terminal's table


def _rules(target: float) -> None:
    out.print("rules:", *(f"  {line}" for line in acquisition_rules(target)), sep="\n",
              markup=False)  # fmt: skip


def _change(row: Any) -> str:
    change = row.change
    if change is None or change.clv_cac is None:
        return ""
    return signed(change.clv_cac, "{:.1f}")


def channels(json_output: bool = JSON) -> None:
    """CLV against acquisition cost per channel: CLV:CAC, payback, affordable CAC, equity."""
    report, _ = _read(lambda s: channel_report(s))
    if json_output:
        print_json(report.as_dict())
        return
    _channel_table(report)
    _rules(report.target)


def _channel_table(report: ChannelReport) -> None:
    cur = report.run.currency
    since = f"Δ CLV:CAC since {report.compared_with}" if report.compared_with else "Δ (4 weeks)"
    table = Table("channel", "customers", "with CAC", "mean CAC", "total CLV mean", "CLV:CAC",
                  "payback", "affordable CAC", "equity share", since, "")  # fmt: skip
    for r in report.channels:
        table.add_row(
            r.channel, f"{r.customers:,}", f"{r.customers_with_cac:,}",
            money(r.cac_mean, cur), money(r.total_clv_mean, cur), ratio_text(r.clv_cac),
            payback_text(r.payback_months, has_cac=r.customers_with_cac > 0),
            money(r.affordable_cac, cur), percent(r.equity_share, decimals=1), _change(r),
            band_text(r),
        )  # fmt: skip
    out.print(table)
    out.print(f"scores as of {report.run.as_of}; target {report.target:g}:1 (CLV_CAC_TARGET)",
              markup=False)  # fmt: skip


def _funnel_table(title: str, rows: tuple[FunnelRow, ...]) -> Table:
    table = Table(title, "acquired", "prospects", "converted", "median days to 1st order",
                  "retained", "loyal", "dormant")  # fmt: skip
    for r in rows:
        days = "—" if r.median_days_to_first_order is None else f"{r.median_days_to_first_order:g}"
        table.add_row(
            r.group, f"{r.acquired:,}", f"{r.prospects:,}",
            share_text(r.converted, r.converted_share), days,
            share_text(r.retained, r.retained_share), share_text(r.loyal, r.loyal_share),
            share_text(r.dormant, r.dormant_share),
        )  # fmt: skip
    return table


def funnel(
    channel: str | None = typer.Argument(None, help="One acquisition channel (default: all)."),
    by: str = typer.Option("channel", "--by", help="channel, month or quarter (the cohort)."),
    json_output: bool = JSON,
) -> None:
    """The lifecycle funnel per channel or cohort: acquired, converted, retained, loyal, dormant."""
    report, _ = _read(lambda s: funnel_report(s, channel=channel))
    if json_output:
        print_json(report.as_dict())
        return
    rows = {"channel": report.channels, "month": report.cohorts_month,
            "quarter": report.cohorts_quarter}.get(by, report.channels)  # fmt: skip
    out.print(_funnel_table("channel" if by == "channel" else f"cohort ({by})", rows))
    out.print(_funnel_table("", (report.overall,)))
    out.print("shares are of the acquired customers; converted = placed a first order, "
              "retained = a repeat purchase", markup=False)  # fmt: skip


def cohorts(
    period: str = typer.Option("month", "--period", help="month or quarter."),
    chart: Path | None = typer.Option(
        None, "--chart", help="Also write the cohort chart (PNG) to this file."
    ),
    json_output: bool = JSON,
) -> None:
    """Acquisition cohorts: size, retention and cumulative revenue per customer by period."""
    report, _ = _read(lambda s: cohort_report(s, period=period))
    if chart is not None:
        from reports.cohort_chart import report_chart  # matplotlib: only when asked

        png = report_chart(report)
        if png is not None:
            chart.write_bytes(png)
            err.print(f"wrote the cohort chart to {chart}", markup=False)
    if json_output:
        print_json(report.as_dict())
        return
    _cohort_tables(report)


def _cohort_tables(report: CohortReport) -> None:
    cur = report.run.currency
    width = min(COHORT_COLUMNS, max((c.periods for c in report.cohorts), default=1))
    keys = [str(k + 1) for k in range(width)]  # 1 = the acquisition period
    value = Table(
        "cohort",
        "size",
        "predicted per customer",
        "CLV:CAC",
        *keys,
        title=f"cumulative revenue per customer, by {report.period} since acquisition",
    )
    kept = Table("cohort", *keys, title=f"share buying in each {report.period}")  # fmt: skip
    for c in report.cohorts:
        pad = [""] * (width - min(width, c.periods))
        value.add_row(
            c.cohort,
            f"{c.size:,}",
            money(c.predicted_per_customer, cur),
            ratio_text(c.clv_cac),
            *(money(v, cur, decimals=0) for v in c.revenue_per_customer[:width]),
            *pad,
        )
        kept.add_row(c.cohort, *(percent(v) for v in c.retention[:width]), *pad)  # fmt: skip
    out.print(value)
    out.print(kept)
    period = report.period
    notes = [
        f"scores as of {report.run.as_of}",
        f"{period} 1 is the acquisition {period}; the newest is under way",
    ]
    if report.unplaced:
        notes.append(f"{report.unplaced:,} customers have no acquisition date and no order")
    out.print("; ".join(notes), markup=False)


def nps(
    by: str = typer.Option("segment", "--by", help="segment, tier or channel."),
    json_output: bool = JSON,
) -> None:
    """Net Promoter Score beside CLV: answers, NPS and what promoters and detractors are worth."""
    settings = load_settings()
    minimum = settings.nps_min_responses
    report, _ = _read(lambda s: nps_report(s, by=by, min_responses=minimum))
    if json_output:
        print_json(report.as_dict())
        return
    cur = report.run.currency
    table = Table(by, "answers", "promoters", "passives", "detractors", "NPS",
                  "promoters' CLV", "passives' CLV", "detractors' CLV", "P ÷ D")  # fmt: skip
    for g in (*report.groups, report.overall):
        score = "—" if g.nps is None else f"{g.nps:+.0f}"
        times = g.promoters_to_detractors
        table.add_row(g.group, f"{g.respondents:,}", f"{g.promoters:,}", f"{g.passives:,}",
                      f"{g.detractors:,}", score, money(g.promoters_clv_mean, cur),
                      money(g.passives_clv_mean, cur), money(g.detractors_clv_mean, cur),
                      "" if times is None else f"{times:.1f}×")  # fmt: skip
    out.print(table)
    out.print("CLV here is the mean total CLV of the group's promoters, passives and "
              "detractors", markup=False)  # fmt: skip
    out.print(nps_text(report.overall, minimum) + f"; a group needs {minimum} answers "
              "(NPS_MIN_RESPONSES) for a score", markup=False)  # fmt: skip
