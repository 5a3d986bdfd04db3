"""Exceptions raised by the predictive models."""

from __future__ import annotations

__all__ = ["ConvergenceError", "InvalidInputError", "ModelError", "NotFittedError"]


class ModelError(ValueError):
    """Base class of every error raised by :mod:`clv.predictive`."""


class InvalidInputError(ModelError):
    """The customer data handed to a model is invalid (the message names the customer index)."""


class ConvergenceError(ModelError):
    """The maximum-likelihood optimisation did not converge, or found no proper maximum.

    ``kind`` says which: ``"not_converged"`` (the optimiser gave up), ``"diverged"`` (a
    log-parameter ran off towards the boundary of the parameter space) or ``"no_maximum"``
    (the optimum has a singular observed information). ``params`` holds the natural
    parameters where the optimiser stopped (empty when unknown), so that a caller can tell
    which limit the likelihood is heading for (e.g. a BG/NBD with ``a -> 0``: no dropout).
    """

    def __init__(
        self, message: str, *, kind: str = "not_converged", params: tuple[float, ...] = ()
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.params = params


class NotFittedError(ModelError):
    """A prediction was requested from a model that has not been fitted."""
