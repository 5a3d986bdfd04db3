"""The acquisition reports a scoring run writes beside its scores, one JSON row each in
`run_reports`: channels, funnel, cohorts by month and by quarter, and NPS. Computed from the
run's own summary and scores in one pass, so that `/clv channels`, `funnel`, `cohorts` and
`nps` read a row instead of scanning a million customers.
"""

from __future__ import annotations

from typing import Any

from clv.scoring.reports.channels import channels_report
from clv.scoring.reports.cohorts import cohort_codes, cohorts_report, funnel_report
from clv.scoring.reports.inputs import build_base
from clv.scoring.reports.nps import nps_report
from clv.scoring.summary import CustomerSummary, SummaryPair, to_day
from clv.segments.acquisition import PERIODS
from clv.settings import Settings

REPORT_NAMES = ("channels", "funnel", "cohorts_month", "cohorts_quarter", "nps")


def acquisition_reports(
    settings: Settings, summary: CustomerSummary, pair: SummaryPair, values: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """Every report of `REPORT_NAMES`, by name, for a run with `summary` (one of `pair`'s)
    and `values`."""
    margin, exponent = settings.gross_margin, settings.currency_exponent
    base = build_base(
        summary, pair.months, values, pair.facts, zone=settings.tzinfo, gross_margin=margin,
        exponent=exponent,
    )  # fmt: skip
    day = to_day(summary.as_of)
    cohorts = {period: cohort_codes(base, period) for period in PERIODS}
    return {
        "channels": channels_report(
            base, gross_margin=margin, exponent=exponent, target=settings.clv_cac_target
        ),
        "funnel": funnel_report(base, cohorts),
        **{
            f"cohorts_{period}": cohorts_report(
                base, cohorts[period], period=period, as_of_day=day, exponent=exponent
            )
            for period in PERIODS
        },
        "nps": nps_report(base),
    }
