"""The cohort chart of a cohort report: what `/clv cohorts`' button posts, `clvbot cohorts
--chart` writes and the month's first digest uploads, drawn one way."""

from __future__ import annotations

from clv.insights.cohorts import CohortReport, CohortRow
from reports.charts import render_cohort_chart

CHART_COHORTS = 12  # the newest cohorts drawn


def chart_cohorts(cohorts: tuple[CohortRow, ...]) -> tuple[CohortRow, ...]:
    return cohorts[-CHART_COHORTS:]


def cohort_chart(cohorts: tuple[CohortRow, ...], *, currency: str, period: str) -> bytes | None:
    """The PNG of the newest cohorts' cumulative revenue per customer (None: no cohort)."""
    shown = chart_cohorts(cohorts)
    if not shown:
        return None
    lines = [(c.cohort, c.revenue_per_customer) for c in shown]
    return render_cohort_chart(lines, currency=currency, period=period)


def report_chart(report: CohortReport) -> bytes | None:
    return cohort_chart(report.cohorts, currency=report.run.currency, period=report.period)


def chart_title(report: CohortReport) -> str:
    return (
        f"Cumulative revenue per customer by {report.period}ly acquisition cohort, as of "
        f"{report.run.as_of}"
    )


CHART_ALT = (
    "Lines of cumulative revenue per customer by period since acquisition, one per cohort; "
    "`/clv cohorts` gives the numbers."
)
