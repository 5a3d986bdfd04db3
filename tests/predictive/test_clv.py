"""customer_lifetime_value against an independent month-by-month loop and closed cases."""

from __future__ import annotations

import numpy as np
import pytest

from clv.predictive import (
    BetaGeoModel,
    GammaGammaModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
    TransactionModel,
    customer_lifetime_value,
)

from ._helpers import cdnow_summary

PARAMS: list[tuple[type[TransactionModel], dict[str, float]]] = [
    (BetaGeoModel, {"r": 0.243, "alpha": 4.414 * 7, "a": 0.793, "b": 2.426}),
    (ModifiedBetaGeoModel, {"r": 0.525, "alpha": 6.183 * 7, "a": 0.891, "b": 1.614}),
    (ParetoNBDModel, {"r": 0.553, "alpha": 10.578 * 7, "s": 0.606, "beta": 11.669 * 7}),
]


def _days() -> tuple[np.ndarray, ...]:
    d = cdnow_summary()
    return d["x"], np.round(d["t_x"] * 7), np.round(d["T"] * 7), d["zbar"]


@pytest.mark.parametrize(("cls", "params"), PARAMS)
def test_clv_equals_month_by_month_discounted_sum(
    cls: type[TransactionModel], params: dict[str, float]
) -> None:
    x, t_x, T, zbar = _days()
    model = cls().set_params(**params)
    gg = GammaGammaModel().set_params(6.25, 3.74, 15.44)
    spend = gg.expected_spend(x, zbar)
    want = np.zeros(x.size)
    for month in range(1, 13):  # the lifetimes convention, one month at a time
        n_now = model.expected_purchases(30.0 * month, x, t_x, T)
        n_before = model.expected_purchases(30.0 * (month - 1), x, t_x, T)
        want += spend * (n_now - n_before) / 1.01**month
    got = customer_lifetime_value(model, gg, x, t_x, T, zbar, months=12,
                                  monthly_discount_rate=0.01, units_per_month=30.0)  # fmt: skip
    assert got.shape == x.shape
    assert np.allclose(got, want, rtol=1e-10, atol=1e-12)


def test_clv_closed_cases() -> None:
    x, t_x, T, zbar = _days()
    bg = BetaGeoModel().set_params(**PARAMS[0][1])
    gg = GammaGammaModel().set_params(6.25, 3.74, 15.44)
    spend = gg.expected_spend(x, zbar)
    # no discounting: spend x expected purchases over the whole horizon
    flat = customer_lifetime_value(bg, gg, x, t_x, T, zbar, months=6, monthly_discount_rate=0.0)
    assert np.allclose(flat, spend * bg.expected_purchases(180.0, x, t_x, T), rtol=1e-10)
    # one month: discounted once
    one = customer_lifetime_value(bg, gg, x, t_x, T, zbar, months=1, monthly_discount_rate=0.05)
    assert np.allclose(one, spend * bg.expected_purchases(30.0, x, t_x, T) / 1.05, rtol=1e-10)
    # weeks instead of days: the same customers give the same CLV
    weeks = customer_lifetime_value(
        BetaGeoModel().set_params(**{**PARAMS[0][1], "alpha": PARAMS[0][1]["alpha"] / 7}),
        gg, x, t_x / 7, T / 7, zbar, units_per_month=30.0 / 7,
    )  # fmt: skip
    assert np.allclose(weeks, customer_lifetime_value(bg, gg, x, t_x, T, zbar), rtol=1e-9)
    # more months never lower the value; zero months give zero
    assert np.all(customer_lifetime_value(bg, gg, x, t_x, T, zbar, months=24) >= flat * 0)
    assert np.all(customer_lifetime_value(bg, gg, x, t_x, T, zbar, months=0) == 0)
