"""Common skeleton of the purchase-count ("buy till you die") models."""

from __future__ import annotations

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
    standard_errors,
)
from ._fitting import numeric_objective as _numeric_objective
from ._validation import FloatArray, validate_penalizer, validate_rft, validate_t
from .errors import InvalidInputError, ModelError, NotFittedError

__all__ = ["TransactionModel"]


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
            obj, x0, maxiter=self.maxiter, model=type(self).__name__, gtol=gtol, hess_inv0=hess_inv0
        )

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
