"""Fitting the purchase and spend models on the buyers of a summary, and predicting with them.

When a model cannot be fitted (too few buyers, no repeat purchases, no convergence) the run
does not fail: the predictive fields fall back as documented below and a data warning says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from clv.predictive import (
    GammaGammaModel,
    ModelError,
    TransactionModel,
    customer_lifetime_value,
)
from clv.scoring.fitting import FitOutcome
from clv.scoring.intervals import (
    PMF_DRAWS,
    SEED,
    clv_ranges,
    equity_draws,
    equity_range,
    model_draws,
    purchase_ranges,
    spend_moments,
)
from clv.scoring.records import EquityRange
from clv.scoring.summary import CustomerSummary
from clv.segments.scores import FloatArray, IntArray

DAYS_PER_MONTH = 365.25 / 12
HORIZON_90_DAYS = 90.0


@dataclass(frozen=True)
class Ranges:
    """Per buyer: the CLV_INTERVAL ranges of CLV and of purchases over the horizon, the
    expected purchases over it, and customer equity's range."""

    level: float
    clv_low: FloatArray
    clv_high: FloatArray
    purchases_low: IntArray
    purchases_high: IntArray
    expected_horizon: FloatArray
    equity: EquityRange


@dataclass
class Predictions:
    """Per-buyer predictions (arrays aligned with the summary's buyers) and the fitted models."""

    p_alive: FloatArray
    expected_90d: FloatArray
    expected_spend: FloatArray
    clv: FloatArray
    transaction_model: TransactionModel | None
    spend_model: GammaGammaModel | None
    warnings: list[str] = field(default_factory=list)
    ranges: Ranges | None = None
    spend_correlation: float | None = None


def spend_correlation(x: FloatArray, monetary: FloatArray) -> float | None:
    """Pearson correlation of frequency and mean repeat spend over the repeat buyers: the
    Gamma-Gamma model assumes none (Fader & Hardie 2013, section 2)."""
    repeat = x > 0
    if repeat.sum() < 3 or np.ptp(x[repeat]) == 0 or np.ptp(monetary[repeat]) == 0:
        return None
    return float(np.corrcoef(x[repeat], monetary[repeat])[0, 1])


def _fit_spend(x: FloatArray, monetary: FloatArray, warnings: list[str]) -> GammaGammaModel | None:
    """Gamma-Gamma fitted on the buyers, or None (with a warning) when it cannot be."""
    try:
        return GammaGammaModel().fit(x, monetary)
    except ModelError as exc:
        warnings.append(f"spend model not fitted ({exc}); expected spend = the customer's AOV")
        return None


def predict(
    summary: CustomerSummary,
    fit: FitOutcome,
    *,
    exponent: int,
    months: int,
    monthly_discount_rate: float,
    gross_margin: float,
    level: float,
) -> Predictions:
    """Predict for each buyer of `summary` with the fitted purchase model of `fit` and a
    Gamma-Gamma fitted here, with `level` ranges.

    Money comes out in major units (dollars). Fallbacks: without a purchase model, P(alive) is
    NaN and expected purchases and CLV are 0; without a spend model, a buyer's expected spend is
    their own average order value. Repeat buyers whose repeat purchases were all worth 0 are
    valued with the population's mean spend (Gamma-Gamma needs positive values).
    """
    buyers = summary.buyers
    x = summary.frequency[buyers].astype(np.float64)
    t_x, T = summary.recency[buyers], summary.T[buyers]
    scale = 10.0**exponent
    monetary = summary.monetary_minor[buyers] / scale
    orders = summary.orders[buyers]
    aov = np.divide(summary.bought_minor[buyers] / scale, orders, out=np.zeros(x.size),
                    where=orders > 0)  # fmt: skip
    warnings = list(fit.steps)
    spend_model = _fit_spend(x, monetary, warnings)
    model = fit.model
    if model is None:
        spend = aov if spend_model is None else spend_model.expected_spend(x, monetary)
        nan = np.full(x.size, np.nan)
        return Predictions(nan, np.zeros(x.size), spend, np.zeros(x.size), None, spend_model,
                           warnings, None, spend_correlation(x, monetary))  # fmt: skip
    with np.errstate(all="ignore"):
        p_alive = model.probability_alive(x, t_x, T)
        expected_90d = model.expected_purchases(HORIZON_90_DAYS, x, t_x, T)
    if spend_model is None:
        spend = aov
        clv = _clv_with_spend(model, aov, x, t_x, T, months, monthly_discount_rate)
    else:
        monetary = _valued(spend_model, x, monetary)
        spend = spend_model.expected_spend(x, monetary)
        clv = customer_lifetime_value(
            model, spend_model, x, t_x, T, monetary, months=months,
            monthly_discount_rate=monthly_discount_rate, units_per_month=DAYS_PER_MONTH,
        )  # fmt: skip
    clv = clv * gross_margin
    ranges = _ranges(model, spend_model, x, t_x, T, monetary, spend, clv, months, level)
    return Predictions(p_alive, expected_90d, spend, clv, model, spend_model, warnings, ranges,
                       spend_correlation(x, monetary))  # fmt: skip


def _valued(spend_model: GammaGammaModel, x: FloatArray, monetary: FloatArray) -> FloatArray:
    params = spend_model.params
    population_mean = params["p"] * params["v"] / (params["q"] - 1.0)
    return np.where((x > 0) & (monetary <= 0), population_mean, monetary)


def _ranges(
    model: TransactionModel,
    spend_model: GammaGammaModel | None,
    x: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
    monetary: FloatArray,
    spend: FloatArray,
    clv: FloatArray,
    months: int,
    level: float,
) -> Ranges:
    """The ranges (clv.scoring.intervals), with a fixed seed: the same data, the same ranges."""
    rng = np.random.default_rng(SEED)
    horizon = months * DAYS_PER_MONTH
    models = model_draws(model, rng)
    spends = spend_moments(spend_model, x, monetary, spend, rng, len(models))
    with np.errstate(all="ignore"):
        expected = model.expected_purchases(horizon, x, t_x, T)
        undiscounted = expected * spend
        factor = np.where(undiscounted > 0, clv / undiscounted, 0.0)  # margin x discount
    purchases = purchase_ranges(models[:PMF_DRAWS], x, t_x, T, horizon=horizon, level=level)
    low, high, variance = clv_ranges(purchases, spends, factor, level)

    def weight(i: int, rows: IntArray | None) -> FloatArray:
        return (factor if rows is None else factor[rows]) * spends.draw(i, rows)

    draws = equity_draws(models, x, t_x, T, horizon=horizon, weight=weight, rng=rng)
    equity = equity_range(float(clv.sum()), draws, variance, level)
    return Ranges(level, low, high, purchases.low, purchases.high, expected, equity)


def _clv_with_spend(
    model: TransactionModel,
    spend: FloatArray,
    x: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
    months: int,
    rate: float,
) -> FloatArray:
    """Discounted CLV with a given expected spend per purchase (no spend model)."""
    ends = DAYS_PER_MONTH * np.arange(0, months + 1)
    cumulative = np.stack(
        [model.expected_purchases(t, x, t_x, T) if t else np.zeros(x.size) for t in ends]
    )
    discount = (1.0 + rate) ** -np.arange(1, months + 1)
    return np.asarray(spend * (np.diff(cumulative, axis=0).T @ discount))


def model_report(model: TransactionModel | GammaGammaModel | None, name: str) -> dict[str, Any]:
    if model is None:
        return {"name": name, "fitted": False}
    return {
        "name": name,
        "fitted": True,
        "params": model.params,
        "standard_errors": model.standard_errors,
        "log_likelihood": model.log_likelihood,
    }
