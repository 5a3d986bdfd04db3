"""The seeds' simple valuations beside the predictive ones: formula CLV, CLV:CAC, equity.

Formula CLV (the "simple formula" of the seed documents) is
``average order value x purchases per year x expected lifespan in years x gross margin``.
A customer's purchases per year are counted over their tenure, floored at one year so a
customer who bought yesterday is not extrapolated to hundreds of orders a year.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
DAYS_PER_YEAR = 365.25
DEFAULT_LIFESPAN_YEARS = 3.0  # used when the history is too short to measure churn


def formula_clv(
    aov: FloatArray,
    purchases: FloatArray,
    tenure_days: FloatArray,
    *,
    lifespan_years: float,
    gross_margin: float = 1.0,
) -> FloatArray:
    """AOV x purchases per year x lifespan (years) x margin, per customer."""
    years_observed = np.maximum(tenure_days / DAYS_PER_YEAR, 1.0)
    return np.asarray(aov * (purchases / years_observed) * lifespan_years * gross_margin)


def lifespan_from_churn(active_last_year: int, retained: int) -> float | None:
    """Expected lifespan in years, 1 / yearly churn, from a year-over-year cohort.

    ``active_last_year`` customers bought in the year before the last one; ``retained`` of them
    bought again in the last year. Returns None when there is no such cohort; caps the lifespan
    at 20 years when almost nobody churns.
    """
    if active_last_year <= 0:
        return None
    churn = 1.0 - retained / active_last_year
    return min(1.0 / churn, 20.0) if churn > 0 else 20.0


def clv_to_cac(clv: FloatArray, acquisition_cost: FloatArray) -> FloatArray:
    """CLV:CAC per customer; NaN where the acquisition cost is unknown or zero."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = clv / acquisition_cost
    return np.where(np.isfinite(ratio) & (acquisition_cost > 0), ratio, np.nan)


def customer_equity(clv: FloatArray) -> float:
    """The customer base's value: the sum of the customers' CLV."""
    return float(np.nansum(clv))
