"""Fitting the purchase and spend models on the buyers of a summary, and predicting with them.

When a model cannot be fitted (too few buyers, no repeat purchases, no convergence) the run
does not fail: the predictive fields fall back as documented below and a data warning says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from clv.predictive import (
    BetaGeoModel,
    GammaGammaModel,
    ModelError,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
    TransactionModel,
    customer_lifetime_value,
)
from clv.scoring.summary import CustomerSummary
from clv.segments.scores import FloatArray

TRANSACTION_MODELS: dict[str, type[TransactionModel]] = {
    "bgnbd": BetaGeoModel,
    "mbgnbd": ModifiedBetaGeoModel,
    "pnbd": ParetoNBDModel,
}
MODEL_TITLES = {"bgnbd": "BG/NBD", "mbgnbd": "MBG/NBD", "pnbd": "Pareto/NBD"}
DAYS_PER_MONTH = 365.25 / 12
HORIZON_90_DAYS = 90.0


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


def fit_transaction_model(
    name: str, x: FloatArray, t_x: FloatArray, T: FloatArray
) -> TransactionModel:
    model = TRANSACTION_MODELS[name]()
    return model.fit(x, t_x, T)


def _fit_spend(x: FloatArray, monetary: FloatArray, warnings: list[str]) -> GammaGammaModel | None:
    """Gamma-Gamma fitted on the buyers, or None (with a warning) when it cannot be."""
    try:
        return GammaGammaModel().fit(x, monetary)
    except ModelError as exc:
        warnings.append(f"spend model not fitted ({exc}); expected spend = the customer's AOV")
        return None


def _spend_and_clv(
    transaction_model: TransactionModel,
    spend_model: GammaGammaModel,
    x: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
    monetary: FloatArray,
    months: int,
    monthly_discount_rate: float,
) -> tuple[FloatArray, FloatArray]:
    """Expected spend and CLV (before margin) with Gamma-Gamma; repeat buyers whose repeat
    purchases were all worth 0 are valued with the population's mean spend."""
    params = spend_model.params
    population_mean = params["p"] * params["v"] / (params["q"] - 1.0)
    monetary = np.where((x > 0) & (monetary <= 0), population_mean, monetary)
    clv = customer_lifetime_value(
        transaction_model, spend_model, x, t_x, T, monetary,
        months=months, monthly_discount_rate=monthly_discount_rate, units_per_month=DAYS_PER_MONTH,
    )  # fmt: skip
    return spend_model.expected_spend(x, monetary), clv


def predict(
    summary: CustomerSummary,
    *,
    model_name: str,
    exponent: int,
    months: int,
    monthly_discount_rate: float,
    gross_margin: float,
) -> Predictions:
    """Fit `model_name` and Gamma-Gamma on the buyers of `summary` and predict for each buyer.

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
    aov = np.divide(
        summary.bought_minor[buyers] / scale,
        summary.orders[buyers],
        out=np.zeros(x.size),
        where=summary.orders[buyers] > 0,
    )
    warnings: list[str] = []
    n = x.size
    spend_model = _fit_spend(x, monetary, warnings)
    try:
        if not (x > 0).any():  # the likelihood has no maximum without a repeat purchase
            raise ModelError("no customer has made a repeat purchase yet")
        transaction_model = fit_transaction_model(model_name, x, t_x, T)
    except ModelError as exc:
        warnings.append(f"{MODEL_TITLES[model_name]} not fitted ({exc}); no predictive CLV")
        spend = aov if spend_model is None else spend_model.expected_spend(x, monetary)
        nan = np.full(n, np.nan)
        return Predictions(nan, np.zeros(n), spend, np.zeros(n), None, spend_model, warnings)
    with np.errstate(all="ignore"):
        p_alive = transaction_model.probability_alive(x, t_x, T)
        expected_90d = transaction_model.expected_purchases(HORIZON_90_DAYS, x, t_x, T)
    if spend_model is None:
        clv = _clv_with_spend(transaction_model, aov, x, t_x, T, months, monthly_discount_rate)
        return Predictions(
            p_alive, expected_90d, aov, clv * gross_margin, transaction_model, None, warnings
        )
    spend, clv = _spend_and_clv(
        transaction_model, spend_model, x, t_x, T, monetary, months, monthly_discount_rate
    )
    return Predictions(
        p_alive, expected_90d, spend, clv * gross_margin, transaction_model, spend_model, warnings
    )


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
