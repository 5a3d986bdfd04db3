"""Predictions checked against independent computations.

1. Brute-force numerical integration over the posterior of the individual-level parameters
   (a dense log-scale grid, trapezoid rule), written from the models' individual-level
   stories rather than from the closed forms under test.
2. Simulation: for any set of customers selected by their history, the sum of the model's
   conditional expectations must match the sum of the simulated futures (and of the simulated
   alive indicators) within Monte-Carlo error.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from scipy import integrate, special, stats

from clv.predictive import (
    BetaGeoModel,
    GammaGammaModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
    TransactionModel,
)

from ._helpers import simulate_bg, simulate_pareto

BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # CDNOW, weeks
MBG = {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}
PARETO = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
HISTORIES = [(0, 0.0, 38.86), (1, 1.71, 38.86), (2, 30.43, 38.86), (5, 5.0, 38.0),
             (10, 30.0, 35.0), (25, 36.0, 38.0), (60, 20.0, 21.0)]  # fmt: skip
HORIZON = 39.0

# log-scale grid: g1 = log(lambda); g2 = logit(p) (BG family) or log(mu) (Pareto/NBD)
V = np.linspace(-160.0, 8.0, 2001)[:, None]  # lambda^r mass below e^-160 is negligible


def _ratio(log_w: np.ndarray, num: np.ndarray) -> float:
    w = np.exp(log_w - log_w.max())
    return float(integrate.trapezoid(integrate.trapezoid(w * num, axis=1), axis=0)
                 / integrate.trapezoid(integrate.trapezoid(w, axis=1), axis=0))  # fmt: skip


def _bg_grid(params: dict[str, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lam = np.exp(V)
    w = np.linspace(-35.0, 35.0, 1201)[None, :]
    p = special.expit(w)
    log_prior = (
        stats.gamma.logpdf(lam, params["r"], scale=1 / params["alpha"]) + V  # d lambda = lambda dV
        + stats.beta.logpdf(p, params["a"], params["b"]) + np.log(p) + np.log1p(-p)  # dp
    )  # fmt: skip
    return lam, p, log_prior


def _bg_integrals(params: dict[str, float], x: int, t_x: float, T: float, modified: bool,
                  t: float) -> tuple[float, float]:  # fmt: skip
    """P(alive) and E[purchases in (T, T+t]] by integrating the individual-level likelihood."""
    lam, p, log_prior = _bg_grid(params)
    k = 1 if modified else 0
    # alive: survived the x (+1 for MBG) dropout coin flips, no purchase in (t_x, T]
    alive = (x + k) * np.log1p(-p) + x * np.log(lam) - lam * T
    if x > 0 or modified:  # died right after the last purchase (at t_x)
        dead = np.log(p) + (x - 1 + k) * np.log1p(-p) + x * np.log(lam) - lam * t_x
        log_lik = np.logaddexp(alive, dead)
    else:
        log_lik = alive
    post = log_prior + log_lik
    p_alive = _ratio(post, np.exp(alive - log_lik))
    # an active customer's purchases until dropout: E = (1 - exp(-lambda p t)) / p
    future = -np.expm1(-lam * p * t) / p
    return p_alive, _ratio(post, np.exp(alive - log_lik) * future)


def _pareto_integrals(params: dict[str, float], x: int, t_x: float, T: float,
                      t: float) -> tuple[float, float]:  # fmt: skip
    lam = np.exp(V)
    u = np.linspace(-80.0, 8.0, 1201)[None, :]
    mu = np.exp(u)
    log_prior = (stats.gamma.logpdf(lam, params["r"], scale=1 / params["alpha"]) + V
                 + stats.gamma.logpdf(mu, params["s"], scale=1 / params["beta"]) + u)  # fmt: skip
    tot = lam + mu
    alive = x * np.log(lam) - tot * T  # lifetime longer than T
    with np.errstate(divide="ignore"):  # died in (t_x, T] (log 0 when t_x == T)
        dead = (x * np.log(lam) + np.log(mu) - np.log(tot) - tot * t_x
                + np.log(-np.expm1(-tot * (T - t_x))))  # fmt: skip
    log_lik = np.logaddexp(alive, dead)
    post = log_prior + log_lik
    future = lam / mu * -np.expm1(-mu * t)
    return _ratio(post, np.exp(alive - log_lik)), _ratio(post, np.exp(alive - log_lik) * future)


@pytest.mark.parametrize(("x", "t_x", "T"), HISTORIES)
@pytest.mark.parametrize("modified", [False, True])
def test_bg_family_conditional_predictions_match_posterior_integration(
    x: int, t_x: float, T: float, modified: bool
) -> None:
    params = MBG if modified else BG
    model = (ModifiedBetaGeoModel if modified else BetaGeoModel)().set_params(**params)
    p_alive, expected = _bg_integrals(params, x, t_x, T, modified, HORIZON)
    assert model.probability_alive([x], [t_x], [T])[0] == pytest.approx(p_alive, rel=1e-6)
    got = model.expected_purchases(HORIZON, [x], [t_x], [T])[0]
    assert got == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize(("x", "t_x", "T"), HISTORIES)
def test_pareto_conditional_predictions_match_posterior_integration(
    x: int, t_x: float, T: float
) -> None:
    model = ParetoNBDModel().set_params(**PARETO)
    p_alive, expected = _pareto_integrals(PARETO, x, t_x, T, HORIZON)
    assert model.probability_alive([x], [t_x], [T])[0] == pytest.approx(p_alive, rel=1e-6)
    got = model.expected_purchases(HORIZON, [x], [t_x], [T])[0]
    assert got == pytest.approx(expected, rel=1e-6)


def test_unconditional_expectations_match_prior_integration() -> None:
    t = np.array([1.0, 10.0, 39.0, 78.0])
    for cls, params in ((BetaGeoModel, BG), (ModifiedBetaGeoModel, MBG)):
        lam, p, log_prior = _bg_grid(params)
        keep = 1 - p if cls is ModifiedBetaGeoModel else 1.0  # MBG: may drop out at time 0
        want = [_ratio(log_prior, keep * -np.expm1(-lam * p * tt) / p) for tt in t]
        got = cls().set_params(**params).expected_purchases_new_customer(t)
        assert np.allclose(got, want, rtol=1e-6)
    lam = np.exp(V)
    u = np.linspace(-80.0, 8.0, 1201)[None, :]
    mu = np.exp(u)
    log_prior = (stats.gamma.logpdf(lam, PARETO["r"], scale=1 / PARETO["alpha"]) + V
                 + stats.gamma.logpdf(mu, PARETO["s"], scale=1 / PARETO["beta"]) + u)  # fmt: skip
    want = [_ratio(log_prior, lam / mu * -np.expm1(-mu * tt)) for tt in t]
    got = ParetoNBDModel().set_params(**PARETO).expected_purchases_new_customer(t)
    assert np.allclose(got, want, rtol=1e-5)


Simulator = Callable[[np.random.Generator, np.ndarray], dict[str, np.ndarray]]
CASES: list[tuple[type[TransactionModel], dict[str, float], Simulator]] = [
    (BetaGeoModel, BG, lambda rng, T: simulate_bg(rng, T, **BG, horizon=HORIZON)),
    (ModifiedBetaGeoModel, MBG,
     lambda rng, T: simulate_bg(rng, T, **MBG, modified=True, horizon=HORIZON)),
    (ParetoNBDModel, PARETO, lambda rng, T: simulate_pareto(rng, T, **PARETO, horizon=HORIZON)),
]  # fmt: skip


@pytest.mark.parametrize(("cls", "params", "simulate"), CASES)
def test_conditional_predictions_match_simulated_futures(
    cls: type[TransactionModel], params: dict[str, float], simulate: Simulator
) -> None:
    rng = np.random.default_rng(5)
    T = rng.uniform(20.0, 52.0, size=200_000)
    d = simulate(rng, T)
    model = cls().set_params(**params)
    pred = model.expected_purchases(HORIZON, d["x"], d["t_x"], d["T"])
    alive = model.probability_alive(d["x"], d["t_x"], d["T"])
    x_bin = np.digitize(d["x"], [1, 2, 3, 5, 8, 15])
    r_bin = np.digitize(d["t_x"] / d["T"], [0.5, 0.8])
    checked = 0
    for xb in range(7):
        for rb in range(3):
            sel = (x_bin == xb) & (r_bin == rb)
            if sel.sum() < 300 or alive[sel].sum() < 25:  # too few active customers for a CLT
                continue
            for sim, mod in ((d["future"][sel], pred[sel]), (d["alive"][sel], alive[sel])):
                resid = sim - mod
                ss = float((resid**2).sum())
                if ss < 1e-12:  # deterministic cell (BG/NBD: no repeat purchase => alive)
                    continue
                assert abs(resid.sum()) < 4.5 * np.sqrt(ss), (xb, rb, sim.sum(), mod.sum())
            checked += 1
    assert checked >= 8
    # and the unconditional expectation against customers observed from acquisition
    new = simulate(rng, np.full(200_000, HORIZON))
    mean, se = new["x"].mean(), new["x"].std() / np.sqrt(new["x"].size)
    assert abs(model.expected_purchases_new_customer(HORIZON) - mean) < 4.5 * se


@pytest.mark.parametrize(("x", "zbar"), [(1, 10.0), (2, 35.2), (7, 22.0), (40, 18.5)])
def test_gamma_gamma_expected_spend_matches_posterior_integration(x: int, zbar: float) -> None:
    p, q, v = 6.25, 3.74, 15.44
    gg = GammaGammaModel().set_params(p, q, v)

    def log_post(nu: float) -> float:  # zbar | nu ~ Gamma(p x, rate nu x); nu ~ Gamma(q, rate v)
        return float(stats.gamma.logpdf(zbar, p * x, scale=1 / (nu * x))
                     + stats.gamma.logpdf(nu, q, scale=1 / v))  # fmt: skip

    mode = (p * x + q - 1) / (v + x * zbar)
    c = log_post(mode)
    den = integrate.quad(lambda nu: np.exp(log_post(nu) - c), 0, np.inf, points=None)[0]
    num = integrate.quad(lambda nu: p / nu * np.exp(log_post(nu) - c), 0, np.inf)[0]
    assert gg.expected_spend([x], [zbar])[0] == pytest.approx(num / den, rel=1e-7)
