"""Plain-text rendering of the read side for the terminal, shared by the commands and the
walkthrough. Typed views in (clv.insights), text out; amounts through clv.formatting."""

from __future__ import annotations

from datetime import UTC, date, tzinfo

from rich.table import Table

from bot.cli.context import out
from clv.formatting import money, money_change, money_minor, percent, signed, sparkline
from clv.insights import CustomerView, GroupSummary, RankedList
from clv.insights.model import ModelStatus
from clv.present.predictions import (
    cadence_text,
    comparison_table,
    equity_text,
    gap_words,
    purchases_range,
    with_range,
)
from clv.present.status import to_status
from clv.scoring.details import ModelReport
from clv.scoring.weeks import week_end
from clv.segments.acquisition import clv_cac_band
from clv.segments.predictions import AUTO_RULE


def customer_lines(view: CustomerView) -> list[str]:
    s, run = view.scores, view.run
    cur = run.currency
    p_alive = "n/a" if s.p_alive is None else percent(s.p_alive)
    historical = money_minor(s.historical_value_minor, cur, run.currency_exponent)
    lines = [
        f"{view.name or '(no name)'} · customer {view.customer_id} · {view.email or 'no email'}",
        f"predicted CLV ({run.horizon_months} months)  {_predicted(view)}",
        f"historical value             {historical}",
        f"total CLV                    {money(view.total_clv, cur)} (historical × margin + CLV)",
        f"formula CLV (lifespan)       {money(s.formula_clv, cur)}",
        f"P(alive)                     {p_alive}",
        f"status                       {to_status(view)}",
        f"orders / AOV                 {s.orders} / {money(s.aov, cur)}",
        f"first / last order           {s.first_order} / {s.last_order}",
        *_horizon_lines(view),
        f"segment / tier / stage       {s.segment} / {s.tier} / {s.stage}",
        f"RFM                          R{s.r_score} F{s.f_score} M{s.m_score}",
    ]
    if s.clv_cac is not None:
        band = clv_cac_band(s.clv_cac, target=run.clv_cac_target)
        lines.append(
            f"CLV:CAC                      {s.clv_cac:.1f}" + (f" ({band})" if band else "")
        )
    if view.nps is not None:
        lines.append(f"NPS                          {view.nps}")
    if s.dormant:
        lines.append(f"dormant                      {s.dormant_reason}")
        outreach = "possible" if view.outreach.eligible else f"no: {view.outreach.reason}"
        lines.append(f"outreach                     {outreach}")
    history = [week.predicted_clv for week in view.history]
    lines.append(f"weekly CLV trend             {sparkline(history)} ({len(history)} weeks)")
    lines.append(f"scores as of                 {run.as_of} (run {run.run_id})")
    return lines


def _predicted(view: CustomerView) -> str:
    s, run = view.scores, view.run
    if run.withheld:
        return f"not predicted: {run.withheld}"
    return with_range(s.predicted_clv, s.clv_low, s.clv_high, run.interval_level, run.currency)


def _horizon_lines(view: CustomerView) -> list[str]:
    s, run = view.scores, view.run
    if run.withheld:
        return []
    lines = [f"expected purchases, 90 days  {s.expected_purchases_90d:.2f}"]
    purchases = purchases_range(
        s.expected_purchases_horizon, s.purchases_low, s.purchases_high, run.interval_level
    )
    if purchases is not None:
        lines.append(f"expected purchases, {run.horizon_months} months {purchases}")
    pace = cadence_text(s.order_gap_days, s.next_order_on, s.overdue)
    if pace is not None:
        lines.append(f"order rhythm                 {pace}")
    return lines


def print_customer(view: CustomerView) -> None:
    for line in customer_lines(view):
        out.print(line, markup=False)


def print_group(group: GroupSummary) -> None:
    cur = group.run.currency
    out.print(f"{group.name} ({group.dimension}): {group.rule}", markup=False)
    out.print(
        f"{group.customers:,} customers ({percent(group.share, decimals=1)}), "
        f"predicted CLV {money(group.clv_sum, cur)} in total, "
        f"median {money(group.clv_median, cur)}",
        markup=False,
    )
    if group.customers_change is not None and group.clv_change is not None:
        out.print(
            f"week over week: {signed(group.customers_change)} customers, "
            f"{money_change(group.clv_change, cur)}",
            markup=False,
        )
    if group.advice:
        out.print(group.advice, markup=False)
    table = Table("customer", "name", "predicted CLV", "P(alive)")
    for top in group.top:
        table.add_row(
            top.customer_id,
            top.name or "",
            money(top.predicted_clv, cur),
            "n/a" if top.p_alive is None else percent(top.p_alive),
        )
    out.print(table)


def ranked_table(listing: RankedList) -> Table:
    if listing.kind == "overdue":
        return _overdue_table(listing)
    stake = listing.kind == "dormant"
    cur = listing.run.currency
    table = Table(
        "customer",
        "name",
        "predicted CLV",
        "P(alive)",
        "value at stake" if stake else "segment",
        "why dormant" if stake else "stage",
        caption=f"the top {listing.cap}, the most a list holds" if listing.capped else None,
    )
    for r in listing.rows:
        name = (r.name or "") + (" (opted out)" if r.opted_out else "")
        table.add_row(
            r.customer_id,
            name,
            money(r.predicted_clv, cur),
            "n/a" if r.p_alive is None else percent(r.p_alive),
            money(r.value_at_stake, cur) if stake else r.segment,
            (r.dormant_reason or "") if stake else r.stage,
        )
    return table


def _overdue_table(listing: RankedList) -> Table:
    cur = listing.run.currency
    table = Table(
        "customer", "name", "value at stake", "P(alive)", "usually orders every",
        "last order (days ago)", "next order expected",
        caption=f"the top {listing.cap}, the most a list holds" if listing.capped else None,
    )  # fmt: skip
    for r in listing.rows:
        table.add_row(
            r.customer_id, r.name or "", money(r.value_at_stake, cur),
            "n/a" if r.p_alive is None else percent(r.p_alive),
            "—" if r.order_gap_days is None else gap_words(r.order_gap_days),
            str(r.days_since_last), str(r.next_order_on or "—"),
        )  # fmt: skip
    return table


def print_model(status: ModelStatus, zone: tzinfo = UTC) -> None:
    """`clvbot model`: the current run's models with every parameter, the holdout check."""
    lines = [
        f"as of {status.run.as_of} (run {status.run.run_id}, fitted "
        f"{status.fitted_at:%Y-%m-%d %H:%M} UTC), {status.buyers:,} buyers of "
        f"{status.customers:,} customers"
        if status.fitted_at
        else f"as of {status.run.as_of} (run {status.run.run_id})",
        _model_line(status.transactions_model),
        _model_line(status.spend_model),
    ]
    log_likelihood = status.transactions_model.log_likelihood
    if log_likelihood is not None:
        lines.append(f"log-likelihood {log_likelihood:.1f} (time unit: {status.time_unit})")
    lines.append(f"holdout check: {status.holdout_summary}")
    equity = equity_text(status.customer_equity, status.equity_range, status.settings.currency)
    lines.append(f"customer equity: {'not predicted yet' if status.withheld else equity}")
    if status.spend_correlation is not None:
        lines.append(f"spend vs frequency correlation: {status.spend_correlation:+.2f} "
                     "(Gamma-Gamma assumes none)")  # fmt: skip
    if status.withheld:
        lines.append(f"no predictions: {status.withheld}")
    lines += [f"warning: {warning}" for warning in status.warnings
              if not (status.withheld and status.withheld in warning)]  # fmt: skip
    if status.failed_since:
        lines.append(f"the last scoring run failed: {status.failed_since.error}")
    if status.last_sync is not None:
        lines.append(status.last_sync.sentence(zone))
    for line in lines:
        out.print(line, markup=False)
    if status.comparison:
        out.print(_comparison_table(status), markup=False)
        out.print(AUTO_RULE, markup=False)


def _comparison_table(status: ModelStatus) -> Table:
    head, *rows = comparison_table(status.comparison)
    actual = next((r.actual_holdout for r in status.comparison if r.actual_holdout), None)
    caption = None if actual is None else f"actual holdout repeat purchases: {actual:,.0f}"
    table = Table(*head, title="CLV_MODEL=auto: the models compared", caption=caption)
    for row in rows:
        table.add_row(*row)
    return table


def _model_line(report: ModelReport) -> str:
    if not report.fitted:
        return f"{report.name}: not fitted"
    errors = report.standard_errors

    def error(key: str) -> str:
        value = errors.get(key)
        return "n/a" if value is None else f"{value:.2g}"

    params = ", ".join(f"{k} = {v:.4g} (± {error(k)})" for k, v in report.params.items())
    return f"{report.name}: {params}"


def week_point(day: date) -> str:
    """A stored weekly point as what it is: a week's Sunday, or the day a run of a week still
    under way was scored ('Sun 1998-06-28'; 'Tue 1998-06-30, week so far')."""
    label = f"{day:%a} {day.isoformat()}"
    return label if day == week_end(day) else f"{label}, week so far"
