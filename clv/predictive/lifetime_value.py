"""Discounted customer lifetime value from a purchase-count model and the Gamma-Gamma model.

References
----------
Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "RFM and CLV: using iso-value curves for
customer base analysis". Journal of Marketing Research 42(4), 415-430.
Fader, P. S. & Hardie, B. G. S. (2013). "The Gamma-Gamma model of monetary value".
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._base import TransactionModel
from ._fitting import collapse
from ._validation import FloatArray, validate_monetary, validate_rft
from .errors import InvalidInputError
from .gammagamma import GammaGammaModel

__all__ = ["customer_lifetime_value"]


def customer_lifetime_value(
    transaction_model: TransactionModel,
    spend_model: GammaGammaModel,
    frequency: Any,
    recency: Any,
    T: Any,
    monetary: Any,
    months: int = 12,
    monthly_discount_rate: float = 0.01,
    units_per_month: float = 30.0,
) -> FloatArray:
    """Discounted expected value of each customer's purchases over the next ``months`` months.

    Month ``m`` (1..months) contributes
    ``expected_spend * (E[N(m L)] - E[N((m-1) L)]) / (1 + d)^m`` with ``L = units_per_month``
    (the number of time units of the data in a month) and ``E[N(t)]`` the model's conditional
    expected number of purchases in ``(T, T + t]`` -- the convention of ``lifetimes``'
    ``customer_lifetime_value`` (monthly discounting).

    ``E[N(t)] = P(alive) * g(t; x, T)`` where only ``g`` depends on ``t``, so ``g`` is computed
    once for every unique ``(frequency, T)`` pair on the whole grid of month ends and the
    discounted increments are summed in one vectorised pass.

    Parameters
    ----------
    transaction_model : BetaGeoModel, ModifiedBetaGeoModel or ParetoNBDModel
        A fitted purchase-count model.
    spend_model : GammaGammaModel
        A fitted spend model.
    frequency, recency, T : array_like
        Customers' purchase histories (see :meth:`TransactionModel.fit`).
    monetary : array_like
        Mean value of the repeat purchases (> 0 where ``frequency > 0``).
    months : int, default 12
        Horizon in months.
    monthly_discount_rate : float, default 0.01
        Discount rate per month ``d``.
    units_per_month : float, default 30
        Time units of the data per month (30 for days, 4.345 for weeks).

    Returns
    -------
    numpy.ndarray
        CLV per customer, in the currency of ``monetary``.
    """
    _validate_horizon(months, monthly_discount_rate, units_per_month)
    x, t_x, t_obs = validate_rft(frequency, recency, T)
    spend = _expected_spend(spend_model, frequency, monetary, n_customers=x.size)
    transaction_model._theta()  # raises NotFittedError early
    residual = _discounted_residual_transactions_if_alive(
        transaction_model, x, t_obs, months, monthly_discount_rate, units_per_month
    )
    with np.errstate(all="ignore"):
        alive = transaction_model._probability_alive(x, t_x, t_obs)
    return np.asarray(spend * alive * residual, dtype=np.float64)


def _validate_horizon(months: int, monthly_discount_rate: float, units_per_month: float) -> None:
    """Raise InvalidInputError unless the horizon, discount rate and month length make sense."""
    if int(months) != months or months < 0:
        raise InvalidInputError(f"months must be a non-negative integer, got {months}")
    if not np.isfinite(monthly_discount_rate) or monthly_discount_rate <= -1:
        raise InvalidInputError(f"monthly_discount_rate must be > -1, got {monthly_discount_rate}")
    if not np.isfinite(units_per_month) or units_per_month <= 0:
        raise InvalidInputError(f"units_per_month must be > 0, got {units_per_month}")


def _expected_spend(
    spend_model: GammaGammaModel, frequency: Any, monetary: Any, n_customers: int
) -> FloatArray:
    """Gamma-Gamma expected mean transaction value of each of ``n_customers`` customers."""
    x_m, m = validate_monetary(frequency, monetary)
    if m.size != n_customers:
        raise InvalidInputError(f"monetary has {m.size} values for {n_customers} customers")
    return spend_model.expected_spend(x_m, m)


def _monthly_discount_factors(months: int, monthly_discount_rate: float) -> FloatArray:
    """``1 / (1 + d)^m`` for the months ``m = 1..months``."""
    return (1.0 + monthly_discount_rate) ** -np.arange(1, months + 1, dtype=np.float64)


def _discounted_residual_transactions_if_alive(
    transaction_model: TransactionModel,
    x: FloatArray,
    T: FloatArray,
    months: int,
    monthly_discount_rate: float,
    units_per_month: float,
) -> FloatArray:
    """Per customer, ``sum_m (g(m L) - g((m-1) L)) / (1 + d)^m`` for ``m = 1..months``.

    ``g(t) = E[N(t) | alive at T, x, T]``: the discounted expected residual transactions (DERT,
    Fader, Hardie & Lee 2005) of a customer known to be alive, in monthly steps. ``g`` is
    evaluated once for every unique ``(frequency, T)`` pair.
    """
    pairs = collapse(x, T)
    ux, uT = pairs.columns
    grid = units_per_month * np.arange(months + 1, dtype=np.float64)[:, None]
    discount = _monthly_discount_factors(months, monthly_discount_rate)
    with np.errstate(all="ignore"):
        g = transaction_model._expected_if_alive(grid, ux[None, :], uT[None, :])
        per_pair = discount @ np.diff(g, axis=0)
    return per_pair[pairs.inverse]
