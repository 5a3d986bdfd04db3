"""The distribution of the number of future purchases, checked against independent sources.

1. Its own consistency: every pmf sums to 1 and its mean is the model's (separately derived,
   closed-form) expected number of purchases; a short table is a prefix of a long one.
2. Simulation from the models' individual-level stories: new customers; customers selected
   by their simulated history (alive at T with x purchases, which is all the alive-conditional
   pmf depends on); futures drawn from the posterior of the individual-level parameters.
3. Numerical integration written from the individual-level stories with scipy.stats
   distributions (over the dropout probability p, or over the Pareto/NBD lifetime).
4. lifetimes 0.11.3 (its BG/MBG eq. (8) and its Pareto/NBD conditional pmf of Fader, Hardie
   & Shang's note 028), values printed by ``bench/bench_pmf.py``'s lifetimes worker.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import integrate, stats

from clv.predictive import (
    BetaGeoModel,
    InvalidInputError,
    ModelError,
    ModifiedBetaGeoModel,
    NBDModel,
    NotFittedError,
    ParetoNBDModel,
    TransactionModel,
)
from clv.predictive._fitting import collapse

from ._helpers import cdnow_summary, simulate_bg, simulate_pareto

BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # CDNOW, weeks
MBG = {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}
PARETO = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
NBD = {"r": 0.385, "alpha": 5.2}
MODELS: dict[str, tuple[type[TransactionModel], dict[str, float]]] = {
    "bg": (BetaGeoModel, BG),
    "mbg": (ModifiedBetaGeoModel, MBG),
    "pareto": (ParetoNBDModel, PARETO),
    "nbd": (NBDModel, NBD),
}
HISTORIES = [(0, 0.0, 38.86), (1, 1.71, 38.86), (5, 30.0, 38.0), (50, 37.0, 38.5)]
HORIZON = 39.0
N_SIM = 200_000


def _model(name: str) -> TransactionModel:
    cls, params = MODELS[name]
    return cls().set_params(**params)


def _columns(histories: list[tuple[int, float, float]]) -> tuple[np.ndarray, ...]:
    x, t_x, T = (np.array(c, dtype=float) for c in zip(*histories, strict=True))
    return x, t_x, T


def _assert_within(empirical: np.ndarray, p: np.ndarray, n: int, z: float = 4.0) -> None:
    se = np.sqrt(np.maximum(p * (1 - p), 1e-12) / n)
    assert np.all(np.abs(empirical - p) < z * se + 1e-12), (empirical, p, se)


# ------------------------------------------------------------------------ consistency
@pytest.mark.parametrize("name", MODELS)
def test_pmf_sums_to_one_with_the_expected_mean(name: str) -> None:
    m = _model(name)
    x, t_x, T = _columns(HISTORIES)
    k = np.arange(800)
    P = m.probability_of_purchases(k[:, None], HORIZON, x, t_x, T)
    assert P.shape == (k.size, x.size)
    assert np.all(P >= 0)
    np.testing.assert_allclose(P.sum(axis=0), 1.0, atol=1e-8)
    np.testing.assert_allclose(k @ P, m.expected_purchases(HORIZON, x, t_x, T), rtol=1e-6)
    new = m.probability_of_purchases_new_customer(k, HORIZON)
    assert abs(new.sum() - 1.0) < 1e-8
    np.testing.assert_allclose(k @ new, m.expected_purchases_new_customer(HORIZON), rtol=1e-6)


@pytest.mark.parametrize("name", MODELS)
def test_alive_pmf_short_table_is_a_prefix_of_a_long_one(name: str) -> None:
    m = _model(name)
    x, T = np.array([0.0, 1.0, 5.0, 50.0, 200.0]), np.array([38.0, 5.0, 38.0, 38.5, 70.0])
    short, long = m._alive_pmf(16, HORIZON, x, T), m._alive_pmf(1024, HORIZON, x, T)
    assert short.shape == (5, 17)
    assert long.shape == (5, 1025)
    np.testing.assert_allclose(short, long[:, :17], rtol=1e-9, atol=1e-14)
    assert np.all(short.sum(axis=1) <= 1.0 + 1e-12)
    assert np.all(short >= 0)
    np.testing.assert_array_equal(m._alive_pmf(3, 0.0, x, T), np.eye(1, 4).repeat(5, axis=0))


@pytest.mark.parametrize("name", MODELS)
def test_broadcasting_of_k_and_t(name: str) -> None:
    m = _model(name)
    x, t_x, T = _columns(HISTORIES)
    per_customer = m.probability_of_purchases(np.array([0, 1, 2, 3]), HORIZON, x, t_x, T)
    table = m.probability_of_purchases(np.arange(4)[:, None], HORIZON, x, t_x, T)
    np.testing.assert_allclose(per_customer, np.diag(table), rtol=1e-12)
    two_t = m.probability_of_purchases(1, np.array([[10.0], [39.0]]), x, t_x, T)
    np.testing.assert_allclose(two_t[1], table[1], rtol=1e-12)
    np.testing.assert_allclose(two_t[0], m.probability_of_purchases(1, 10.0, x, t_x, T))
    assert float(m.probability_of_purchases_new_customer(0, 0.0)) == 1.0
    np.testing.assert_allclose(m.probability_of_purchases(0, 0.0, x, t_x, T), 1.0)


# ------------------------------------------------------------------------ simulation
def _simulate(name: str, rng: np.random.Generator, T: np.ndarray) -> dict[str, np.ndarray]:
    """Histories on (0, T] and the purchases in (T, T + HORIZON], from the model's story."""
    p = MODELS[name][1]
    if name in ("bg", "mbg"):
        return simulate_bg(rng, T, *p.values(), modified=name == "mbg", horizon=HORIZON)
    if name == "pareto":
        return simulate_pareto(rng, T, *p.values(), horizon=HORIZON)
    lam = rng.gamma(p["r"], 1.0 / p["alpha"], size=T.size)
    x = rng.poisson(lam * T).astype(float)
    return {"x": x, "alive": np.ones(T.size, bool), "future": rng.poisson(lam * HORIZON)}


@pytest.mark.parametrize("name", MODELS)
def test_new_customer_pmf_matches_simulation(name: str) -> None:
    sim = _simulate(name, np.random.default_rng(11), np.zeros(N_SIM))
    empirical = np.bincount(sim["future"], minlength=6)[:6] / N_SIM
    p = _model(name).probability_of_purchases_new_customer(np.arange(6), HORIZON)
    _assert_within(empirical, p, N_SIM)


@pytest.mark.parametrize("name", MODELS)
def test_alive_pmf_matches_customers_selected_by_simulated_history(name: str) -> None:
    """Among the simulated customers alive at T = 38 with x purchases, the future's
    distribution is the alive-conditional pmf at (x, T)."""
    sim = _simulate(name, np.random.default_rng(12), np.full(N_SIM, 38.0))
    m = _model(name)
    for x0 in (0, 1, 3):
        sel = sim["alive"] & (sim["x"] == x0)
        n = int(sel.sum())
        assert n > 2_000
        empirical = np.bincount(sim["future"][sel], minlength=6)[:6] / n
        p = m._alive_pmf(5, HORIZON, np.array([float(x0)]), np.array([38.0]))[0]
        _assert_within(empirical, p, n)


def _posterior_future(name: str, rng: np.random.Generator, x: float, T: float) -> np.ndarray:
    """Future purchases of a customer alive at T with x purchases: the individual-level
    parameters drawn from their posterior, then the model's story from T on."""
    p = MODELS[name][1]
    lam = rng.gamma(p["r"] + x, 1.0 / (p["alpha"] + T), size=N_SIM)
    n_poisson = rng.poisson(lam * HORIZON)
    if name in ("bg", "mbg"):
        shift = 1 if name == "mbg" else 0
        drop = rng.beta(p["a"], p["b"] + x + shift, size=N_SIM)
        return np.asarray(np.minimum(n_poisson, rng.geometric(drop)))
    if name == "pareto":
        mu = rng.gamma(p["s"], 1.0 / (p["beta"] + T), size=N_SIM)
        tau = rng.exponential(1.0 / mu)
        return np.asarray(rng.poisson(lam * np.minimum(tau, HORIZON)))
    return np.asarray(n_poisson)


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("history", [(5, 30.0, 38.0), (50, 37.0, 38.5)])
def test_conditional_pmf_matches_posterior_simulation(
    name: str, history: tuple[int, float, float]
) -> None:
    x, t_x, T = history
    m = _model(name)
    rng = np.random.default_rng(13)
    alive = float(m.probability_alive(x, t_x, T)[0])
    future = np.where(rng.random(N_SIM) < alive, _posterior_future(name, rng, x, T), 0)
    counts = np.bincount(future)
    ks = np.unique(np.r_[np.arange(6), np.argsort(counts)[-6:]])  # the start and the mode
    empirical = np.bincount(future, minlength=ks.max() + 1)[ks] / N_SIM
    _assert_within(empirical, m.probability_of_purchases(ks, HORIZON, x, t_x, T), N_SIM)


# ------------------------------------------------------------ independent numerical integrals
def _nbinom(k: int, r: float, alpha: float, t: float) -> float:
    return float(stats.nbinom.pmf(k, r, alpha / (alpha + t)))


def _bg_by_integration(params: dict[str, float], k: int, x: float, T: float, shift: int) -> float:
    """P(X = k | alive, x, T): the purchases of an immortal customer N(t) are NBD (the
    gamma-Poisson); the customer stops after the j-th purchase with probability p (1-p)^(j-1);
    integrate over p ~ Beta(a, b + x + shift) numerically."""
    r, alpha = params["r"] + x, params["alpha"] + T
    nb = stats.nbinom(r, alpha / (alpha + HORIZON))
    beta = stats.beta(params["a"], params["b"] + x + shift)

    def given_p(p: float) -> float:
        stay = (1 - p) ** k * nb.pmf(k)
        stop = p * (1 - p) ** (k - 1) * nb.sf(k - 1) if k > 0 else 0.0
        return float(beta.pdf(p) * (stay + stop))

    return float(integrate.quad(given_p, 0, 1, limit=400, epsabs=1e-13, epsrel=1e-11)[0])


def _pareto_by_integration(
    params: dict[str, float], k: int, x: float, T: float, t: float = HORIZON
) -> float:
    """P(X = k | alive, x, T) = E[NBD_k(min(tau, t))] over the remaining lifetime tau ~ Exp(mu),
    mu ~ Gamma(s, beta + T) (a Lomax): integrate over tau numerically, piecewise between the
    scales of the integrand (the peak of NBD_k near alpha k / r, the purchase scale 1/lambda)."""
    r, alpha = params["r"] + x, params["alpha"] + T
    lifetime = stats.lomax(params["s"], scale=params["beta"] + T)
    scale = alpha / r
    cuts = {scale * c for c in (0.1, 1.0, 3.0, 10.0)} | {t * c for c in (0.01, 0.1, 0.5, 0.9)}
    cuts |= {scale * max(k + d * np.sqrt(k + 1.0), 0.0) for d in (-3.0, 0.0, 3.0)}
    edges = [0.0, *sorted(c for c in cuts if 0 < c < t), t]
    inner = sum(
        integrate.quad(
            lambda tau: lifetime.pdf(tau) * _nbinom(k, r, alpha, tau), lo, hi,
            limit=400, epsabs=1e-16, epsrel=1e-12,
        )[0]
        for lo, hi in itertools.pairwise(edges)
    )  # fmt: skip
    return float(lifetime.sf(t) * _nbinom(k, r, alpha, t) + inner)


@pytest.mark.parametrize("name", ["bg", "mbg", "pareto", "nbd"])
@pytest.mark.parametrize(("x", "T"), [(0.0, 0.0), (1.0, 38.86), (5.0, 38.0), (50.0, 38.5)])
def test_alive_pmf_matches_numerical_integration(name: str, x: float, T: float) -> None:
    ks = [0, 1, 2, 5, 17, 40]
    got = _model(name)._alive_pmf(max(ks), HORIZON, np.array([x]), np.array([T]))[0][ks]
    params = MODELS[name][1]
    if name == "pareto":
        want = [_pareto_by_integration(PARETO, k, x, T) for k in ks]
    elif name == "nbd":
        want = [_nbinom(k, params["r"] + x, params["alpha"] + T, HORIZON) for k in ks]
    else:
        want = [_bg_by_integration(params, k, x, T, int(name == "mbg")) for k in ks]
    np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-12)


PARETO_HARD = [  # params, x, T, t, ks
    ({"r": 0.3, "alpha": 0.5, "s": 0.8, "beta": 30.0}, 0.0, 0.0, 300.0, [0, 1, 10, 100, 400]),
    ({"r": 2.0, "alpha": 500.0, "s": 3.0, "beta": 0.5}, 3.0, 0.0, 100.0, [0, 1, 3, 10]),
    ({"r": 1.0, "alpha": 0.2, "s": 8.0, "beta": 200.0}, 0.0, 1.0, 50.0, [0, 1, 5, 30, 200]),
    (PARETO, 300.0, 60.0, HORIZON, [0, 1, 50, 150, 170, 250]),
    (PARETO, 1000.0, 10.0, HORIZON, [0, 10, 100, 500, 1500, 1900, 2048]),
]


@pytest.mark.parametrize(("params", "x", "T", "t", "ks"), PARETO_HARD)
def test_pareto_pmf_in_hard_regimes(
    params: dict[str, float], x: float, T: float, t: float, ks: list[int]
) -> None:
    """The quadrature where its integrand has narrow features: t >> alpha (the NBD near its
    q -> 1 end), lifetimes much shorter or longer than the purchase scale (alpha/beta far from
    1, s large), a frequent buyer with a long table."""
    m = ParetoNBDModel().set_params(**params)
    got = m._alive_pmf(max(ks), t, np.array([x]), np.array([T]))[0][ks]
    want = [_pareto_by_integration(params, k, x, T, t) for k in ks]
    np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-14)


def test_mbg_new_customer_mixes_in_the_dropout_at_time_zero() -> None:
    """A new MBG/NBD customer drops out at once with probability p, else is a BG/NBD one."""
    m = _model("mbg")
    ks = [0, 1, 4]
    a, b = MBG["a"], MBG["b"]

    def by_integration(k: int) -> float:
        nb = stats.nbinom(MBG["r"], MBG["alpha"] / (MBG["alpha"] + HORIZON))
        f = stats.beta(a, b).pdf

        def given_p(p: float) -> float:
            stay = (1 - p) ** k * nb.pmf(k) + (p * (1 - p) ** (k - 1) * nb.sf(k - 1) if k else 0)
            return float(f(p) * (p * (k == 0) + (1 - p) * stay))

        return float(integrate.quad(given_p, 0, 1, limit=400, epsabs=1e-13)[0])

    want = [by_integration(k) for k in ks]
    np.testing.assert_allclose(m.probability_of_purchases_new_customer(ks, HORIZON), want, 1e-7)


# ------------------------------------------------------------------------ lifetimes 0.11.3
LIFETIMES_NEW = {  # probability_of_n_purchases_up_to_time(39, n), n = 0, 1, 2, 5
    "bg": [0.5737863520960094, 0.19939528083591135, 0.08542975953906072, 0.017965493866579044],
    "mbg": [0.5824731894932891, 0.18278307728754056, 0.08689482567349055, 0.01938732355357039],
    # ParetoNBDFitter has no unconditional pmf: its conditional one at x = t_x = T = 0
    "pareto": [0.5936250316023836, 0.16556294727717555, 0.08248718411631654, 0.02148482836182104],
}
LIFETIMES_PARETO = {  # conditional_probability_of_n_purchases_up_to_time(n, 39, x, t_x, T)
    (1, 1.71, 38.86): [0.913358754665093, 0.043134487490923815, 0.022148199757134588,
                       0.0025948010179903834],
    (5, 5.0, 38.0): [0.991289803325714, 0.0013247041714208201, 0.0014241775149202729,
                     0.0009990087238622766],
    (25, 36.0, 38.0): [0.06508882881953582, 0.020445897522991637, 0.019312228107700443,
                       0.016857689623010576],
}  # fmt: skip


@pytest.mark.parametrize("name", list(LIFETIMES_NEW))
def test_new_customer_pmf_matches_lifetimes(name: str) -> None:
    got = _model(name).probability_of_purchases_new_customer([0, 1, 2, 5], HORIZON)
    np.testing.assert_allclose(got, LIFETIMES_NEW[name], rtol=1e-9)


@pytest.mark.parametrize("history", list(LIFETIMES_PARETO))
def test_pareto_conditional_pmf_matches_lifetimes(history: tuple[float, float, float]) -> None:
    got = _model("pareto").probability_of_purchases([0, 1, 2, 5], HORIZON, *history)
    np.testing.assert_allclose(got, LIFETIMES_PARETO[history], rtol=1e-8)


# ------------------------------------------------------------------------ validation
@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize(
    ("k", "message"),
    [(-1, "non-negative integer"), (1.5, "must be an integer"), (np.nan, "non-negative"),
     ([0, -2], r"k\[1\]=-2"), ("two", "non-negative integer")],
)  # fmt: skip
def test_invalid_k_is_rejected(name: str, k: object, message: str) -> None:
    m = _model(name)
    with pytest.raises(InvalidInputError, match=message):
        m.probability_of_purchases(k, HORIZON, [1.0], [2.0], [10.0])
    with pytest.raises(InvalidInputError, match=message):
        m.probability_of_purchases_new_customer(k, HORIZON)


@pytest.mark.parametrize("name", MODELS)
def test_invalid_horizon_shapes_and_state_are_rejected(name: str) -> None:
    m = _model(name)
    with pytest.raises(InvalidInputError, match="t must be"):
        m.probability_of_purchases(1, -1.0, [1.0], [2.0], [10.0])
    with pytest.raises(InvalidInputError, match="broadcast"):
        m.probability_of_purchases([0, 1, 2], HORIZON, [1.0, 2.0], [2.0, 3.0], [10.0, 10.0])
    with pytest.raises(InvalidInputError, match="recency"):
        m.probability_of_purchases(1, HORIZON, [1.0], [20.0], [10.0])
    with pytest.raises(NotFittedError):
        MODELS[name][0]().probability_of_purchases_new_customer(1, HORIZON)


# ------------------------------------------------------------------------ the NBD model
def _simulate_nbd(
    rng: np.random.Generator, n: int, r: float, alpha: float
) -> tuple[np.ndarray, ...]:
    T = rng.uniform(1.0, 78.0, size=n)
    x = rng.poisson(rng.gamma(r, 1.0 / alpha, size=n) * T).astype(float)
    t_x = np.where(x > 0, T * rng.beta(np.maximum(x, 1.0), 1.0), 0.0)
    return x, t_x, T


def test_nbd_fit_recovers_known_parameters() -> None:
    x, t_x, T = _simulate_nbd(np.random.default_rng(21), 50_000, 0.8, 12.0)
    m = NBDModel().fit(x, t_x, T)
    for name, true in (("r", 0.8), ("alpha", 12.0)):
        assert abs(m.params[name] - true) < 4 * m.standard_errors[name], (m.params, true)
    np.testing.assert_array_equal(m.probability_alive(x[:5], t_x[:5], T[:5]), 1.0)
    r, alpha = m.params["r"], m.params["alpha"]
    want = (r + x[:5]) * 10.0 / (alpha + T[:5])
    np.testing.assert_allclose(m.expected_purchases(10.0, x[:5], t_x[:5], T[:5]), want)


def test_nbd_gradient_matches_finite_differences() -> None:
    x, t_x, T = _simulate_nbd(np.random.default_rng(22), 2_000, 0.5, 8.0)
    m = NBDModel()
    data = m._prepare(collapse(x, t_x, T))
    theta = np.array([0.7, 9.0])
    _, grad = m._loglik(theta, data)
    for i in range(2):
        e = np.zeros(2)
        e[i] = 1e-6 * theta[i]
        numeric = (m._loglik(theta + e, data)[0] - m._loglik(theta - e, data)[0]) / (2 * e[i])
        assert abs(grad[i] - numeric) < 1e-5 * max(1.0, abs(numeric))


# ------------------------------------------------------------------------ parameter draws
@pytest.fixture(scope="module")
def bg_cdnow() -> BetaGeoModel:
    d = cdnow_summary()
    return BetaGeoModel().fit(d["x"], d["t_x"], d["T"])


def test_covariance_log_is_the_delta_method_of_the_standard_errors(bg_cdnow: BetaGeoModel) -> None:
    theta = np.array(list(bg_cdnow.params.values()))
    cov = bg_cdnow.covariance_log
    np.testing.assert_allclose(cov, cov.T, rtol=1e-12)
    assert np.all(np.linalg.eigvalsh(cov) > 0)
    se = np.array(list(bg_cdnow.standard_errors.values()))
    np.testing.assert_allclose(theta * np.sqrt(np.diag(cov)), se, rtol=1e-8)


def test_parameter_draws_follow_the_log_normal_approximation(bg_cdnow: BetaGeoModel) -> None:
    n = 20_000
    draws = bg_cdnow.parameter_draws(n, np.random.default_rng(31))
    assert draws.shape == (n, 4)
    assert np.all(draws > 0)
    z = np.log(draws)
    theta = np.array(list(bg_cdnow.params.values()))
    cov = bg_cdnow.covariance_log
    sd = np.sqrt(np.diag(cov))
    assert np.all(np.abs(z.mean(axis=0) - np.log(theta)) < 4 * sd / np.sqrt(n))
    sample = np.cov(z, rowvar=False)
    np.testing.assert_allclose(np.diag(sample), np.diag(cov), rtol=0.05)
    corr = sample / np.outer(np.sqrt(np.diag(sample)), np.sqrt(np.diag(sample)))
    np.testing.assert_allclose(corr, cov / np.outer(sd, sd), atol=0.04)
    again = bg_cdnow.parameter_draws(n, np.random.default_rng(31))
    np.testing.assert_array_equal(draws, again)


def test_with_theta_gives_an_independent_copy(bg_cdnow: BetaGeoModel) -> None:
    theta = np.array(list(bg_cdnow.params.values()))
    other = bg_cdnow.with_theta(theta * 1.1)
    assert type(other) is BetaGeoModel
    np.testing.assert_allclose(list(other.params.values()), theta * 1.1)
    np.testing.assert_allclose(list(bg_cdnow.params.values()), theta)  # original unchanged
    assert np.all(np.isnan(other.covariance_log))
    assert other.standard_errors == {}
    same = bg_cdnow.with_params(**bg_cdnow.params)
    np.testing.assert_array_equal(
        same.probability_of_purchases_new_customer(np.arange(5), HORIZON),
        bg_cdnow.probability_of_purchases_new_customer(np.arange(5), HORIZON),
    )
    with pytest.raises(InvalidInputError, match="4 positive finite"):
        bg_cdnow.with_theta(theta[:3])
    with pytest.raises(InvalidInputError, match="4 positive finite"):
        bg_cdnow.with_theta(-theta)
    with pytest.raises(InvalidInputError, match="exactly the parameters"):
        bg_cdnow.with_params(r=1.0, alpha=2.0, a=1.0)


def test_parameter_draws_need_a_usable_covariance() -> None:
    with pytest.raises(ModelError, match="no usable parameter covariance"):
        _model("bg").parameter_draws(10, np.random.default_rng(0))
    with pytest.raises(NotFittedError):
        BetaGeoModel().parameter_draws(10, np.random.default_rng(0))
    x, t_x, T = _simulate_nbd(np.random.default_rng(23), 5_000, 0.8, 12.0)
    nbd = NBDModel().fit(x, t_x, T)
    with pytest.raises(InvalidInputError, match="positive integer"):
        nbd.parameter_draws(0, np.random.default_rng(0))
    assert nbd.parameter_draws(3, np.random.default_rng(0)).shape == (3, 2)
