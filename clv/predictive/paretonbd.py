"""Pareto/NBD model of Schmittlein, Morrison & Colombo (1987).

The likelihood follows Fader & Hardie (2005), "A note on deriving the Pareto/NBD model and
related expressions" (http://brucehardie.com/notes/009/), eqs. (19)-(22), evaluated in log
space with a Gauss hypergeometric function that cannot overflow for large frequencies.

References
----------
Schmittlein, D. C., Morrison, D. G. & Colombo, R. (1987). "Counting your customers: who are
they and what will they do next?". Management Science 33(1), 1-24.
Fader, P. S. & Hardie, B. G. S. (2005). "A note on deriving the Pareto/NBD model and related
expressions".
Fader, P. S., Hardie, B. G. S. & Shang, J. (2014). "Deriving the conditional PMF of the
Pareto/NBD model". http://brucehardie.com/notes/028/
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.special import expit, gammaln, hyp2f1, logsumexp

from ._base import TransactionModel
from ._fitting import Collapsed, IntArray, collapse, log1pexp
from ._pmf import pareto_pmf
from ._validation import FloatArray

__all__ = ["ParetoNBDModel", "log_hyp2f1_one"]

_SERIES_TERMS = 20_000


def log_hyp2f1_one(B: FloatArray, C: FloatArray, z: FloatArray) -> FloatArray:
    """``log 2F1(1, B; C; z)`` for ``0 <= z < 1`` and ``C > B > 0``.

    The series terms ``(B)_n / (C)_n z^n`` are positive and bounded by ``z^n``, so the value
    lies in ``[1, 1/(1-z)]``.  scipy's ``hyp2f1`` is used; where it fails (non-finite or out of
    that range) a log-space series is summed instead, for at most `_SERIES_TERMS` terms: its
    tail beyond them is bounded by the last term times z / (1 - z) (the terms' ratio stays
    below z) and added as that bound, and the sum kept within ``1/(1-z)``. Only fits heading
    for a boundary (z close to 1) go that far; summing them to the end took minutes.
    """
    B, C, z = np.broadcast_arrays(B, C, z)
    val = np.asarray(hyp2f1(1.0, B, C, z), dtype=np.float64)
    bad = ~np.isfinite(val) | (val < 1.0 - 1e-12) | (val * (1.0 - z) > 1.0 + 1e-12)
    out = np.log(np.where(bad, 1.0, val))
    if bad.any():
        b, c, zz = B[bad][:, None], C[bad][:, None], z[bad][:, None]
        parts = []
        for start in range(0, _SERIES_TERMS, 2_000):
            n = np.arange(start, start + 2_000, dtype=np.float64)[None, :]
            log_terms = gammaln(b + n) - gammaln(b) - gammaln(c + n) + gammaln(c) + n * np.log(zz)
            parts.append(logsumexp(log_terms, axis=1))
            if np.all(log_terms[:, -1] < parts[0] - 40.0):
                break
        parts.append(log_terms[:, -1] + np.log(zz[:, 0]) - np.log1p(-zz[:, 0]))  # the tail
        total = logsumexp(np.stack(parts, axis=1), axis=1)
        out[bad] = np.minimum(total, -np.log1p(-z[bad]))
    return np.asarray(out, dtype=np.float64)


@dataclass(frozen=True)
class _Data:
    xs: FloatArray  # unique frequencies and their weights
    wx: FloatArray
    w: FloatArray  # weights of the collapsed rows
    x1: FloatArray  # unique (x, t_x) pairs; i1 maps rows to them
    t1: FloatArray
    i1: IntArray
    x2: FloatArray  # unique (x, T) pairs, their weights; i2 maps rows to them
    T2: FloatArray
    w2: FloatArray
    i2: IntArray


def _prepare_rows(x: FloatArray, t_x: FloatArray, T: FloatArray, w: FloatArray) -> _Data:
    xs, inv = np.unique(x, return_inverse=True)
    wx = np.asarray(np.bincount(inv.ravel(), weights=w, minlength=xs.size), np.float64)
    c1 = collapse(x, t_x)
    c2 = collapse(x, T)
    w2 = np.asarray(np.bincount(c2.inverse, weights=w, minlength=c2.weights.size), np.float64)
    (x1, t1), (x2, T2) = c1.columns, c2.columns
    return _Data(xs, wx, w, x1, t1, c1.inverse, x2, T2, w2, c2.inverse)


class ParetoNBDModel(TransactionModel):
    """Pareto/NBD purchase-count model (Schmittlein, Morrison & Colombo 1987).

    While active a customer buys as a Poisson process with rate ``lambda ~ Gamma(r, alpha)``;
    her lifetime is exponential with rate ``mu ~ Gamma(s, beta)``.

    Attributes
    ----------
    params : dict
        ``{"r", "alpha", "s", "beta"}``; ``alpha`` and ``beta`` in the time unit of the data.
    log_likelihood : float
        Summed log-likelihood at the fitted parameters.
    standard_errors : dict
        From the inverse observed information matrix (numerical Hessian of -LL).
    """

    param_names = ("r", "alpha", "s", "beta")
    _time_params = (False, True, False, True)
    _numeric_gradient = True

    def _prepare(self, rows: Collapsed) -> _Data:
        x, t_x, T = rows.columns
        return _prepare_rows(x, t_x, T, rows.weights)

    def _scale_data(self, data: _Data, scale: float) -> _Data:
        return replace(data, t1=data.t1 * scale, T2=data.T2 * scale)

    @staticmethod
    def _log_f(params: FloatArray, x: FloatArray, t: FloatArray) -> FloatArray:
        """``log[2F1(r+s+x, b'; r+s+x+1; z(t)) / (max(alpha, beta) + t)^(r+s+x)]``.

        eq. (22) of Fader & Hardie (2005): for alpha >= beta, ``b' = s+1`` and
        ``z = (alpha-beta)/(alpha+t)``; otherwise ``b' = r+x`` and ``z = (beta-alpha)/(beta+t)``.
        With ``A = r+s+x``, Euler's transformation gives
        ``2F1(A, b'; A+1; z) = (1-z)^(1-b') 2F1(1, A+1-b'; A+1; z)``, whose 2F1 lies in
        ``[1, 1/(1-z)]``; ``1 - z = (min + t)/(max + t)`` is formed without cancellation.
        """
        r, alpha, s, beta = (float(v) for v in params)
        A = r + s + x
        b_prime = s + 1.0 if alpha >= beta else r + x
        hi, lo = max(alpha, beta), min(alpha, beta)
        log_hi = np.log(hi + t)
        log_one_minus_z = np.log(lo + t) - log_hi
        z = (hi - lo) / (hi + t)
        log_f = log_hyp2f1_one(A + 1.0 - b_prime, A + 1.0, z)
        return np.asarray(log_f + (1.0 - b_prime) * log_one_minus_z - A * log_hi, np.float64)

    def _terms(self, params: FloatArray, data: _Data) -> tuple[FloatArray, FloatArray]:
        """Log of the "alive at T" term per (x, T) pair and, per row, log(dead / alive)."""
        r, alpha, s, beta = (float(v) for v in params)
        x2, T2 = data.x2, data.T2
        log_f1 = self._log_f(params, data.x1, data.t1)[data.i1]
        log_f2 = self._log_f(params, x2, T2)
        alive = -(r + x2) * np.log(alpha + T2) - s * np.log(beta + T2)
        # log[s / (r+s+x) * A_0] - alive, with A_0 = F(t_x) - F(T) >= 0 (eq. 22)
        shift = (alive - np.log(s) + np.log(r + s + x2))[data.i2]
        with np.errstate(divide="ignore"):  # log(0) = -inf when t_x == T: never died
            ratio = log_f1 - shift + np.log1p(-np.exp(np.minimum(log_f2[data.i2] - log_f1, 0.0)))
        return alive, ratio

    def _loglik(self, params: FloatArray, data: _Data) -> tuple[float, None]:
        r, alpha, s, beta = (float(v) for v in params)
        n = float(data.wx.sum())
        # eq. (19): Gamma(r+x) alpha^r beta^s / Gamma(r) * [alive term + s/(r+s+x) A_0]
        ll = float(data.wx @ gammaln(r + data.xs)) + n * (
            r * np.log(alpha) + s * np.log(beta) - gammaln(r)
        )
        alive, ratio = self._terms(params, data)
        return ll + float(data.w2 @ alive) + float(data.w @ log1pexp(ratio)), None

    def _probability_alive(self, x: FloatArray, t_x: FloatArray, T: FloatArray) -> FloatArray:
        # eq. (18) of Fader & Hardie (2005): ratio of the alive term to the likelihood
        data = _prepare_rows(x, t_x, T, np.ones(x.size))
        _, ratio = self._terms(self._theta(), data)
        # rows of _prepare_rows are the customers themselves (no collapsing of rows)
        return np.asarray(expit(-ratio), dtype=np.float64)

    def _expected_if_alive(self, t: FloatArray, x: FloatArray, T: FloatArray) -> FloatArray:
        # eq. (24) of Fader & Hardie (2005) without its P(alive) factor:
        # (r+x)(beta+T) / ((alpha+T)(s-1)) * [1 - ((beta+T)/(beta+T+t))^(s-1)]
        r, alpha, s, beta = self._theta()
        log_ratio = np.log1p(t / (beta + T))
        h = log_ratio if abs(s - 1.0) < 1e-12 else -np.expm1(-(s - 1.0) * log_ratio) / (s - 1.0)
        return np.asarray((r + x) * (beta + T) / (alpha + T) * h, dtype=np.float64)

    def _expected_new(self, t: FloatArray) -> FloatArray:
        # eq. (17) of Fader & Hardie (2005): r beta / (alpha (s-1)) [1 - (beta/(beta+t))^(s-1)]
        zero = np.zeros(1)
        return np.asarray(self._expected_if_alive(t, zero, zero).reshape(t.shape), np.float64)

    def _alive_pmf(self, kmax: int, t: float, x: FloatArray, T: FloatArray) -> FloatArray:
        """P(X(T, T+t] = k | alive at T, x, T), ``k = 0..kmax``.

        Given alive at T, ``lambda ~ Gamma(r+x, alpha+T)`` and ``mu ~ Gamma(s, beta+T)``
        (independent), and by memorylessness the remaining lifetime is ``Exp(mu)``: the
        Pareto/NBD pmf of a new customer with those parameters (Fader, Hardie & Shang 2014),
        computed by :func:`clv.predictive._pmf.pareto_pmf`.
        """
        r, alpha, s, beta = self._theta()
        return pareto_pmf(int(kmax), r + x, alpha + T, float(s), beta + T, float(t))
