"""BG/NBD model of Fader, Hardie & Lee (2005).

References
----------
Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers the easy way: an
alternative to the Pareto/NBD model". Marketing Science 24(2), 275-284.
Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2008). "Computing P(alive) using the BG/NBD
model". http://brucehardie.com/notes/021/
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import betaln, expit, gammaln, hyp2f1, psi

from ._base import TransactionModel
from ._fitting import Collapsed
from ._validation import FloatArray

__all__ = ["BetaGeoModel"]


@dataclass(frozen=True)
class _Data:
    xs: FloatArray  # unique frequencies
    wx: FloatArray  # number of customers per unique frequency
    x: FloatArray  # collapsed rows ...
    T: FloatArray
    w: FloatArray  # ... and their weights
    xm: FloatArray  # rows with a "dropped out after the last purchase" term
    txm: FloatArray
    Tm: FloatArray
    wm: FloatArray


class BetaGeoModel(TransactionModel):
    """BG/NBD purchase-count model (Fader, Hardie & Lee 2005).

    While active, a customer buys as a Poisson process with rate ``lambda ~ Gamma(r, alpha)``;
    after each repeat purchase she drops out with probability ``p ~ Beta(a, b)``.

    Parameters
    ----------
    penalizer_coef : float, default 0
        L2 penalty on the parameters (see :class:`TransactionModel`).
    maxiter : int, default 1000
        Maximum number of optimiser iterations.

    Attributes
    ----------
    params : dict
        ``{"r", "alpha", "a", "b"}``; ``alpha`` is in the time unit of the data.
    log_likelihood : float
        Summed log-likelihood at the fitted parameters.
    standard_errors : dict
        From the inverse observed information matrix (numerical Hessian of -LL).
    """

    param_names = ("r", "alpha", "a", "b")
    _time_params = (False, True, False, False)
    #: Shift of the dropout Beta posterior: 0 for BG/NBD, 1 for MBG/NBD (extra chance at t=0).
    _k: int = 0

    def _prepare(self, rows: Collapsed) -> _Data:
        x, t_x, T = rows.columns
        w = rows.weights
        xs, inv = np.unique(x, return_inverse=True)
        wx = np.asarray(np.bincount(inv.ravel(), weights=w, minlength=xs.size), np.float64)
        m = x > 0 if self._k == 0 else np.ones(x.shape, dtype=bool)
        return _Data(xs, wx, x, T, w, x[m], t_x[m], T[m], w[m])

    def _loglik(self, params: FloatArray, data: _Data) -> tuple[float, FloatArray]:
        r, alpha, a, b = (float(v) for v in params)
        k = self._k
        xs, wx, n = data.xs, data.wx, float(data.wx.sum())
        # eq. (6) in Fader, Hardie & Lee (2005), A_1 and A_2 terms: depend on x only
        ll = float(wx @ (gammaln(r + xs) + betaln(a, b + xs + k))) + n * (
            r * np.log(alpha) - gammaln(r) - betaln(a, b)
        )
        d_r = float(wx @ psi(r + xs)) + n * (np.log(alpha) - psi(r))
        d_a = float(wx @ (psi(a + b) - psi(a + b + xs + k)))
        d_b = float(wx @ (psi(b + xs + k) - psi(a + b + xs + k))) + n * (psi(a + b) - psi(b))
        # A_3 = -(r + x) log(alpha + T)
        lat = np.log(alpha + data.T)
        rx = r + data.x
        ll -= float(data.w @ (rx * lat))
        d_r -= float(data.w @ lat)
        d_alpha = n * r / alpha - float(data.w @ (rx / (alpha + data.T)))
        # log(1 + delta_{x>0} exp(D)), D = A_4 - A_3 in log-sum-exp form (section 7)
        rxm = r + data.xm
        bx = b + data.xm + (k - 1)
        ltx = np.log(alpha + data.txm)
        latm = np.log(alpha + data.Tm)
        D = np.log(a) - np.log(bx) - rxm * (ltx - latm)
        ww = data.wm * expit(D)
        ll += float(data.wm @ np.logaddexp(0.0, D))
        d_r -= float(ww @ (ltx - latm))
        d_alpha -= float(ww @ (rxm * (1.0 / (alpha + data.txm) - 1.0 / (alpha + data.Tm))))
        d_a += float(ww.sum()) / a
        d_b -= float(ww @ (1.0 / bx))
        return ll, np.array([d_r, d_alpha, d_a, d_b])

    def _probability_alive(self, x: FloatArray, t_x: FloatArray, T: FloatArray) -> FloatArray:
        # eq. (5) in Fader, Hardie & Lee (2008 note 021); Batislam et al. (2007) for MBG
        r, alpha, a, b = self._theta()
        bx = b + np.maximum(x + (self._k - 1), 0.0)  # BG: x = 0 is masked below
        D = np.log(a) - np.log(bx) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
        if self._k == 0:
            D = np.where(x > 0, D, -np.inf)
        return np.asarray(expit(-D), dtype=np.float64)

    def _expected_if_alive(self, t: FloatArray, x: FloatArray, T: FloatArray) -> FloatArray:
        """E[Y(t) | alive, x, T] (numerator of eq. (10) of Fader, Hardie & Lee 2005).

        The posterior of (lambda, p) given "alive at T" is Gamma(r + x, alpha + T) x
        Beta(a, b + x + k); E[(1 - exp(-lambda p t)) / p] under it is
        ``(a+b+x+k-1)/(a-1) * [1 - (1-z)^(r+x) 2F1(r+x, b+x+k; a+b+x+k-1; z)]`` with
        ``z = t / (alpha + T + t)``.  Euler's transformation turns the product into
        ``(1-z)^(a-1) 2F1(a+b+k-1-r, a-1; a+b+x+k-1; z)``, which stays bounded and accurate for
        large x (no huge 2F1 times a tiny power).
        """
        r, alpha, a, b = self._theta()
        k = self._k
        c = a + b + x + (k - 1)
        one_minus_z = (alpha + T) / (alpha + T + t)
        z = t / (alpha + T + t)
        hyp = hyp2f1(a + b + (k - 1) - r, a - 1.0, c, z)
        return np.asarray(c / (a - 1.0) * (1.0 - one_minus_z ** (a - 1.0) * hyp), np.float64)

    def _expected_new(self, t: FloatArray) -> FloatArray:
        # eq. (9) in Fader, Hardie & Lee (2005): the conditional formula at x = T = 0
        zero = np.zeros(1)
        return np.asarray(self._expected_if_alive(t, zero, zero).reshape(t.shape), np.float64)
