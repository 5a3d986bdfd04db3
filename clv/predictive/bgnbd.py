"""BG/NBD model of Fader, Hardie & Lee (2005).

References
----------
Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers the easy way: an
alternative to the Pareto/NBD model". Marketing Science 24(2), 275-284.
Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2008). "Computing P(alive) using the BG/NBD
model". http://brucehardie.com/notes/021/
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.special import betaln, expit, hyp2f1, psi

from ._base import TransactionModel
from ._fitting import Collapsed, IntArray, log1pexp
from ._pmf import bg_pmf
from ._validation import FloatArray
from .nbd import Counts, gamma_poisson_terms

__all__ = ["BetaGeoModel"]


@dataclass(frozen=True)
class _Data:
    counts: Counts  # the gamma-Poisson part: unique frequencies, unique T
    # rows with a "dropped out after the last purchase" term (x > 0 for BG/NBD, all for MBG):
    xm: FloatArray  # frequency and weight per collapsed row
    wm: FloatArray
    ix: IntArray  # row -> xs
    txu: FloatArray  # unique recency and row -> txu
    itx: IntArray
    Tmu: FloatArray  # unique T of these rows and row -> Tmu
    i_t: IntArray


def _index(values: FloatArray) -> tuple[FloatArray, IntArray]:
    uniq, inv = np.unique(values, return_inverse=True)
    return uniq, inv.ravel().astype(np.intp)


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
        counts, ix = Counts.of(x, T, w)
        m = x > 0 if self._k == 0 else np.ones(x.shape, dtype=bool)
        txu, itx = _index(t_x[m])
        Tmu, iTm = _index(T[m])
        return _Data(counts, x[m], w[m], ix[m], txu, itx, Tmu, iTm)

    def _scale_data(self, data: _Data, scale: float) -> _Data:
        return replace(
            data, counts=data.counts.scaled(scale), txu=data.txu * scale, Tmu=data.Tmu * scale
        )

    def _loglik(self, params: FloatArray, data: _Data) -> tuple[float, FloatArray]:
        r, alpha, a, b = (float(v) for v in params)
        k = self._k
        xs, wx = data.counts.xs, data.counts.wx
        n = float(wx.sum())
        # eq. (6) in Fader, Hardie & Lee (2005): A_1 and A_3 are the gamma-Poisson terms
        ll, d_r, d_alpha = gamma_poisson_terms(r, alpha, data.counts)
        # A_2: depends on x only
        ll += float(wx @ betaln(a, b + xs + k)) - n * betaln(a, b)
        d_a = float(wx @ (psi(a + b) - psi(a + b + xs + k)))
        d_b = float(wx @ (psi(b + xs + k) - psi(a + b + xs + k))) + n * (psi(a + b) - psi(b))
        # log(1 + delta exp(D)) with D = A_4 - A_3 (section 7), per collapsed row
        log_b = np.log(b + np.maximum(xs + (k - 1), 0.0))
        diff = np.log(alpha + data.txu)[data.itx] - np.log(alpha + data.Tmu)[data.i_t]
        rx = r + data.xm
        D = (np.log(a) - log_b)[data.ix] - rx * diff
        soft = log1pexp(D)
        ww = data.wm * np.exp(D - soft)  # weight x P(dropped out | data)
        ll += float(data.wm @ soft)
        d_r -= float(ww @ diff)
        wrx = ww * rx
        s_tx = np.bincount(data.itx, weights=wrx, minlength=data.txu.size)
        s_t = np.bincount(data.i_t, weights=wrx, minlength=data.Tmu.size)
        d_alpha -= float(s_tx @ (1.0 / (alpha + data.txu)) - s_t @ (1.0 / (alpha + data.Tmu)))
        d_a += float(ww.sum()) / a
        d_b -= float(np.bincount(data.ix, weights=ww, minlength=xs.size) @ np.exp(-log_b))
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

    def _alive_pmf(self, kmax: int, t: float, x: FloatArray, T: FloatArray) -> FloatArray:
        """P(X(T, T+t] = k | alive at T, x, T), ``k = 0..kmax``.

        Alive at T, the customer has survived ``x + k`` dropout draws (``k = 0`` BG/NBD, 1
        MBG/NBD) and bought ``x`` times in ``(0, T]``: the posterior of ``(lambda, p)`` is
        ``Gamma(r+x, alpha+T) x Beta(a, b+x+k)``, and by the memorylessness of the Poisson
        process the future is the BG/NBD process again with those parameters, so eq. (8) of
        Fader, Hardie & Lee (2005) applies with ``r+x``, ``alpha+T``, ``a``, ``b+x+k``.
        """
        r, alpha, a, b = self._theta()
        return bg_pmf(int(kmax), r + x, alpha + T, float(a), b + x + self._k, float(t))
