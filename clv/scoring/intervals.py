"""Ranges on every prediction: purchases and CLV over the horizon, and customer equity.

A customer's range combines two uncertainties:

(a) the model's own — `DRAWS` draws of the fitted parameters from their asymptotic sampling
    distribution (the observed information, in log-parameter space); and
(b) the customer's own — the conditional distribution of the number of purchases in the
    horizon, P(X = k | x, t_x, T) = (1 - P(alive)) [k = 0] + P(alive) P(X = k | alive),
    and the Gamma-Gamma posterior of their spend (Fader & Hardie 2013, eq. 4).

The purchase distribution is the mixture over `PMF_DRAWS` of the draws; P(alive) and the
alive-conditional distribution (which depends on (x, T) only, so it is computed once per
distinct pair) are averaged over the draws separately: their covariance across draws is
second order. A range is the central one, from the (1 - level)/2 to the (1 + level)/2
quantile, or one purchase narrower at either end when that holds a probability closer to
`level` (`_closest`). The horizon's spend S (k purchases of Gamma(p, nu) values, nu from the
posterior) has a point mass at 0 (no purchase) and a positive part, taken as the gamma
distribution with its exact first two moments; CLV = S x gross margin x the customer's
discount factor (the point CLV over its undiscounted value). Customer equity's range adds
the spread of the sum over all `DRAWS` draws to the sum of
the customers' own variances (a normal approximation: a sum over many customers).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import gammaincinv, ndtri

from clv.predictive import GammaGammaModel, ModelError, TransactionModel
from clv.predictive._cores import each
from clv.predictive._fitting import collapse
from clv.scoring.records import EquityRange
from clv.segments.scores import FloatArray, IntArray

DRAWS = 20  # parameter draws per run: customer equity's spread
PMF_DRAWS = 5  # of them, those a customer's mixture averages (a second-order effect for one
# customer; each costs a pass over the customers and a table per distinct (x, T))
EQUITY_SAMPLE = 50_000  # customers the equity's draws are evaluated on, at most
SEED = 20261202  # fixed: the same data give the same ranges
_MIN_K, _MAX_K = 16, 8192  # purchases up to which a pair's distribution is tabulated


@dataclass(frozen=True)
class PurchaseRanges:
    """Per customer: the purchase range over the horizon and the moments of its mixture."""

    low: IntArray
    high: IntArray
    mean: FloatArray
    second: FloatArray  # E[X^2]
    p_zero: FloatArray
    mass: FloatArray  # the probability each range holds (near `level`; see `_closest`)


def model_draws(model: TransactionModel, rng: np.random.Generator) -> list[TransactionModel]:
    """The model under `DRAWS` parameter draws, or the point estimate repeated when its
    observed information is singular (then its parameters' uncertainty is left out)."""
    try:
        thetas = model.parameter_draws(DRAWS, rng)
    except ModelError:
        return [model] * DRAWS  # the spend model's draws still vary
    return [model.with_theta(theta) for theta in thetas]


def _tail_need(model: TransactionModel, t: float, x: FloatArray, T: FloatArray) -> IntArray:
    """A table size per (x, T) pair that holds all but a negligible tail, in powers of 2:
    mean + 10 sd of the purchases without dropout (the gamma-Poisson with the posterior
    (r + x, alpha + T)), which every model's alive-conditional count stays below."""
    r, alpha = (float(v) for v in model._theta()[:2])
    mean = (r + x) * t / (alpha + T)
    need = mean + 10.0 * np.sqrt(mean + mean**2 / (r + x)) + 10.0
    size = 2 ** np.ceil(np.log2(np.clip(need, _MIN_K, _MAX_K)))
    return np.asarray(size, dtype=np.int64)


def _quantile(cdf: FloatArray, rows: IntArray, alive: FloatArray, u: float) -> IntArray:
    """min{k : F(k) >= u} for F = (1 - alive) + alive x cdf[row], vectorised: the rows are
    laid end to end with offsets 2 x row (a CDF stays below 2) and searched once."""
    width = cdf.shape[1]
    with np.errstate(divide="ignore", invalid="ignore"):
        target = (u - (1.0 - alive)) / alive
    flat = (cdf + 2.0 * np.arange(cdf.shape[0])[:, None]).ravel()
    pos = np.searchsorted(flat, np.clip(target, 0.0, 1.0) + 2.0 * rows) - rows * width
    k = np.minimum(pos, width - 1)
    return np.asarray(np.where((alive <= 0) | (target <= 0), 0, k), dtype=np.int64)


def _tables(
    models: Sequence[TransactionModel], horizon: float, ux: FloatArray, uT: FloatArray
) -> list[tuple[FloatArray, FloatArray]]:
    """Per group of (x, T) pairs with one table size: (the pairs' mask, their pmf averaged
    over the draws)."""
    need = _tail_need(models[0], horizon, ux, uT)
    groups = []
    for size in np.unique(need).tolist():
        in_group = need == size
        pmf = np.zeros((int(in_group.sum()), size + 1))
        for model in models:  # in place: a table of the largest group is ~100 MB at 1M
            with np.errstate(all="ignore"):
                table = model._alive_pmf(size, horizon, ux[in_group], uT[in_group])
            table = np.nan_to_num(table, copy=False)
            table /= len(models)
            pmf += table
        groups.append((in_group, pmf))
    return groups


def equity_draws(
    models: Sequence[TransactionModel],
    x: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
    *,
    horizon: float,
    weight: Callable[[int, IntArray | None], FloatArray],
    rng: np.random.Generator,
) -> FloatArray:
    """sum(weight(d) x E_d[X]) under each draw d: the spread of customer equity that the
    parameters' uncertainty makes. On a fixed random sample of at most `EQUITY_SAMPLE`
    customers, scaled up: the same customers under every draw, so the draws' differences are
    the parameters' (the sample's own noise is common to all of them). `weight(d, rows)` is
    draw d's weight of customers `rows` (None: all)."""
    n = x.size
    rows = np.sort(rng.choice(n, EQUITY_SAMPLE, replace=False)) if n > EQUITY_SAMPLE else None
    xs, txs, Ts = (v if rows is None else v[rows] for v in (x, t_x, T))
    sums = np.zeros(len(models))
    for i, model in enumerate(models):
        w = weight(i, rows)
        with np.errstate(all="ignore"):
            expected = model.expected_purchases(horizon, xs, txs, Ts)
            total = float(w @ np.nan_to_num(expected, nan=0.0, posinf=np.nan)) * (n / xs.size)
        sums[i] = total if np.isfinite(total) else np.nan  # a degenerate draw: left out
    return sums


def purchase_ranges(
    models: Sequence[TransactionModel],
    x: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
    *,
    horizon: float,
    level: float,
) -> PurchaseRanges:
    """The `level` range of each customer's purchases in (T, T + horizon], from the mixture
    over `models` (the draws)."""
    pairs = collapse(x, T)
    ux, uT = pairs.columns
    groups = _tables(models, horizon, ux, uT)
    n = x.size
    alive = np.zeros(n)
    for model in models:  # one draw's P(alive) at a time: memory stays flat
        with np.errstate(all="ignore"):
            alive += np.nan_to_num(model._probability_alive(x, t_x, T)) / len(models)
    low, high = np.zeros(n, np.int64), np.zeros(n, np.int64)
    mean, second, p_zero, mass = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n)
    for in_group, pmf in groups:
        k = np.arange(pmf.shape[1], dtype=np.float64)
        members = np.flatnonzero(in_group[pairs.inverse])
        rows = (np.cumsum(in_group) - 1).astype(np.int64)[pairs.inverse[members]]
        a, cdf = alive[members], np.cumsum(pmf, axis=1)
        lo = _quantile(cdf, rows, a, (1.0 - level) / 2)
        hi = _quantile(cdf, rows, a, (1.0 + level) / 2)
        low[members], high[members], mass[members] = _closest(cdf, rows, a, lo, hi, level)
        mean[members] = a * (pmf @ k)[rows]
        second[members] = a * (pmf @ k**2)[rows]
        p_zero[members] = 1.0 - a + a * pmf[rows, 0]
    return PurchaseRanges(low, high, mean, second, p_zero, mass)


def _closest(
    cdf: FloatArray, rows: IntArray, alive: FloatArray, lo: IntArray, hi: IntArray, level: float
) -> tuple[IntArray, IntArray, FloatArray]:
    """Of the central range [lo, hi] and the two one purchase narrower, the one whose
    probability is closest to `level` (a range of whole purchases cannot hold exactly 80 %:
    always rounding up would make every range hold more, and the ranges together far more,
    than they say); and the probability it holds."""

    def cdf_at(k: IntArray) -> FloatArray:  # P(X <= k), 0 for k < 0
        inside = cdf[rows, np.clip(k, 0, cdf.shape[1] - 1)]
        return np.where(k < 0, 0.0, 1.0 - alive + alive * inside)

    options = [(lo, hi), (np.minimum(lo + 1, hi), hi), (lo, np.maximum(hi - 1, lo))]
    masses = np.stack([cdf_at(top) - cdf_at(bottom - 1) for bottom, top in options])
    best = np.argmin(np.abs(masses - level), axis=0)
    pick = np.arange(lo.size)
    low = np.stack([bottom for bottom, _ in options])[best, pick]
    high = np.stack([top for _, top in options])[best, pick]
    return low, high, masses[best, pick]


@dataclass(frozen=True)
class SpendMoments:
    """Per customer, over the spend model's draws: E[p/nu] (the expected value of one
    purchase) and the two pieces of a horizon's E[S^2] = b2 E[X^2] + b1 E[X]; and under each
    draw, for the equity's spread, E[p/nu] of any customers (`draw`: the equity's sample
    needs a few of them, a million customers' values per draw would be 8 MB each)."""

    mean: FloatArray
    b1: FloatArray
    b2: FloatArray
    thetas: tuple[tuple[float, float, float], ...]  # (p, q, v) of each draw; () : `fixed`
    x: FloatArray
    monetary: FloatArray
    fixed: FloatArray | None = None  # the value of every draw, without a spend model

    def draw(self, i: int, rows: IntArray | None = None) -> FloatArray:
        """E[p/nu] under draw `i` of customers `rows` (None: all)."""
        if self.fixed is not None:
            return self.fixed if rows is None else self.fixed[rows]
        p, q, v = self.thetas[i]
        x, monetary = self.x, self.monetary
        if rows is not None:
            x, monetary = x[rows], monetary[rows]
        return _first_moment(p, q + p * x, v + x * monetary)


def _first_moment(p: float, shape: FloatArray, rate: FloatArray) -> FloatArray:
    """E[p/nu] for nu ~ Gamma(shape, rate): p rate / (shape - 1), infinite for shape <= 1."""
    with np.errstate(all="ignore"):
        return np.asarray(np.where(shape > 1, p * rate / (shape - 1), np.inf), dtype=np.float64)


def spend_moments(
    model: GammaGammaModel | None,
    x: FloatArray,
    monetary: FloatArray,
    fallback: FloatArray,
    rng: np.random.Generator,
    draws: int,
) -> SpendMoments:
    """The moments of a purchase's value; without a spend model, `fallback` (the AOV), fixed."""
    if model is None:
        return SpendMoments(fallback, np.zeros(x.size), fallback**2, (), x, monetary, fallback)
    try:
        thetas = model.parameter_draws(draws, rng)
    except ModelError:
        thetas = np.tile(np.array(list(model.params.values())), (draws, 1))
    mean, b1, b2 = np.zeros(x.size), np.zeros(x.size), np.zeros(x.size)
    for p, q, v in thetas.tolist():
        shape, rate = q + p * x, v + x * monetary  # nu's posterior
        first = _first_moment(p, shape, rate)
        with np.errstate(all="ignore"):
            scale2 = np.where(shape > 2, rate**2 / ((shape - 1) * (shape - 2)), np.inf)
        mean += first / len(thetas)
        b1 += p * scale2 / len(thetas)
        b2 += p * p * scale2 / len(thetas)
    draws_of = tuple((float(p), float(q), float(v)) for p, q, v in thetas.tolist())
    return SpendMoments(mean, b1, b2, draws_of, x, monetary)


def clv_ranges(
    purchases: PurchaseRanges, spend: SpendMoments, factor: FloatArray, level: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(low, high, variance) of each customer's CLV = factor x S, S the horizon's spend."""
    e_x, e_x2, p0 = purchases.mean, purchases.second, purchases.p_zero
    finite = np.isfinite(spend.b2) & np.isfinite(spend.mean)
    mean_s = spend.mean * e_x
    second_s = np.where(finite, spend.b2 * e_x2 + spend.b1 * e_x, spend.mean**2 * e_x2)
    positive = np.clip(1.0 - p0, 1e-12, 1.0)
    m1, m2 = mean_s / positive, second_s / positive
    var = np.maximum(m2 - m1**2, 1e-12 * m1**2 + 1e-300)
    shape, scale = m1**2 / var, var / m1

    def quantile(u: float) -> FloatArray:
        with np.errstate(all="ignore"):
            inner = np.clip((u - p0) / positive, 0.0, 1.0)
            value = np.where(u <= p0, 0.0, gammaincinv(shape, inner) * scale)
        return np.asarray(np.nan_to_num(value) * factor, dtype=np.float64)

    variance = factor**2 * np.maximum(second_s - mean_s**2, 0.0)
    low, high = each(quantile, [(1.0 - level) / 2, (1.0 + level) / 2])  # one per core
    return low, high, variance


def equity_range(
    point: float, draws: FloatArray, customer_variance: FloatArray, level: float
) -> EquityRange:
    """Customer equity's range: point +- z sd, sd from the draws' spread and the customers'
    own variances (normal: a sum over many customers). A draw whose parameters make the
    expected purchases overflow (NaN) is left out."""
    draws = draws[np.isfinite(draws)]
    parameter_var = float(np.var(draws, ddof=1)) if draws.size > 1 else 0.0
    total = parameter_var + float(np.sum(customer_variance))
    z = float(ndtri((1.0 + level) / 2))
    half = z * float(np.sqrt(total))
    share = parameter_var / total if total > 0 else 0.0
    return EquityRange(level, max(point - half, 0.0), point + half, share)
