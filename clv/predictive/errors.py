"""Exceptions raised by the predictive models."""

from __future__ import annotations

__all__ = ["ConvergenceError", "InvalidInputError", "ModelError", "NotFittedError"]


class ModelError(ValueError):
    """Base class of every error raised by :mod:`clv.predictive`."""


class InvalidInputError(ModelError):
    """The customer data handed to a model is invalid (the message names the customer index)."""


class ConvergenceError(ModelError):
    """The maximum-likelihood optimisation did not converge."""


class NotFittedError(ModelError):
    """A prediction was requested from a model that has not been fitted."""
