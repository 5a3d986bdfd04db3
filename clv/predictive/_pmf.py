"""The distribution of the number of purchases in a future period, for the purchase models.

Given "alive at T" with history ``(x, T)``, every model's future is again its own process with
posterior parameters: a gamma-Poisson purchase process with shape ``r + x`` and rate
``alpha + T`` (the NBD), stopped by the model's dropout process.  This module holds the
vectorised pmf tables ``P(X = k)`` for ``k = 0..kmax`` (one row per customer) of

* the NBD: ``NBD_k(t; r, alpha) = Gamma(r+k)/(Gamma(r) k!) (alpha/(alpha+t))^r
  (t/(alpha+t))^k``;
* the BG/NBD (Fader, Hardie & Lee 2005, eq. 8), which needs the NBD survival function: it is
  summed downwards from one ``scipy.special.betainc`` value, so it never subtracts;
* the Pareto/NBD: with an exponential lifetime of gamma-distributed rate, the lifetime ``tau``
  has the Lomax survival ``S(tau) = (beta/(beta+tau))^s`` and ``X = N(min(tau, t))``, so

  ``P(X = k) = S(t) NBD_k(t) + integral_0^t f(tau) NBD_k(tau) dtau``

  (Fader, Hardie & Shang 2014, "Deriving the conditional PMF of the Pareto/NBD model",
  http://brucehardie.com/notes/028/, give it in closed form as a sum of Gauss hypergeometric
  functions; a quadrature is faster for a whole table and never cancels).

The quadrature: with ``q = tau/(alpha+tau)`` the integral is
``s C_k integral_0^{q_t} q^k (1-q)^(r+s-1) h(q) dq``, ``h(q) = rho / (1 - q + rho q)^(s+1)``,
``rho = alpha/beta`` and ``C_k = Gamma(r+k)/(Gamma(r) k!)``.  Substituting ``q = q_hi v^2``
stabilises the widths of the peaks over ``k`` (the square root is the variance-stabilising
transform of a Poisson count), and ``q^k = q_hi^k v^(2k)``: with the same nodes ``v_j`` for
every customer, the whole table is one matrix product of a (customers x nodes) matrix with the
universal ``v_j^(2k)``.  The nodes are composite Gauss-Legendre rules on panels of ``[0, 1]``,
graded geometrically towards the ends where the integrand has features narrower than a panel
(``q_t`` near 1, i.e. ``t >> alpha``; a lifetime much shorter than the purchase scale); the
panel width follows the narrowest peak, and ``q_hi < q_t`` drops the part of the range where
every ``k <= kmax`` has a negligible (< 1e-15) share.  All of it is checked against adaptive
quadrature and lifetimes in ``tests/predictive/test_purchase_pmf.py``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.special import betainc, betainccinv, betaincinv, betaln, gammaln

from ._cores import each
from ._validation import FloatArray
from .errors import InvalidInputError

IntArray = npt.NDArray[np.int64]

__all__ = ["bg_pmf", "nbd_pmf", "pareto_pmf", "point_mass", "validate_k"]

_CHUNK = 1 << 20  # cells of a (customers x k) or (customers x nodes) block: bounded memory
_BLOCK = 64  # columns of v^(2k) per matrix product (rescaled per block: no underflow)
_GL = 16  # Gauss-Legendre nodes per panel
_TAIL = 1e-15  # share of the integral dropped above q_hi, for every k <= kmax


def validate_k(k: Any) -> IntArray:
    """Validate purchase counts: non-negative integers (scalar or array)."""
    try:
        arr = np.asarray(k, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"k must be a non-negative integer: {exc}") from exc
    flat = np.atleast_1d(arr).ravel()
    if flat.size == 0:
        raise InvalidInputError("k is empty")
    bad = ~np.isfinite(flat) | (flat < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InvalidInputError(f"k must be a non-negative integer, got k[{i}]={flat[i]}")
    bad = flat != np.floor(flat)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InvalidInputError(f"k must be an integer number of purchases, got k[{i}]={flat[i]}")
    return arr.astype(np.int64)


def point_mass(n: int, kmax: int) -> FloatArray:
    """The table of ``X = 0`` with certainty (a horizon ``t = 0``)."""
    out = np.zeros((n, kmax + 1))
    out[:, 0] = 1.0
    return out


def _per_unique(values: FloatArray, table: Any) -> FloatArray:
    """``table(unique values)`` expanded back to one row per element of ``values``."""
    uniq, inv = np.unique(values, return_inverse=True)
    return np.asarray(table(uniq)[inv.ravel()], dtype=np.float64)


def _log_coef(kmax: int, r: FloatArray) -> FloatArray:
    """``log C_k = log Gamma(r+k) - log Gamma(r) - log k!`` for ``k = 0..kmax``, per row."""
    k = np.arange(kmax + 1, dtype=np.float64)

    def table(ru: FloatArray) -> FloatArray:
        return np.asarray(gammaln(ru[:, None] + k) - gammaln(ru)[:, None] - gammaln(k + 1.0))

    return _per_unique(r, table)


def _nbd_log_pmf(kmax: int, r: FloatArray, alpha: FloatArray, t: float) -> FloatArray:
    """``log NBD_k(t; r, alpha)`` for ``k = 0..kmax`` (``t > 0``)."""
    log_at = np.log(alpha + t)
    k = np.arange(kmax + 1, dtype=np.float64)
    log_q = np.log(t) - log_at  # log(t / (alpha + t)); log(1 - q) formed without cancellation
    base = r * (np.log(alpha) - log_at)
    return np.asarray(_log_coef(kmax, r) + base[:, None] + np.outer(log_q, k), np.float64)


def _chunked(kmax: int, n: int, fill: Any) -> FloatArray:
    """Run ``fill(rows slice)`` on blocks of rows so that no table exceeds ``_CHUNK`` cells."""
    out = np.empty((n, kmax + 1))
    step = max(1, _CHUNK // (kmax + 1))

    def block(start: int) -> None:
        rows = slice(start, min(n, start + step))
        out[rows] = fill(rows)

    each(block, range(0, n, step))  # on every core: each block is its own rows of `out`
    return out


def nbd_pmf(kmax: int, r: FloatArray, alpha: FloatArray, t: float) -> FloatArray:
    """Table of ``NBD_k(t; r_i, alpha_i)``, the gamma-Poisson pmf, for ``k = 0..kmax``."""
    if t <= 0:
        return point_mass(r.size, kmax)
    return _chunked(kmax, r.size, lambda i: np.exp(_nbd_log_pmf(kmax, r[i], alpha[i], t)))


def bg_pmf(
    kmax: int, r: FloatArray, alpha: FloatArray, a: float, b: FloatArray, t: float
) -> FloatArray:
    """BG/NBD ``P(X(t) = k)``, ``k = 0..kmax``: eq. (8) of Fader, Hardie & Lee (2005).

    ``B(a, b+k)/B(a, b) NBD_k(t) + [k > 0] B(a+1, b+k-1)/B(a, b) P(N(t) >= k)``: no purchase
    yet, or a dropout right after the k-th purchase with ``N(t) >= k``.  The survival function
    ``P(N(t) >= k) = P(N(t) > kmax) + sum_{j=k}^{kmax} NBD_j(t)`` is summed from one
    ``betainc(kmax + 1, r, t/(alpha+t))`` downwards: only positive terms, no cancellation.
    ``r``, ``alpha`` and ``b`` are per row (posterior parameters), ``a`` is common.
    """
    if t <= 0:
        return point_mass(r.size, kmax)
    k = np.arange(kmax + 1, dtype=np.float64)

    def log_beta_ratio(bu: FloatArray) -> FloatArray:  # log B(a, b+k) / B(a, b)
        return np.asarray(betaln(a, bu[:, None] + k) - betaln(a, bu)[:, None])

    def fill(i: slice) -> FloatArray:
        ri, ai, bi = r[i], alpha[i], b[i]
        log_nbd = _nbd_log_pmf(kmax, ri, ai, t)
        log_b1 = _per_unique(bi, log_beta_ratio)
        nbd = np.exp(log_nbd)
        tail = betainc(kmax + 1.0, ri, t / (ai + t))  # P(N(t) > kmax)
        surv = tail[:, None] + np.cumsum(nbd[:, ::-1], axis=1)[:, ::-1]  # P(N(t) >= k)
        out = np.exp(log_b1 + log_nbd)
        # B(a+1, b+k-1)/B(a, b) = B(a, b+k-1)/B(a, b) * a / (a+b+k-1)
        drop = np.exp(log_b1[:, :-1]) * (a / (a + bi[:, None] + k[:-1]))
        out[:, 1:] += drop * surv[:, 1:]
        return out

    return _chunked(kmax, r.size, fill)


@lru_cache(maxsize=32)
def _nodes(panels: int, d0: int, d1: int) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Composite Gauss-Legendre rule on ``[0, 1]``: ``panels`` equal panels, the first and last
    split geometrically ``d0`` and ``d1`` times towards 0 and 1.

    Returns the nodes ``v``, ``1 - v`` (accurate near 1), ``log w + log 2v`` (the weights with
    the Jacobian of ``q = q_hi v^2``) and the block of powers ``v^(2j)``, ``j < _BLOCK``.  The
    breakpoints are dyadic, so ``1 - b`` is exact.
    """
    step = 1.0 / panels
    cuts = {j * step for j in range(panels + 1)}
    cuts |= {step * 2.0**-i for i in range(1, d0 + 1)}
    cuts |= {1.0 - step * 2.0**-i for i in range(1, d1 + 1)}
    br = np.array(sorted(cuts))
    x, w = np.polynomial.legendre.leggauss(_GL)
    lo, hi = br[:-1, None], br[1:, None]
    v = (lo + (hi - lo) * (x + 1.0) / 2.0).ravel()
    one_minus_v = ((1.0 - hi) + (hi - lo) * (1.0 - x) / 2.0).ravel()
    log_w = np.log(((hi - lo) / 2.0 * w).ravel()) + np.log(2.0 * v)
    powers = np.exp(np.outer(2.0 * np.log(v), np.arange(_BLOCK, dtype=np.float64)))
    for arr in (v, one_minus_v, log_w, powers):
        arr.flags.writeable = False
    return v, one_minus_v, log_w, powers


def _upper_limit(
    kmax: int, c: FloatArray, q_t: FloatArray, omq_t: FloatArray, rho: FloatArray, s: float
) -> tuple[FloatArray, FloatArray]:
    """``q_hi`` and ``1 - q_hi``: ``q_t``, or less where ``q^k (1-q)^c`` for every ``k <= kmax``
    has a negligible mass above it (the upper ``eps`` quantile of ``Beta(kmax + 1, c + 1)``).

    The dropped part of ``P(X = k)`` is at most ``s C_k B(k+1, c+1) max(h) eps`` with
    ``s C_k B(k+1, c+1) <= 1`` and ``max h = max(rho, rho^-s)``, hence ``eps``.
    """
    eps = _TAIL / np.maximum(1.0, np.maximum(rho, rho**-s))
    q_cut = np.asarray(betainccinv(kmax + 1.0, c + 1.0, eps), dtype=np.float64)
    om_cut = 1.0 - q_cut
    near_one = q_cut > 0.5  # 1 - q_cut from the mirrored quantile, without cancellation
    if near_one.any():
        om_cut[near_one] = betaincinv(c[near_one] + 1.0, kmax + 1.0, eps[near_one])
        q_cut[near_one] = 1.0 - om_cut[near_one]
    cut = q_cut < q_t
    return np.where(cut, q_cut, q_t), np.where(cut, om_cut, omq_t)


def _plan(
    kmax: int, c: FloatArray, q_hi: FloatArray, omq_hi: FloatArray, rho: FloatArray, s: float
) -> IntArray:
    """Per row, the rule ``(panels, d0, d1)`` of :func:`_nodes`, packed into one integer.

    Panels are at most two widths ``sigma`` of the narrowest peak of ``v^(2k) (1-q)^c`` over
    ``k <= kmax`` (Laplace: ``sigma = sqrt(c) / (2 (k+c) sqrt(q_hi))`` at the largest ``k``
    whose peak ``k/(k+c)`` lies below ``q_hi``; only for ``c > 1``, below which there is no
    interior peak).  The last panel is split down to the distance of the singularities beyond
    ``v = 1`` (of ``(1-q)^c`` at ``q = 1``; of ``h``, of order ``s+1``, at ``q = 1/(1-rho)``
    when ``rho < 1``) and to the width ``1/(2 kmax)`` of the rise of ``v^(2 kmax)``; the first
    down to the width ``1/sqrt((rho-1) q_hi (s+1))`` of ``h`` near 0 when ``rho > 1``.
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        k_int = np.minimum(kmax, c * q_hi / omq_hi)
        sigma = np.where(c > 1.0, np.sqrt(c) / (2.0 * (k_int + c) * np.sqrt(q_hi)), 1.0)
        panels = 2.0 ** np.ceil(np.log2(np.clip(0.5 / sigma, 4.0, 4096.0)))
        pole = 1.0 / ((1.0 - rho) * q_hi)  # (v at the pole of h)^2 when rho < 1
        beyond = np.where(rho < 1.0, (pole - 1.0) / (np.sqrt(pole) + 1.0), np.inf)
        e1 = np.minimum(np.minimum(0.5 * omq_hi, beyond / np.sqrt(s + 1.0)), 0.5 / (kmax + 1))
        e0 = 1.0 / np.sqrt(np.maximum(rho - 1.0, 0.0) * q_hi * (s + 1.0))
        d1 = np.ceil(np.log2(1.0 / (panels * e1)))
        d0 = np.ceil(np.log2(1.0 / (panels * e0)))
    d0, d1 = (np.clip(np.nan_to_num(d, nan=0.0), 0, 60).astype(np.int64) for d in (d0, d1))
    return np.asarray((panels.astype(np.int64) * 64 + d0) * 64 + d1, dtype=np.int64)


def _log_integral(
    kmax: int, c: FloatArray, q_hi: FloatArray, omq_hi: FloatArray, rho: FloatArray, s: float,
    rule: tuple[int, int, int],
) -> FloatArray:  # fmt: skip
    """``log integral_0^{q_hi} q^k (1-q)^c (1 - q + rho q)^-(s+1) dq``, ``k = 0..kmax``."""
    v, one_minus_v, log_w, powers = _nodes(*rule)
    q = q_hi[:, None] * v**2
    omq = omq_hi[:, None] + q_hi[:, None] * (one_minus_v * (1.0 + v))  # 1 - q_hi v^2
    log_g = c[:, None] * np.log(omq) - (s + 1.0) * np.log(omq + rho[:, None] * q) + log_w
    log_v2 = 2.0 * np.log(v)
    out = np.empty((c.size, kmax + 1))
    k = np.arange(kmax + 1, dtype=np.float64)
    for k0 in range(0, kmax + 1, _BLOCK):
        width = min(_BLOCK, kmax + 1 - k0)
        shifted = log_g + k0 * log_v2 if k0 else log_g
        top = shifted.max(axis=1, keepdims=True)
        with np.errstate(divide="ignore"):
            out[:, k0 : k0 + width] = top + np.log(np.exp(shifted - top) @ powers[:, :width])
    return np.asarray(out + np.outer(np.log(q_hi), k + 1.0), dtype=np.float64)


def pareto_pmf(
    kmax: int, r: FloatArray, alpha: FloatArray, s: float, beta: FloatArray, t: float
) -> FloatArray:
    """Pareto/NBD ``P(X(t) = k)``, ``k = 0..kmax``, for a customer alive at the start.

    ``S(t) NBD_k(t) + integral_0^t f(tau) NBD_k(tau) dtau`` with the Lomax lifetime
    ``S(tau) = (beta/(beta+tau))^s``; the integral by the quadrature of the module docstring.
    ``r``, ``alpha`` and ``beta`` are per row (posterior parameters), ``s`` is common.
    """
    if t <= 0:
        return point_mass(r.size, kmax)

    def fill(i: slice) -> FloatArray:
        ri, ai, bi = r[i], alpha[i], beta[i]
        log_nbd = _nbd_log_pmf(kmax, ri, ai, t)
        log_surv = -s * np.log1p(t / bi)
        out = np.exp(log_surv[:, None] + log_nbd)
        c, rho = ri + (s - 1.0), ai / bi
        q_hi, omq_hi = _upper_limit(kmax, c, t / (ai + t), ai / (ai + t), rho, s)
        log_front = np.log(s * rho)[:, None] + _log_coef(kmax, ri)
        plan = _plan(kmax, c, q_hi, omq_hi, rho, s)
        for key in np.unique(plan).tolist():
            rule = (key // 4096, key // 64 % 64, key % 64)
            rows = np.flatnonzero(plan == key)
            step = max(1, _CHUNK // _nodes(*rule)[0].size)
            for g in np.array_split(rows, -(-rows.size // step)):
                log_int = _log_integral(kmax, c[g], q_hi[g], omq_hi[g], rho[g], s, rule)
                out[g] += np.exp(log_front[g] + log_int)
        return out

    return _chunked(kmax, r.size, fill)
