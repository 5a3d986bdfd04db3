"""Invalid input raises InvalidInputError naming the customer; failed fits ConvergenceError."""

from __future__ import annotations

import numpy as np
import pytest

from clv.predictive import (
    BetaGeoModel,
    ConvergenceError,
    GammaGammaModel,
    InvalidInputError,
    ModelError,
    ModifiedBetaGeoModel,
    NotFittedError,
    ParetoNBDModel,
    customer_lifetime_value,
)

from ._helpers import cdnow_summary

GOOD = {"frequency": [0, 2, 1, 3], "recency": [0.0, 5.0, 1.0, 7.0], "T": [10.0, 10.0, 3.0, 8.0]}
BAD = [
    ({"recency": [0.0, 5.0, 4.0, 7.0]}, "recency must be <= T for customer 2 (recency=4.0, T=3.0)"),
    ({"frequency": [0, -2, 1, 3]}, "frequency must be >= 0 for customer 1"),
    ({"frequency": [0, 2, 1.5, 3]}, "frequency must be an integer for customer 2"),
    ({"recency": [0.0, 5.0, -1.0, 7.0]}, "recency must be >= 0 for customer 2"),
    ({"T": [10.0, 10.0, 3.0, -8.0]}, "T must be >= 0 for customer 3"),
    ({"recency": [0.0, np.nan, 1.0, 7.0]}, "recency must be finite for customer 1"),
    ({"T": [10.0, 10.0, np.inf, 8.0]}, "T must be finite for customer 2"),
    ({"recency": [2.0, 5.0, 1.0, 7.0]}, "recency must be 0 when frequency is 0 for customer 0"),
    ({"T": [10.0, 10.0, 3.0]}, "mismatched lengths"),
    ({"frequency": [], "recency": [], "T": []}, "frequency is empty"),
    ({"frequency": ["a", 1, 1, 1]}, "frequency must be numeric"),
]


@pytest.mark.parametrize("cls", [BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel])
@pytest.mark.parametrize(("change", "message"), BAD)
def test_invalid_summaries_are_rejected(
    cls: type[BetaGeoModel], change: dict, message: str
) -> None:  # type: ignore[type-arg]
    args = {**GOOD, **change}
    with pytest.raises(InvalidInputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        cls().fit(args["frequency"], args["recency"], args["T"])
    model = cls().set_params(**dict(zip(cls.param_names, [1.0, 2.0, 1.5, 2.5], strict=True)))
    with pytest.raises(InvalidInputError):
        model.probability_alive(args["frequency"], args["recency"], args["T"])
    with pytest.raises(InvalidInputError):
        model.expected_purchases(5.0, args["frequency"], args["recency"], args["T"])


def test_monetary_validation_names_the_customer() -> None:
    with pytest.raises(
        InvalidInputError, match="monetary must be > 0 when frequency > 0 for customer 1"
    ):
        GammaGammaModel().fit([0, 2, 1], [0.0, 0.0, 3.0])
    with pytest.raises(InvalidInputError, match="monetary must be >= 0 for customer 2"):
        GammaGammaModel().fit([0, 2, 1], [0.0, 1.0, -3.0])
    with pytest.raises(InvalidInputError, match="mismatched lengths"):
        GammaGammaModel().fit([0, 2, 1], [0.0, 1.0])
    gg = GammaGammaModel().set_params(6.0, 4.0, 15.0)
    with pytest.raises(InvalidInputError, match="customer 0"):
        gg.expected_spend([1], [np.nan])
    bg = BetaGeoModel().set_params(r=0.2, alpha=4.0, a=0.8, b=2.4)
    with pytest.raises(InvalidInputError, match="customer 1"):
        customer_lifetime_value(bg, gg, [1, 2], [1.0, 2.0], [3.0, 3.0], [5.0, 0.0])
    with pytest.raises(InvalidInputError, match="months"):
        customer_lifetime_value(bg, gg, [1], [1.0], [3.0], [5.0], months=-1)
    with pytest.raises(InvalidInputError, match="t must be finite and >= 0"):
        bg.expected_purchases(-1.0, [1], [1.0], [3.0])


def test_error_hierarchy_and_not_fitted() -> None:
    assert issubclass(InvalidInputError, ModelError)
    assert issubclass(ConvergenceError, ModelError)
    assert issubclass(ModelError, ValueError)
    with pytest.raises(NotFittedError):
        BetaGeoModel().probability_alive([1], [1.0], [2.0])
    with pytest.raises(NotFittedError):
        GammaGammaModel().expected_spend([1], [1.0])


@pytest.mark.parametrize("cls", [BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel])
def test_non_convergence_raises(cls: type[BetaGeoModel]) -> None:
    d = cdnow_summary()
    with pytest.raises(ConvergenceError, match="did not converge"):
        cls(maxiter=1).fit(d["x"], d["t_x"], d["T"])
    # nobody ever comes back: the purchase rate goes to zero, the parameters diverge
    n = 500
    with pytest.raises(ConvergenceError):
        cls().fit(np.zeros(n), np.zeros(n), np.linspace(1, 50, n))


def test_gamma_gamma_non_convergence_raises() -> None:
    d = cdnow_summary()
    with pytest.raises(ConvergenceError):
        GammaGammaModel(maxiter=1).fit(d["x"], d["zbar"])
    # identical spend for everyone: no heterogeneity, q and v run away
    with pytest.raises(ConvergenceError):
        GammaGammaModel().fit(np.full(200, 3), np.full(200, 10.0))


def test_gamma_gamma_on_identical_spends_fails_as_a_model_error() -> None:
    """Every repeat customer spending exactly the same: the likelihood has no interior
    maximum; the fit must fail with ModelError, not an arithmetic exception."""
    from clv.predictive import GammaGammaModel, ModelError

    x = np.array([1.0, 2.0] * 20)
    m = np.array([20.0] * 30 + [10.0] * 10)
    try:
        gg = GammaGammaModel().fit(x, m)
    except ModelError:
        return  # the clear failure the pipeline falls back on
    assert all(np.isfinite(v) and v > 0 for v in gg.params.values())
