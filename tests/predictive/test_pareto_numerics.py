"""Pareto/NBD log-likelihood where the textbook form overflows."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, special

from clv.predictive import ParetoNBDModel
from clv.predictive._fitting import collapse


def _loglik(params: dict[str, float], x: float, t_x: float, T: float) -> float:
    m = ParetoNBDModel().set_params(**params)
    data = m._prepare(collapse(np.array([x]), np.array([t_x]), np.array([T])))
    return m._loglik(m._theta(), data)[0]


def _loglik_by_quadrature(p: dict[str, float], x: float, t_x: float, T: float) -> float:
    """Fader & Hardie (2005) eq. (19) before the 2F1: the death-time integral done by quad.

    L = G(r+x) a^r b^s / G(r) [ (a+T)^-(r+x) (b+T)^-s + s int_{t_x}^T (a+t)^-(r+x) (b+t)^-(s+1) dt ]
    scaled by (a+t_x)^(r+x) (b+t_x)^(s+1) so that nothing under- or overflows.
    """
    r, a, s, b = p["r"], p["alpha"], p["s"], p["beta"]

    def log_g(t: float) -> float:
        return -(r + x) * np.log(a + t) - (s + 1) * np.log(b + t)

    c = log_g(t_x)
    scale = (a + t_x) / (r + s + x)  # the integrand decays on this time scale
    pts = [t_x + k * scale for k in (1, 5, 25, 100) if t_x + k * scale < T]
    dead = integrate.quad(lambda t: np.exp(log_g(t) - c), t_x, T, points=pts or None,
                          epsabs=0, epsrel=1e-12, limit=200)[0]  # fmt: skip
    alive = -(r + x) * np.log(a + T) - s * np.log(b + T) - c
    head = special.gammaln(r + x) - special.gammaln(r) + r * np.log(a) + s * np.log(b)
    return float(head + c + np.log(np.exp(alive) + s * dead))


@pytest.mark.parametrize(
    "params",
    [
        {"r": 0.55, "alpha": 10.6, "s": 0.61, "beta": 11.7},  # alpha < beta
        {"r": 0.55, "alpha": 30.0, "s": 0.61, "beta": 3.0},  # alpha >= beta
        {"r": 2.0, "alpha": 1.0, "s": 3.0, "beta": 500.0},
    ],
)
@pytest.mark.parametrize(
    ("x", "t_x", "T"),
    [(500, 300.0, 310.0), (2000, 100.0, 365.0), (0, 0.0, 40.0), (3, 10.0, 40.0), (7, 40.0, 40.0)],
)
def test_pareto_loglik_is_finite_and_exact_for_large_frequency(
    params: dict[str, float], x: int, t_x: float, T: float
) -> None:
    r, s = params["r"], params["s"]
    with np.errstate(over="ignore"):  # the naive form: (alpha + T)^(r+s+x) overflows
        naive = np.float64(params["alpha"] + T) ** (r + s + x)
    assert x < 500 or not np.isfinite(naive)
    ll = _loglik(params, x, t_x, T)
    assert np.isfinite(ll)
    assert ll == pytest.approx(_loglik_by_quadrature(params, x, t_x, T), rel=1e-9, abs=1e-9)


def test_pareto_predictions_finite_for_large_frequency() -> None:
    m = ParetoNBDModel().set_params(r=0.55, alpha=10.6, s=0.61, beta=11.7)
    p = m.probability_alive([500, 500], [300.0, 310.0], [310.0, 310.0])
    e = m.expected_purchases(52.0, [500, 500], [300.0, 310.0], [310.0, 310.0])
    assert np.all(np.isfinite(p))
    assert np.all(np.isfinite(e))
    assert 0 < p[0] < p[1] == 1.0
