"""Common skeleton of the purchase-count ("buy till you die") models."""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from typing import Any, Self

import numpy as np

from ._fitting import (
    Collapsed,
    LogLik,
    check_identified,
    collapse,
    fit_log_params,
    hessian,
    log_covariance,
    lognormal_draws,
    standard_errors,
)
from ._fitting import numeric_objective as _numeric_objective
from ._pmf import validate_k
from ._validation import FloatArray, validate_penalizer, validate_rft, validate_t
from .errors import InvalidInputError, ModelError, NotFittedError

__all__ = ["TransactionModel"]

# the search box of models with a numerical gradient (Pareto/NBD), in log-parameters with times
# in units of max(T): e^10 = 22,026, far beyond any proper maximum (see fit_log_params)
NUMERIC_BOX = 10.0


def _nan_matrix(n: int) -> FloatArray:
    return np.full((n, n), np.nan)


class TransactionModel(ABC):
    """Base class: fitting by maximum likelihood on collapsed (frequency, recency, T) rows.

    Parameters
    ----------
    penalizer_coef : float, default 0
        L2 penalty ``penalizer_coef * sum(params ** 2)`` added to the mean negative
        log-likelihood, with the time-scale parameters expressed in units of ``max(T)`` (the
        same convention as ``lifetimes``).
    maxiter : int, default 1000
        Maximum number of optimiser iterations; :class:`~clv.predictive.ConvergenceError` is
        raised when the fit does not converge within it.

    Attributes
    ----------
    covariance_log : ndarray of shape (n_params, n_params)
        After :meth:`fit`, the covariance matrix of the log-parameters: the inverse of the
        observed information in log space, ``diag(theta) H diag(theta)`` with ``H`` the
        Hessian of the negative log-likelihood in the natural parameters (the penalty left
        out); NaN when that is not positive definite, or the parameters were set, not fitted.
    """

    param_names: tuple[str, ...] = ()
    _time_params: tuple[bool, ...] = ()  # parameters with the unit of time (rate scales)
    _numeric_gradient: bool = False

    def __init__(self, penalizer_coef: float = 0.0, maxiter: int = 1000) -> None:
        self.penalizer_coef = validate_penalizer(penalizer_coef)
        self.maxiter = int(maxiter)
        self._params: FloatArray | None = None
        self.log_likelihood: float = float("nan")
        self.standard_errors: dict[str, float] = {}
        self.covariance_log: FloatArray = _nan_matrix(len(self.param_names))

    # -- model-specific pieces -------------------------------------------------------------
    @abstractmethod
    def _prepare(self, rows: Collapsed) -> Any:
        """Precompute the data structures used by :meth:`_loglik`."""

    @abstractmethod
    def _scale_data(self, data: Any, scale: float) -> Any:
        """The prepared data with every time multiplied by ``scale``."""

    @abstractmethod
    def _loglik(self, params: FloatArray, data: Any) -> tuple[float, FloatArray | None]:
        """Summed log-likelihood and its gradient w.r.t. the natural parameters (or None)."""

    # -- fitting ---------------------------------------------------------------------------
    def fit(self, frequency: Any, recency: Any, T: Any) -> Self:
        """Fit the model by maximum likelihood; returns ``self``.

        Parameters
        ----------
        frequency, recency, T : array_like
            Number of repeat purchases, time of the last purchase and length of observation,
            all measured from the first purchase in the same time unit.

        Raises
        ------
        InvalidInputError
            If the input is invalid (the message names the customer index).
        ConvergenceError
            If the optimiser does not converge.
        """
        x, t_x, t_obs = validate_rft(frequency, recency, T)
        if t_obs.max() <= 0:
            raise InvalidInputError("T must be > 0 for at least one customer")
        rows = collapse(x, t_x, t_obs)
        scale = 1.0 / float(t_obs.max())  # fit in units of max(T), as lifetimes does
        data = self._scale_data(self._prepare(rows), scale)
        x0, h0 = self._warm_start(x, t_x, t_obs, rows.weights.size)
        z, _ = self._minimize(data, float(rows.weights.sum()), x0, hess_inv0=h0)
        # back to the data's time unit: alpha (beta) / scale; each of the sum(x) purchase
        # times contributes a density factor of `scale`
        unit = np.where(self._time_params, 1.0 / scale, 1.0)
        self._params = np.exp(z) * unit
        loglik: LogLik = lambda p: self._loglik(p, data)  # noqa: E731
        with np.errstate(all="ignore"):
            self.log_likelihood = float(loglik(np.exp(z))[0]) + float(x.sum()) * np.log(scale)
            H = hessian(loglik, np.exp(z)) / np.outer(unit, unit)
        self.standard_errors = standard_errors(H, self.param_names)
        self.covariance_log = log_covariance(H, self._params)
        if self.penalizer_coef == 0:
            check_identified(self._params, self.standard_errors, type(self).__name__)
        return self

    def _warm_start(
        self, x: FloatArray, t_x: FloatArray, T: FloatArray, n_rows: int
    ) -> tuple[FloatArray, FloatArray | None]:
        """Start values (in units of ``max(T)``) and inverse Hessian for big inputs.

        Both come from a fit on every k-th customer, so that the full fit needs only a few
        BFGS iterations.
        """
        x0 = np.zeros(len(self.param_names))
        if n_rows <= 60_000:
            return x0, None
        step = x.size // 30_000
        sub = collapse(x[::step], t_x[::step], T[::step])
        data = self._scale_data(self._prepare(sub), 1.0 / float(T.max()))
        try:
            z, h = self._minimize(data, float(sub.weights.sum()), x0, gtol=1e-6)
            h = 0.5 * (h + h.T)
            np.linalg.cholesky(h)  # BFGS needs a positive definite start
            return z, h
        except (ModelError, np.linalg.LinAlgError):
            return x0, None

    def _minimize(
        self,
        data: Any,
        n: float,
        x0: FloatArray,
        gtol: float | None = None,
        hess_inv0: FloatArray | None = None,
    ) -> tuple[FloatArray, FloatArray]:
        c = self.penalizer_coef

        def objective(z: FloatArray) -> tuple[float, FloatArray]:
            theta = np.exp(z)
            ll, grad = self._loglik(theta, data)
            assert grad is not None
            return -ll / n + c * float(theta @ theta), -grad * theta / n + 2 * c * theta**2

        def value(z: FloatArray) -> float:
            theta = np.exp(z)
            return -self._loglik(theta, data)[0] / n + c * float(theta @ theta)

        obj = _numeric_objective(value) if self._numeric_gradient else objective
        if gtol is None:
            gtol = 1e-7
        return fit_log_params(
            obj, x0, maxiter=self.maxiter, model=type(self).__name__, gtol=gtol,
            hess_inv0=hess_inv0, box=NUMERIC_BOX if self._numeric_gradient else None,
        )  # fmt: skip

    # -- accessors -------------------------------------------------------------------------
    @property
    def params(self) -> dict[str, float]:
        """Fitted parameters by name."""
        return dict(zip(self.param_names, self._theta().tolist(), strict=True))

    def _theta(self) -> FloatArray:
        if self._params is None:
            raise NotFittedError(f"{type(self).__name__} is not fitted: call fit() first")
        return self._params

    def set_params(self, **params: float) -> Self:
        """Set the parameters directly (e.g. known values) instead of fitting."""
        missing = set(self.param_names) - set(params)
        if missing or any(not np.isfinite(v) or v <= 0 for v in params.values()):
            raise InvalidInputError(f"need positive finite {self.param_names}, got {params}")
        self._params = np.array([float(params[k]) for k in self.param_names])
        return self

    def with_theta(self, theta: Any) -> Self:
        """A copy with the natural parameters ``theta`` (in the order of ``param_names``).

        Used for parameter draws: the copy predicts with ``theta``; its fit statistics
        (``log_likelihood``, ``standard_errors``, ``covariance_log``) are reset, as they
        belong to the original fit.

        Raises
        ------
        InvalidInputError
            If ``theta`` does not hold ``len(param_names)`` positive finite values.
        """
        arr = np.array(theta, dtype=np.float64).ravel()
        if arr.size != len(self.param_names) or not np.all(np.isfinite(arr) & (arr > 0)):
            raise InvalidInputError(
                f"theta must be {len(self.param_names)} positive finite values "
                f"{self.param_names}, got {np.asarray(theta).tolist()}"
            )
        new = copy.copy(self)
        new._params = arr
        new.log_likelihood = float("nan")
        new.standard_errors = {}
        new.covariance_log = _nan_matrix(arr.size)
        return new

    def with_params(self, **params: float) -> Self:
        """A copy with the parameters given by name (see :meth:`with_theta`)."""
        names = set(self.param_names)
        if set(params) != names:
            raise InvalidInputError(
                f"need exactly the parameters {self.param_names}, got {sorted(params)}"
            )
        return self.with_theta([params[k] for k in self.param_names])

    def parameter_draws(self, n: int, rng: np.random.Generator) -> FloatArray:
        """``n`` draws of the natural parameters from their asymptotic sampling distribution.

        ``exp(z)`` with ``z ~ N(log theta_hat, covariance_log)``: the normal approximation in
        log space, where the likelihood is closer to quadratic (and the draws stay positive).

        Returns
        -------
        ndarray of shape (n, n_params)

        Raises
        ------
        ModelError
            If the model has no usable ``covariance_log`` (not fitted with :meth:`fit`, or its
            observed information is not positive definite), or ``n`` is not a positive integer.
        """
        theta = self._theta()
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
            raise InvalidInputError(f"n must be a positive integer, got {n!r}")
        name = type(self).__name__
        if not np.all(np.isfinite(self.covariance_log)):
            raise ModelError(
                f"{name}: no usable parameter covariance (covariance_log is NaN: the model was "
                "not fitted with fit(), or its observed information is not positive definite)"
            )
        return lognormal_draws(theta, self.covariance_log, int(n), rng, name)

    # -- predictions -----------------------------------------------------------------------
    @abstractmethod
    def _probability_alive(self, x: FloatArray, t_x: FloatArray, T: FloatArray) -> FloatArray:
        """P(alive at T | history) on validated arrays."""

    @abstractmethod
    def _expected_if_alive(self, t: FloatArray, x: FloatArray, T: FloatArray) -> FloatArray:
        """E[purchases in (T, T+t] | alive at T, x, T]; broadcasts ``t`` against ``x``."""

    def probability_alive(self, frequency: Any, recency: Any, T: Any) -> FloatArray:
        """Probability that each customer is still active at the end of observation ``T``."""
        x, t_x, t_obs = validate_rft(frequency, recency, T)
        self._theta()
        with np.errstate(all="ignore"):
            return self._probability_alive(x, t_x, t_obs)

    def expected_purchases(self, t: Any, frequency: Any, recency: Any, T: Any) -> FloatArray:
        """Expected number of purchases in ``(T, T + t]`` given each customer's history.

        ``t`` may be a scalar or an array broadcastable against the customers.
        """
        x, t_x, t_obs = validate_rft(frequency, recency, T)
        tt = validate_t(t)
        self._theta()
        with np.errstate(all="ignore"):
            alive = self._probability_alive(x, t_x, t_obs)
            return np.asarray(alive * self._expected_if_alive(tt, x, t_obs), dtype=np.float64)

    @abstractmethod
    def _expected_new(self, t: FloatArray) -> FloatArray:
        """Unconditional E[X(t)] on a validated horizon."""

    def expected_purchases_new_customer(self, t: Any) -> FloatArray:
        """Expected number of repeat purchases in ``(0, t]`` of a newly acquired customer."""
        tt = validate_t(t)
        self._theta()
        with np.errstate(all="ignore"):
            return self._expected_new(tt)

    # -- distribution of the number of future purchases ---------------------------------------
    @abstractmethod
    def _alive_pmf(self, kmax: int, t: float, x: FloatArray, T: FloatArray) -> FloatArray:
        """P(X(T, T+t] = k | alive at T, x, T) for ``k = 0..kmax``: shape ``(n, kmax + 1)``.

        Vectorised over the (already validated, float) pairs ``(x, T)``; the tail beyond
        ``kmax`` is left out, so rows sum to at most 1.  ``t`` is a scalar ``>= 0``.
        """

    def _new_pmf(self, kmax: int, t: float) -> FloatArray:
        """P(X(0, t] = k) for a newly acquired customer, ``k = 0..kmax`` (one row).

        A new customer is alive at her first purchase with no history: ``x = T = 0``.
        """
        zero = np.zeros(1)
        return np.asarray(self._alive_pmf(kmax, t, zero, zero)[0], dtype=np.float64)

    def probability_of_purchases(
        self, k: Any, t: Any, frequency: Any, recency: Any, T: Any
    ) -> FloatArray:
        """Probability of exactly ``k`` purchases in ``(T, T + t]`` given each history.

        ``P(X = k | x, t_x, T) = (1 - P(alive)) [k = 0] + P(alive) P(X = k | alive, x, T)``.

        Parameters
        ----------
        k : int or array_like of int
            Numbers of purchases (``>= 0``), broadcastable against the customers.
        t : float or array_like
            Horizon (``>= 0``, the data's time unit), broadcastable against the customers.
        frequency, recency, T : array_like
            The customers' histories (see :meth:`fit`).

        Returns
        -------
        ndarray
            Of the broadcast shape of ``k``, ``t`` and the customers.

        Raises
        ------
        InvalidInputError
            If ``k`` is negative or not an integer, ``t`` is negative, the shapes do not
            broadcast, or the histories are invalid.
        """
        x, t_x, t_obs = validate_rft(frequency, recency, T)
        kk, tt = validate_k(k), validate_t(t)
        self._theta()
        kb, tb, ib = _broadcast(kk, tt, np.arange(x.size))
        pairs = collapse(x, t_obs)
        ux, uT = pairs.columns
        out = np.empty(kb.shape)
        with np.errstate(all="ignore"):
            alive = self._probability_alive(x, t_x, t_obs)
            for tv in np.unique(tb).tolist():
                m = tb == tv
                ks, a = kb[m], alive[ib[m]]
                p = self._alive_lookup(float(tv), ux, uT, pairs.inverse[ib[m]], ks)
                out[m] = a * p + (1.0 - a) * (ks == 0)
        return out

    def _alive_lookup(
        self, t: float, ux: FloatArray, uT: FloatArray, rows: Any, ks: Any
    ) -> FloatArray:
        """``P(X = ks[i] | alive, ux[rows[i]], uT[rows[i]])``, tabulated for blocks of the
        pairs needed, so that a large ``k`` does not need one huge table."""
        need, where = np.unique(rows, return_inverse=True)
        where = where.ravel()
        kmax = int(ks.max())
        step = max(1, (1 << 22) // (kmax + 1))
        out = np.empty(where.size)
        for start in range(0, need.size, step):
            sel = (where >= start) & (where < start + step)
            block = need[start : start + step]
            table = self._alive_pmf(kmax, t, ux[block], uT[block])
            out[sel] = table[where[sel] - start, ks[sel]]
        return out

    def probability_of_purchases_new_customer(self, k: Any, t: Any) -> FloatArray:
        """Probability of exactly ``k`` repeat purchases in ``(0, t]`` of a new customer.

        ``k`` (non-negative integers) and ``t`` (``>= 0``) are scalars or broadcastable arrays.

        Raises
        ------
        InvalidInputError
            If ``k`` is negative or not an integer, or ``t`` is negative.
        """
        kk, tt = validate_k(k), validate_t(t)
        self._theta()
        kb, tb = _broadcast(kk, tt)
        out = np.empty(kb.shape)
        with np.errstate(all="ignore"):
            for tv in np.unique(tb).tolist():
                m = tb == tv
                out[m] = self._new_pmf(int(kb[m].max()), float(tv))[kb[m]]
        return out


def _broadcast(*arrays: Any) -> list[Any]:
    try:
        return list(np.broadcast_arrays(*arrays))
    except ValueError as exc:
        shapes = ", ".join(str(np.shape(a)) for a in arrays)
        raise InvalidInputError(f"k, t and the customers do not broadcast ({shapes})") from exc
