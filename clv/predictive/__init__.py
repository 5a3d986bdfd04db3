"""Predictive customer-lifetime-value models (pure numpy/scipy).

BG/NBD, MBG/NBD and Pareto/NBD purchase-count models, the Gamma-Gamma spend model and the
discounted customer lifetime value built from them.
"""

from .bgnbd import BetaGeoModel
from .errors import ConvergenceError, InvalidInputError, ModelError, NotFittedError
from .mbgnbd import ModifiedBetaGeoModel

__all__ = [
    "BetaGeoModel",
    "ConvergenceError",
    "InvalidInputError",
    "ModelError",
    "ModifiedBetaGeoModel",
    "NotFittedError",
]
