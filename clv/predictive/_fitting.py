"""Shared maximum-likelihood machinery: weight collapsing, optimisation and the Hessian.

Every model is fitted by minimising the *mean* negative log-likelihood over customers plus an
optional L2 penalty ``penalizer_coef * sum(params ** 2)`` (the convention of ``lifetimes``),
in log-parameter space with BFGS and (mostly) analytic gradients; Nelder-Mead is only a
fallback when BFGS fails.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import optimize

from ._validation import FloatArray
from .errors import ConvergenceError, ModelError

IntArray = npt.NDArray[np.intp]
#: ``f(log_params) -> (value, gradient)`` of the objective in log-parameter space.
Objective = Callable[[FloatArray], tuple[float, FloatArray]]
#: ``loglik(params) -> (summed log-likelihood, gradient w.r.t. the natural params or None)``.
LogLik = Callable[[FloatArray], tuple[float, FloatArray | None]]

__all__ = [
    "Collapsed",
    "check_identified",
    "collapse",
    "fit_log_params",
    "hessian",
    "log1pexp",
    "standard_errors",
]

_LOG_BOUND = 25.0  # |log-parameter| beyond this counts as divergence
_FAR_OUT = 15.0  # a failed BFGS this far out is heading for the boundary: no fallback search


@dataclass(frozen=True)
class Collapsed:
    """Unique rows of several columns, their multiplicities and the map back to the rows."""

    columns: tuple[FloatArray, ...]
    weights: FloatArray
    inverse: IntArray


def _codes(col: FloatArray) -> tuple[IntArray, int]:
    """Integer codes of ``col`` that preserve equality (no sort when it holds small integers)."""
    lo = float(col.min())
    hi = float(col.max())
    if hi - lo < 2**22 and np.array_equal(col, np.floor(col)):
        return (col - lo).astype(np.intp), int(hi - lo) + 1
    uniq, inv = np.unique(col, return_inverse=True)
    return inv.astype(np.intp).ravel(), int(uniq.size)


def collapse(*columns: FloatArray) -> Collapsed:
    """Collapse identical rows of ``columns`` into unique rows with integer weights.

    This is the device of Fader, Hardie & Lee (2005, section 7): the likelihood of customers
    who share a summary is computed once and weighted by their count.  Integral columns (whole
    days, counts) are combined into one integer key without sorting.
    """
    key = np.zeros(columns[0].shape, dtype=np.intp)
    span = 1
    for col in columns:
        codes, n = _codes(col)
        if span * n >= 2**62:  # the combined key would overflow: compare rows directly
            _, first, inverse, counts = np.unique(
                np.stack(columns, axis=1), axis=0, return_index=True,
                return_inverse=True, return_counts=True,
            )  # fmt: skip
            return Collapsed(
                tuple(c[first] for c in columns), counts.astype(np.float64), inverse.ravel()
            )
        key = key * n + codes
        span *= n
    if span <= max(4 * key.size, 1 << 16):  # dense key range: counting instead of sorting
        counts = np.bincount(key, minlength=span)
        present = np.flatnonzero(counts)
        lookup = np.zeros(span, dtype=np.intp)
        lookup[present] = np.arange(present.size)
        inverse = lookup[key]
        first = np.empty(present.size, dtype=np.intp)
        first[inverse[::-1]] = np.arange(key.size - 1, -1, -1)
        weights = counts[present].astype(np.float64)
    else:
        _, first, inverse, counts = np.unique(
            key, return_index=True, return_inverse=True, return_counts=True
        )
        weights = counts.astype(np.float64)
    return Collapsed(tuple(c[first] for c in columns), weights, inverse.ravel())


def log1pexp(v: FloatArray) -> FloatArray:
    """``log(1 + exp(v))`` without overflow; several times faster than ``np.logaddexp(0, v)``."""
    return np.asarray(np.maximum(v, 0.0) + np.log1p(np.exp(-np.abs(v))), dtype=np.float64)


def numeric_objective(fun: Callable[[FloatArray], float], step: float = 1e-6) -> Objective:
    """Wrap a scalar function of the log-parameters with a central-difference gradient."""

    def wrapped(z: FloatArray) -> tuple[float, FloatArray]:
        f0 = fun(z)
        grad = np.empty_like(z)
        for i in range(z.size):
            e = np.zeros_like(z)
            e[i] = step
            grad[i] = (fun(z + e) - fun(z - e)) / (2 * step)
        return f0, grad

    return wrapped


def fit_log_params(
    objective: Objective,
    x0: FloatArray,
    *,
    maxiter: int,
    model: str,
    gtol: float = 1e-9,
    hess_inv0: FloatArray | None = None,
    box: float | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Minimise ``objective`` over log-parameters; raise :class:`ConvergenceError` on failure.

    Returns the minimiser and BFGS's inverse-Hessian approximation (a warm start for a refit).
    With a ``box``, the search stays within ``|log-parameter| <= box`` (points outside count
    as infinitely bad) and there is no Nelder-Mead fallback: for a likelihood that is costly
    to evaluate far out (Pareto/NBD's hypergeometric series, with a numerical gradient), the
    way to a boundary took minutes; a fit that ends at the box has diverged.
    """

    def safe(z: FloatArray) -> tuple[float, FloatArray]:
        if box is not None and float(np.max(np.abs(z))) > box:
            return np.inf, np.zeros_like(z)
        try:
            with np.errstate(all="ignore"):
                f, g = objective(z)
        except (ZeroDivisionError, OverflowError):  # a step to parameters that under/overflow
            return np.inf, np.zeros_like(z)
        if not np.isfinite(f) or not np.all(np.isfinite(g)):
            return np.inf, np.zeros_like(z)
        return f, g

    # BFGS: scipy's L-BFGS-B costs milliseconds of overhead per iteration, BFGS microseconds
    opts = {"maxiter": maxiter, "gtol": gtol, "hess_inv0": hess_inv0}
    res = optimize.minimize(safe, x0, jac=True, method="BFGS", options=opts)
    f, g = safe(res.x)
    small_grad = bool(np.isfinite(f)) and float(np.max(np.abs(g))) < 1e-6
    ok = (res.success or small_grad) and res.nit < maxiter
    far = _FAR_OUT if box is None else box - 1.0
    if not ok and np.any(np.abs(res.x) >= far):
        # BFGS stopped on its way to the boundary: Nelder-Mead would only crawl after it (and
        # on Pareto/NBD, evaluate slow hypergeometric series for minutes); say where it went
        raise _diverged(model, res.x, f", {res.message}")
    if box is None and not ok and res.nit < maxiter and maxiter > 50:  # fallback, polish
        nm = optimize.minimize(
            lambda z: safe(z)[0], res.x, method="Nelder-Mead",
            options={"maxiter": 200 * x0.size, "xatol": 1e-9, "fatol": 1e-14},
        )  # fmt: skip
        res = optimize.minimize(
            safe, nm.x, jac=True, method="BFGS", options={"maxiter": maxiter, "gtol": gtol}
        )
        f, g = safe(res.x)
        ok = bool(np.isfinite(f)) and float(np.max(np.abs(g))) < 1e-6
    if not ok:
        raise ConvergenceError(
            f"{model}: maximum-likelihood fit did not converge after {res.nit} iterations "
            f"({res.message}); try a larger maxiter or a penalizer_coef > 0"
        )
    if np.any(np.abs(res.x) >= _LOG_BOUND - 1e-6):
        raise _diverged(model, res.x)
    return np.asarray(res.x, dtype=np.float64), np.asarray(res.hess_inv, dtype=np.float64)


def _diverged(model: str, z: FloatArray, why: str = "") -> ConvergenceError:
    """The error of a fit whose log-parameters `z` ran off towards the boundary."""
    return ConvergenceError(
        f"{model}: parameters diverged (log-parameters {np.round(z, 2).tolist()}{why}); "
        "the data may be degenerate, try a penalizer_coef > 0",
        kind="diverged",
        params=tuple(np.exp(z).tolist()),
    )


def hessian(loglik: LogLik, params: FloatArray, rel_step: float = 1e-4) -> FloatArray:
    """Numerical Hessian of the *negative* log-likelihood in the natural parameters.

    Uses central differences of the analytic gradient when ``loglik`` supplies one, otherwise
    the standard central second differences of the function values.
    """
    k = params.size
    h = rel_step * np.abs(params)
    H = np.empty((k, k))
    if loglik(params)[1] is not None:
        for j in range(k):
            e = np.zeros(k)
            e[j] = h[j]
            gp = loglik(params + e)[1]
            gm = loglik(params - e)[1]
            assert gp is not None
            assert gm is not None
            H[:, j] = -(gp - gm) / (2 * h[j])
        return np.asarray(0.5 * (H + H.T), dtype=np.float64)

    def f(v: FloatArray) -> float:
        return -loglik(v)[0]

    f0 = f(params)
    for i in range(k):
        ei = np.zeros(k)
        ei[i] = h[i]
        H[i, i] = (f(params + ei) - 2 * f0 + f(params - ei)) / h[i] ** 2
        for j in range(i):
            ej = np.zeros(k)
            ej[j] = h[j]
            H[i, j] = H[j, i] = (
                f(params + ei + ej) - f(params + ei - ej) - f(params - ei + ej)
                + f(params - ei - ej)
            ) / (4 * h[i] * h[j])  # fmt: skip
    return H


def standard_errors(hess: FloatArray, names: tuple[str, ...]) -> dict[str, float]:
    """Standard errors from the observed information matrix (NaN if it is not invertible)."""
    try:
        cov = np.linalg.inv(hess)
        se = np.sqrt(np.where(np.diag(cov) > 0, np.diag(cov), np.nan))
    except np.linalg.LinAlgError:
        se = np.full(len(names), np.nan)
    return {name: float(v) for name, v in zip(names, se, strict=True)}


def check_identified(params: FloatArray, ses: dict[str, float], model: str) -> None:
    """Raise :class:`ConvergenceError` when the optimum found is not a proper maximum.

    That is the case when the observed information is not positive definite (NaN standard
    errors) or a relative standard error exceeds 10: the likelihood then keeps rising towards
    the boundary of the parameter space (degenerate data, e.g. nobody ever buys again).
    """
    rel = np.array(list(ses.values())) / params
    if not np.all(np.isfinite(rel)) or np.any(rel > 10.0):
        detail = ", ".join(f"{k}={v:.4g}" for k, v in zip(ses, params.tolist(), strict=True))
        raise ConvergenceError(
            f"{model}: the likelihood has no proper maximum ({detail}; the observed information "
            "is singular): the data do not identify the parameters, try a penalizer_coef > 0",
            kind="no_maximum",
            params=tuple(params.tolist()),
        )


def log_covariance(hess: FloatArray, params: FloatArray) -> FloatArray:
    """Covariance of the log-parameters: the inverse of the observed information in log space,
    ``diag(theta) H diag(theta)`` (NaN where it is not positive definite)."""
    info = hess * np.outer(params, params)
    try:
        np.linalg.cholesky(info)
        return np.asarray(np.linalg.inv(info), dtype=np.float64)
    except np.linalg.LinAlgError:
        return np.full(info.shape, np.nan)


def lognormal_draws(
    params: FloatArray, cov_log: FloatArray, n: int, rng: np.random.Generator, model: str
) -> FloatArray:
    """``n`` parameter draws ``exp(z)``, ``z ~ N(log params, cov_log)``: the parameters'
    asymptotic sampling distribution, in log space (where it is closer to normal)."""
    if not np.all(np.isfinite(cov_log)):
        raise ModelError(f"{model}: no parameter covariance (the observed information is singular)")
    z = rng.multivariate_normal(np.log(params), cov_log, size=n, method="cholesky")
    return np.asarray(np.exp(z), dtype=np.float64)
