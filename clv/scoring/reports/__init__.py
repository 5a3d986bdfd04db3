"""The acquisition reports a scoring run writes beside its scores, one JSON row each in
`run_reports`: channels, funnel, cohorts by month and by quarter, and NPS. Computed from the
run's own summary and scores in one pass, so that `/clv channels`, `funnel`, `cohorts` and
`nps` read a row instead of scanning a million customers.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from clv.scoring.reports.channels import channels_report
from clv.scoring.reports.cohorts import cohorts_report, funnel_report
from clv.scoring.reports.inputs import build_base, read_attributes
from clv.scoring.reports.nps import nps_report
from clv.scoring.summary import CustomerMonths, CustomerSummary, to_day
from clv.settings import Settings

REPORT_NAMES = ("channels", "funnel", "cohorts_month", "cohorts_quarter", "nps")


def acquisition_reports(
    engine: Engine,
    settings: Settings,
    summary: CustomerSummary,
    months: CustomerMonths,
    values: dict[str, Any],
) -> dict[str, dict[str, Any]]:
    """Every report of `REPORT_NAMES`, by name, for a run with `summary` and `values`."""
    with engine.connect() as connection:
        attributes = read_attributes(connection, summary.customer_id, settings.tzinfo)
    margin, exponent = settings.gross_margin, settings.currency_exponent
    base = build_base(summary, months, values, attributes, gross_margin=margin, exponent=exponent)
    day = to_day(summary.as_of)
    return {
        "channels": channels_report(
            base, gross_margin=margin, exponent=exponent, target=settings.clv_cac_target
        ),
        "funnel": funnel_report(base),
        "cohorts_month": cohorts_report(base, period="month", as_of_day=day, exponent=exponent),
        "cohorts_quarter": cohorts_report(base, period="quarter", as_of_day=day, exponent=exponent),
        "nps": nps_report(base),
    }
