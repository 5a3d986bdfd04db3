"""Fitting a purchase model so that a shop always gets an answer it can trust.

A fit that does not converge is not always a failure. Two boundary maxima have a meaning:
a BG/NBD or MBG/NBD whose dropout probability runs to 0 (``a -> 0`` or ``b -> inf``), or a
Pareto/NBD whose dropout rate does (``s/beta -> 0``), is the NBD model — nobody has been
seen to stop buying; purchase rates without heterogeneity (``r, alpha -> inf`` at a finite
``r/alpha``) are the Poisson limit, which a small penalty keeps finite at nearly the same
rate. Otherwise the fit is retried with a small penalizer (the advice of lifetimes' docs for
fits that do not converge), then with a simpler model (MBG/NBD -> BG/NBD -> NBD; Pareto/NBD
-> NBD). Every step is recorded in words; the run shows them among its warnings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clv.predictive import (
    BetaGeoModel,
    ConvergenceError,
    ModelError,
    ModifiedBetaGeoModel,
    NBDModel,
    ParetoNBDModel,
    TransactionModel,
)
from clv.segments.predictions import MODEL_TITLES
from clv.segments.scores import FloatArray

TRANSACTION_MODELS: dict[str, type[TransactionModel]] = {
    "bgnbd": BetaGeoModel,
    "mbgnbd": ModifiedBetaGeoModel,
    "pnbd": ParetoNBDModel,
    "nbd": NBDModel,
}
CANDIDATES = ("bgnbd", "mbgnbd", "pnbd")  # what CLV_MODEL=auto compares
SIMPLER = {"mbgnbd": ("bgnbd", "nbd"), "bgnbd": ("nbd",), "pnbd": ("nbd",), "nbd": ()}
RETRY_PENALIZER = 0.001
_NO_DROPOUT = 1e-6  # mean dropout probability (BG) or rate x max(T) (Pareto) below this
_NO_HETEROGENEITY = 1e4  # r above this: every customer buys at the same rate


@dataclass(frozen=True)
class FitOutcome:
    """What fitting `requested` gave: the model used (maybe a limit or a simpler one, or
    none) and every step taken, in words."""

    requested: str
    used: str | None  # key of the model in `model`; None: no purchase model could be fitted
    model: TransactionModel | None
    steps: tuple[str, ...] = ()
    penalizer: float = 0.0

    @property
    def title(self) -> str:
        return MODEL_TITLES[self.used] if self.used else "no purchase model"


def _fit(
    key: str, x: FloatArray, t_x: FloatArray, T: FloatArray, penalizer: float = 0.0
) -> TransactionModel:
    return TRANSACTION_MODELS[key](penalizer_coef=penalizer).fit(x, t_x, T)


def boundary(key: str, exc: ConvergenceError) -> str | None:
    """The limit a failed fit was heading for: "no dropout", "no heterogeneity" or None."""
    if len(exc.params) != 4 or key == "nbd":
        return None
    r, _, c, d = exc.params
    with np.errstate(all="ignore"):
        dropout = c / (c + d) if key != "pnbd" else c / d  # E[p]; E[mu] in units of max(T)
    if dropout < _NO_DROPOUT:
        return "no dropout"
    if r > _NO_HETEROGENEITY:
        return "no heterogeneity"
    return None


def fit_purchase_model(key: str, x: FloatArray, t_x: FloatArray, T: FloatArray) -> FitOutcome:
    """`key` fitted on the buyers' (frequency, recency, T), with the fallbacks above."""
    if not (x > 0).any():  # the likelihood has no maximum without a repeat purchase
        return FitOutcome(key, None, None, ("no customer has made a repeat purchase yet",))
    try:
        return FitOutcome(key, key, _fit(key, x, t_x, T))
    except ConvergenceError as exc:
        first = exc
    except ModelError as exc:
        return FitOutcome(key, None, None, (f"{MODEL_TITLES[key]} not fitted ({exc})",))
    title, limit = MODEL_TITLES[key], boundary(key, first)
    steps: list[str] = []
    if limit == "no dropout":
        steps.append(
            f"{title} ran to its no-dropout boundary: no customer has been seen to stop buying "
            "within the data, so its limit, the NBD model (no dropout), is used"
        )
        if (nbd := _attempt("nbd", x, t_x, T, steps)) is not None:
            return FitOutcome(key, "nbd", nbd, tuple(steps))
    elif limit == "no heterogeneity":
        steps.append(
            f"{title} ran to its Poisson limit (r = {first.params[0]:.3g} and rising): every "
            f"customer buys at about the same rate; a penalty of {RETRY_PENALIZER} keeps r "
            "and alpha finite at nearly that rate"
        )
    else:
        steps.append(
            f"{title} did not fit ({first}); refitted with a penalizer of {RETRY_PENALIZER}"
        )
    penalized = _attempt(key, x, t_x, T, steps, RETRY_PENALIZER)
    if penalized is not None:
        return FitOutcome(key, key, penalized, tuple(steps), RETRY_PENALIZER)
    for simpler in SIMPLER[key]:
        steps.append(f"falling back to the simpler {MODEL_TITLES[simpler]}")
        if (model := _attempt(simpler, x, t_x, T, steps)) is not None:
            return FitOutcome(key, simpler, model, tuple(steps))
    steps.append("no purchase model could be fitted: no predictive CLV")
    return FitOutcome(key, None, None, tuple(steps))


def _attempt(
    key: str,
    x: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
    steps: list[str],
    penalizer: float = 0.0,
) -> TransactionModel | None:
    try:
        return _fit(key, x, t_x, T, penalizer)
    except ModelError as exc:
        steps.append(f"{MODEL_TITLES[key]} did not fit either ({exc})")
        return None
