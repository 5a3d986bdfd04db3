"""Plain-text rendering of the read side for the terminal, shared by the commands and the demo."""

from __future__ import annotations

from rich.table import Table

from bot.cli.context import out
from clv.formatting import money, percent, signed, sparkline
from clv.insights import CustomerView, GroupSummary, RankedCustomer
from clv.insights.model import ModelStatus
from clv.scoring.details import ModelReport
from clv.settings import Settings


def print_customer(view: CustomerView, settings: Settings) -> None:
    currency = settings.currency
    c = view.as_dict()
    historical = c["historical_value_minor"] / 10**settings.currency_exponent
    p_alive = "n/a" if c["p_alive"] is None else percent(c["p_alive"])
    lines = [
        f"{c['name'] or '(no name)'} · customer {c['customer_id']} · {c['email'] or 'no email'}",
        f"predicted CLV ({c['horizon_months']} months)  {money(c['predicted_clv'], currency)}",
        f"historical value             {money(historical, currency)}",
        f"formula CLV                  {money(c['formula_clv'], currency)}",
        f"P(alive)                     {p_alive}",
        f"orders / AOV                 {c['orders']} / {money(c['aov'], currency)}",
        f"first / last order           {c['first_order']} / {c['last_order']}",
        f"expected purchases, 90 days  {c['expected_purchases_90d']:.2f}",
        f"segment / tier / stage       {c['segment']} / {c['tier']} / {c['stage']}",
        f"RFM                          R{c['r_score']} F{c['f_score']} M{c['m_score']}",
    ]
    if c["clv_cac"] is not None:
        lines.append(f"CLV:CAC                      {c['clv_cac']:.1f}")
    if c["nps"] is not None:
        lines.append(f"NPS                          {c['nps']}")
    if c["dormant"]:
        lines.append(f"dormant                      {c['dormant_reason']}")
    history = [h["predicted_clv"] for h in c["history"]]
    lines.append(f"weekly CLV trend             {sparkline(history)} ({len(history)} weeks)")
    lines.append(f"scores as of                 {c['as_of']}")
    for line in lines:
        out.print(line, markup=False)


def print_group(group: GroupSummary, currency: str) -> None:
    out.print(f"{group.name} ({group.dimension}): {group.rule}", markup=False)
    out.print(
        f"{group.customers:,} customers ({percent(group.share, decimals=1)}), "
        f"predicted CLV {money(group.clv_sum, currency)} in total, "
        f"median {money(group.clv_median, currency)}",
        markup=False,
    )
    if group.customers_change is not None and group.clv_change is not None:
        out.print(
            f"week over week: {signed(group.customers_change)} customers, "
            f"{signed(group.clv_change)} {currency}",
            markup=False,
        )
    if group.advice:
        out.print(group.advice, markup=False)
    table = Table("customer", "name", "predicted CLV", "P(alive)")
    for top in group.top:
        table.add_row(
            top.customer_id,
            top.name or "",
            money(top.predicted_clv, currency),
            "n/a" if top.p_alive is None else percent(top.p_alive),
        )
    out.print(table)


def ranked_table(rows: list[RankedCustomer], currency: str, *, stake: bool) -> Table:
    table = Table(
        "customer",
        "name",
        "predicted CLV",
        "P(alive)",
        "value at stake" if stake else "segment",
        "why dormant" if stake else "stage",
    )
    for r in rows:
        name = (r.name or "") + (" (opted out)" if r.opted_out else "")
        p_alive = "n/a" if r.p_alive is None else percent(r.p_alive)
        table.add_row(
            r.customer_id,
            name,
            money(r.predicted_clv, currency),
            p_alive,
            money(r.value_at_stake, currency) if stake else r.segment,
            (r.dormant_reason or "") if stake else r.stage,
        )
    return table


def print_model(status: ModelStatus) -> None:
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
    lines += [f"warning: {warning}" for warning in status.warnings]
    if status.failed_since:
        lines.append(f"the last scoring run failed: {status.failed_since.error}")
    for line in lines:
        out.print(line, markup=False)


def _model_line(report: ModelReport) -> str:
    if not report.fitted:
        return f"{report.name}: not fitted"
    errors = report.standard_errors

    def error(key: str) -> str:
        value = errors.get(key)
        return "n/a" if value is None else f"{value:.2g}"

    params = ", ".join(f"{k} = {v:.4g} (± {error(k)})" for k, v in report.params.items())
    return f"{report.name}: {params}"
