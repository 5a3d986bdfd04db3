"""NBD model: gamma-heterogeneous Poisson purchasing without dropout (Ehrenberg 1959).

The limit of the BG/NBD model as the dropout probability goes to 0 and of the Pareto/NBD
model as the dropout rate does: every customer stays active, buying as a Poisson process with
rate ``lambda ~ Gamma(r, alpha)``.  The number of purchases in an interval of length ``t`` is
negative binomial.

References
----------
Ehrenberg, A. S. C. (1959). "The pattern of consumer purchases". Journal of the Royal
Statistical Society C 8(1), 26-41.
Fader, P. S. & Hardie, B. G. S. (2005). "A note on deriving the Pareto/NBD model and related
expressions", section 2 (http://brucehardie.com/notes/009/).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.special import gammaln, psi

from ._base import TransactionModel
from ._fitting import Collapsed, IntArray
from ._pmf import nbd_pmf
from ._validation import FloatArray

__all__ = ["NBDModel"]


@dataclass(frozen=True)
class Counts:
    """The data of the gamma-Poisson part of a likelihood, collapsed: the unique frequencies
    with their weights, and the unique T with their weights and summed frequency."""

    xs: FloatArray
    wx: FloatArray
    Tu: FloatArray
    w_t: FloatArray
    xw_t: FloatArray

    @classmethod
    def of(cls, x: FloatArray, T: FloatArray, w: FloatArray) -> tuple[Counts, IntArray]:
        """The counts of weighted rows (x, T), and the map from each row to `xs`."""
        xs, ix = np.unique(x, return_inverse=True)
        Tu, i_t = np.unique(T, return_inverse=True)
        ix, i_t = ix.ravel().astype(np.intp), i_t.ravel()

        def total(index: IntArray, weights: FloatArray, size: int) -> FloatArray:
            return np.asarray(np.bincount(index, weights=weights, minlength=size), np.float64)

        counts = cls(xs, total(ix, w, xs.size), Tu, total(i_t, w, Tu.size),
                     total(i_t, w * x, Tu.size))  # fmt: skip
        return counts, ix

    def scaled(self, scale: float) -> Counts:
        return replace(self, Tu=self.Tu * scale)


def gamma_poisson_terms(r: float, alpha: float, c: Counts) -> tuple[float, float, float]:
    """sum of log[Gamma(r+x)/Gamma(r) alpha^r / (alpha+T)^(r+x)] over the rows, and its
    derivatives in r and alpha: the NBD likelihood, and the A_1 and A_3 terms of the BG/NBD's
    (Fader, Hardie & Lee 2005, eq. 6)."""
    n = float(c.wx.sum())
    lat = np.log(alpha + c.Tu)
    ll = float(c.wx @ gammaln(r + c.xs)) + n * (r * np.log(alpha) - gammaln(r))
    ll -= float((r * c.w_t + c.xw_t) @ lat)
    d_r = float(c.wx @ psi(r + c.xs)) + n * (np.log(alpha) - psi(r)) - float(c.w_t @ lat)
    d_alpha = n * r / alpha - float((r * c.w_t + c.xw_t) @ (1.0 / (alpha + c.Tu)))
    return ll, d_r, d_alpha


class NBDModel(TransactionModel):
    """NBD purchase-count model: Poisson purchasing at a gamma-distributed rate, no dropout.

    The likelihood of ``x`` purchases at given times in ``(0, T]`` is
    ``Gamma(r+x)/Gamma(r) alpha^r / (alpha+T)^(r+x)``; the recency plays no role.  The
    posterior of ``lambda`` is ``Gamma(r+x, alpha+T)``, so ``P(alive) = 1``,
    ``E[X(T, T+t] | x, T] = (r+x) t / (alpha+T)`` and ``X(T, T+t]`` is negative binomial
    with those parameters.

    Parameters
    ----------
    penalizer_coef : float, default 0
        L2 penalty on the parameters (see :class:`TransactionModel`).
    maxiter : int, default 1000
        Maximum number of optimiser iterations.

    Attributes
    ----------
    params : dict
        ``{"r", "alpha"}``; ``alpha`` is in the time unit of the data.
    log_likelihood : float
        Summed log-likelihood at the fitted parameters.
    standard_errors : dict
        From the inverse observed information matrix (numerical Hessian of -LL).
    """

    param_names = ("r", "alpha")
    _time_params = (False, True)

    def _prepare(self, rows: Collapsed) -> Counts:
        x, _, T = rows.columns
        return Counts.of(x, T, rows.weights)[0]

    def _scale_data(self, data: Counts, scale: float) -> Counts:
        return data.scaled(scale)

    def _loglik(self, params: FloatArray, data: Counts) -> tuple[float, FloatArray]:
        ll, d_r, d_alpha = gamma_poisson_terms(float(params[0]), float(params[1]), data)
        return ll, np.array([d_r, d_alpha])

    def _probability_alive(self, x: FloatArray, t_x: FloatArray, T: FloatArray) -> FloatArray:
        return np.ones(x.shape, dtype=np.float64)

    def _expected_if_alive(self, t: FloatArray, x: FloatArray, T: FloatArray) -> FloatArray:
        r, alpha = self._theta()
        return np.asarray((r + x) * t / (alpha + T), dtype=np.float64)

    def _expected_new(self, t: FloatArray) -> FloatArray:
        r, alpha = self._theta()
        return np.asarray(r * t / alpha, dtype=np.float64)

    def _alive_pmf(self, kmax: int, t: float, x: FloatArray, T: FloatArray) -> FloatArray:
        """Negative binomial ``NBD_k(t; r+x, alpha+T)``, ``k = 0..kmax``."""
        r, alpha = self._theta()
        return nbd_pmf(int(kmax), r + x, alpha + T, float(t))
