"""Gamma-Gamma model of monetary value (Fader & Hardie 2013).

References
----------
Fader, P. S. & Hardie, B. G. S. (2013). "The Gamma-Gamma model of monetary value".
http://brucehardie.com/notes/025/
Colombo, R. & Jiang, W. (1999). "A stochastic RFM model". Journal of Interactive Marketing
13(3), 2-12.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

import numpy as np
from scipy.special import gammaln, psi

from ._fitting import (
    LogLik,
    check_identified,
    fit_log_params,
    hessian,
    log_covariance,
    lognormal_draws,
    standard_errors,
)
from ._validation import FloatArray, validate_monetary, validate_penalizer
from .errors import InvalidInputError, ModelError, NotFittedError

__all__ = ["GammaGammaModel"]


@dataclass(frozen=True)
class _Data:
    xs: FloatArray  # unique frequencies and their counts
    nx: FloatArray
    y: FloatArray  # x * zbar per customer
    x: FloatArray
    s_xlogm: float  # sum of x log zbar
    s_logm: float  # sum of log zbar
    s_xlogx: float  # sum of x log x


def _prepare(x: FloatArray, m: FloatArray) -> _Data:
    xs, nx = np.unique(x, return_counts=True)
    log_m = np.log(m)
    return _Data(
        xs, nx.astype(np.float64), x * m, x,
        float(x @ log_m), float(log_m.sum()), float(xs @ (nx * np.log(xs))),
    )  # fmt: skip


def _loglik(params: FloatArray, d: _Data) -> tuple[float, FloatArray]:
    p, q, v = (float(t) for t in params)
    n = float(d.nx.sum())
    px = p * d.xs
    # eq. (3) of Fader & Hardie (2013): the density of zbar given x, summed over customers
    # Gamma(px+q)/(Gamma(px)Gamma(q)) v^q x^(px) zbar^(px-1) / (v + x zbar)^(px+q)
    L = np.log(v + d.y)
    ll = (
        float(d.nx @ (gammaln(px + q) - gammaln(px)))
        + n * (q * np.log(v) - gammaln(q))
        + p * (d.s_xlogm + d.s_xlogx) - d.s_logm
        - p * float(d.x @ L) - q * float(L.sum())
    )  # fmt: skip
    dig = psi(px + q)
    inv = 1.0 / (v + d.y)
    d_p = float(d.nx @ (d.xs * (dig - psi(px)))) + d.s_xlogm + d.s_xlogx - float(d.x @ L)
    d_q = float(d.nx @ dig) + n * (np.log(v) - psi(q)) - float(L.sum())
    d_v = n * q / v - p * float(d.x @ inv) - q * float(inv.sum())
    return ll, np.array([d_p, d_q, d_v])


class GammaGammaModel:
    """Gamma-Gamma model of the mean value of a customer's repeat purchases.

    A customer's transaction values are Gamma(p, nu) with ``nu ~ Gamma(q, v)`` across
    customers, independent of the purchase process.  Fitted on customers with
    ``frequency > 0`` (and so ``monetary > 0``).

    Parameters
    ----------
    penalizer_coef : float, default 0
        L2 penalty ``penalizer_coef * sum(params ** 2)`` on the mean negative log-likelihood.
    maxiter : int, default 1000
        Maximum number of optimiser iterations.

    Attributes
    ----------
    params : dict
        ``{"p", "q", "v"}``.
    log_likelihood : float
        Summed log-likelihood at the fitted parameters.
    standard_errors : dict
        From the inverse observed information matrix.
    """

    param_names = ("p", "q", "v")

    def __init__(self, penalizer_coef: float = 0.0, maxiter: int = 1000) -> None:
        self.penalizer_coef = validate_penalizer(penalizer_coef)
        self.maxiter = int(maxiter)
        self._params: FloatArray | None = None
        self.log_likelihood = float("nan")
        self.standard_errors: dict[str, float] = {}
        self.covariance_log: FloatArray = np.full((3, 3), np.nan)

    def fit(self, frequency: Any, monetary: Any) -> Self:
        """Fit on the customers with ``frequency > 0``; returns ``self``.

        Parameters
        ----------
        frequency : array_like
            Number of repeat purchases (customers with 0 are ignored).
        monetary : array_like
            Mean value of the repeat purchases; must be > 0 where ``frequency > 0``.
        """
        x, m = validate_monetary(frequency, monetary)
        keep = x > 0
        if keep.sum() < 2:
            raise InvalidInputError("Gamma-Gamma needs at least 2 customers with frequency > 0")
        x, m = x[keep], m[keep]
        x0 = np.array([0.0, 0.0, float(np.log(np.mean(m)))])
        h0 = None
        if x.size > 60_000:  # warm start (values and inverse Hessian) from every k-th customer
            step = x.size // 30_000
            try:
                x0, h0 = self._minimize(_prepare(x[::step], m[::step]), x0, None, gtol=1e-6)
                h0 = 0.5 * (h0 + h0.T)
                np.linalg.cholesky(h0)
            except (ModelError, np.linalg.LinAlgError):
                x0, h0 = np.array([0.0, 0.0, float(np.log(np.mean(m)))]), None
        data = _prepare(x, m)
        z, _ = self._minimize(data, x0, h0)
        self._params = np.exp(z)
        self.log_likelihood = float(_loglik(self._params, data)[0])
        loglik: LogLik = lambda t: _loglik(t, data)  # noqa: E731
        H = hessian(loglik, self._params)
        self.standard_errors = standard_errors(H, self.param_names)
        self.covariance_log = log_covariance(H, self._params)
        if self.penalizer_coef == 0:
            check_identified(self._params, self.standard_errors, "GammaGammaModel")
        return self

    def _minimize(
        self, data: _Data, x0: FloatArray, h0: FloatArray | None, gtol: float = 1e-7
    ) -> tuple[FloatArray, FloatArray]:
        n = float(data.nx.sum())
        c = self.penalizer_coef

        def objective(z: FloatArray) -> tuple[float, FloatArray]:
            theta = np.exp(z)
            ll, grad = _loglik(theta, data)
            return -ll / n + c * float(theta @ theta), -grad * theta / n + 2 * c * theta**2

        return fit_log_params(
            objective, x0, maxiter=self.maxiter, model="GammaGammaModel", gtol=gtol, hess_inv0=h0
        )

    @property
    def params(self) -> dict[str, float]:
        """Fitted parameters by name."""
        return dict(zip(self.param_names, self._theta().tolist(), strict=True))

    def _theta(self) -> FloatArray:
        if self._params is None:
            raise NotFittedError("GammaGammaModel is not fitted: call fit() first")
        return self._params

    def set_params(self, p: float, q: float, v: float) -> Self:
        """Set the parameters directly (e.g. known values) instead of fitting."""
        if not all(np.isfinite(t) and t > 0 for t in (p, q, v)):
            raise InvalidInputError(f"need positive finite p, q, v, got {(p, q, v)}")
        self._params = np.array([p, q, v], dtype=np.float64)
        return self

    def parameter_draws(self, n: int, rng: np.random.Generator) -> FloatArray:
        """``n`` draws of (p, q, v) from their sampling distribution (log-normal, with the
        fit's observed information); ModelError when the information is singular."""
        return lognormal_draws(self._theta(), self.covariance_log, n, rng, "GammaGammaModel")

    def posterior(self, frequency: Any, monetary: Any) -> tuple[FloatArray, FloatArray]:
        """Shape and rate of each customer's posterior of ``nu`` (Fader & Hardie 2013, eq. 4):
        ``Gamma(q + p x, v + x zbar)``; a transaction's value is Gamma(p, nu)."""
        x, m = validate_monetary(frequency, monetary)
        p, q, v = self._theta()
        return q + p * x, v + x * m

    def expected_spend(self, frequency: Any, monetary: Any) -> FloatArray:
        """Posterior mean of each customer's mean transaction value.

        eq. (5) of Fader & Hardie (2013): a weighted average of the population mean
        ``p v / (q - 1)`` and the customer's ``monetary`` with weight ``p x / (p x + q - 1)``;
        the population mean when ``frequency == 0`` (infinite if ``q <= 1``).
        """
        x, m = validate_monetary(frequency, monetary)
        p, q, v = self._theta()
        population = p * v / (q - 1.0) if q > 1.0 else np.inf
        w = p * x / (p * x + q - 1.0)
        spend = np.where(x > 0, (1.0 - w) * population + w * m, population)
        return np.asarray(spend, dtype=np.float64)
