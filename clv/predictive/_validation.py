"""Input validation shared by the predictive models.

Conventions (as in ``lifetimes`` and Fader, Hardie & Lee 2005): ``frequency`` is the number
of *repeat* purchase periods (a non-negative integer), ``recency`` the time from the first to
the last purchase and ``T`` the time from the first purchase to the end of observation, both in
the same unit. A customer without repeat purchases (``frequency == 0``) must have
``recency == 0``; anything else is rejected rather than silently reinterpreted.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from .errors import InvalidInputError

FloatArray = npt.NDArray[np.float64]

__all__ = ["FloatArray", "as_float_array", "validate_monetary", "validate_rft", "validate_t"]


def _first_bad(mask: npt.NDArray[np.bool_]) -> int:
    return int(np.flatnonzero(mask)[0])


def as_float_array(values: Any, name: str) -> FloatArray:
    """Convert ``values`` to a 1-d float array, rejecting empty, NaN and infinite input."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"{name} must be numeric: {exc}") from exc
    arr = np.atleast_1d(arr)
    if arr.ndim != 1:
        raise InvalidInputError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        raise InvalidInputError(f"{name} is empty: at least one customer is needed")
    bad = ~np.isfinite(arr)
    if bad.any():
        i = _first_bad(bad)
        raise InvalidInputError(f"{name} must be finite for customer {i} ({name}={arr[i]})")
    return arr


def _check_lengths(**arrays: FloatArray) -> None:
    sizes = {name: arr.size for name, arr in arrays.items()}
    if len(set(sizes.values())) > 1:
        detail = ", ".join(f"{name}={n}" for name, n in sizes.items())
        raise InvalidInputError(f"inputs have mismatched lengths ({detail})")


def _check_frequency(x: FloatArray) -> None:
    bad = x < 0
    if bad.any():
        i = _first_bad(bad)
        raise InvalidInputError(f"frequency must be >= 0 for customer {i} (frequency={x[i]})")
    bad = x != np.round(x)
    if bad.any():
        i = _first_bad(bad)
        raise InvalidInputError(f"frequency must be an integer for customer {i} (frequency={x[i]})")


def validate_rft(frequency: Any, recency: Any, T: Any) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Validate a (frequency, recency, T) summary and return it as float arrays.

    Raises
    ------
    InvalidInputError
        On empty or mismatched input, NaN/inf, negative values, non-integer frequency,
        ``recency > T`` or ``recency != 0`` when ``frequency == 0``; the message names the first
        offending customer index.
    """
    x = as_float_array(frequency, "frequency")
    t_x = as_float_array(recency, "recency")
    t_obs = as_float_array(T, "T")
    _check_lengths(frequency=x, recency=t_x, T=t_obs)
    _check_frequency(x)
    for name, arr in (("recency", t_x), ("T", t_obs)):
        bad = arr < 0
        if bad.any():
            i = _first_bad(bad)
            raise InvalidInputError(f"{name} must be >= 0 for customer {i} ({name}={arr[i]})")
    bad = t_x > t_obs
    if bad.any():
        i = _first_bad(bad)
        raise InvalidInputError(
            f"recency must be <= T for customer {i} (recency={t_x[i]}, T={t_obs[i]})"
        )
    bad = (x == 0) & (t_x != 0)
    if bad.any():
        i = _first_bad(bad)
        raise InvalidInputError(
            f"recency must be 0 when frequency is 0 for customer {i} (recency={t_x[i]})"
        )
    return x, t_x, t_obs


def validate_monetary(frequency: Any, monetary: Any) -> tuple[FloatArray, FloatArray]:
    """Validate frequency and mean repeat value (``monetary > 0`` where ``frequency > 0``)."""
    x = as_float_array(frequency, "frequency")
    m = as_float_array(monetary, "monetary")
    _check_lengths(frequency=x, monetary=m)
    _check_frequency(x)
    bad = m < 0
    if bad.any():
        i = _first_bad(bad)
        raise InvalidInputError(f"monetary must be >= 0 for customer {i} (monetary={m[i]})")
    bad = (x > 0) & (m <= 0)
    if bad.any():
        i = _first_bad(bad)
        raise InvalidInputError(
            f"monetary must be > 0 when frequency > 0 for customer {i} "
            f"(frequency={x[i]}, monetary={m[i]})"
        )
    return x, m


def validate_t(t: Any) -> FloatArray:
    """Validate a prediction horizon (scalar or array, >= 0, finite)."""
    arr = np.asarray(t, dtype=np.float64)
    flat = np.atleast_1d(arr).ravel()
    bad = ~np.isfinite(flat) | (flat < 0)
    if bad.any():
        i = _first_bad(bad)
        raise InvalidInputError(f"t must be finite and >= 0 (t[{i}]={flat[i]})")
    return arr


def validate_penalizer(penalizer_coef: float) -> float:
    """The L2 penalty coefficient, which must be finite and >= 0."""
    if not np.isfinite(penalizer_coef) or penalizer_coef < 0:
        raise InvalidInputError(f"penalizer_coef must be >= 0, got {penalizer_coef}")
    return float(penalizer_coef)
