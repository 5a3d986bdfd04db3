"""Predictive customer-lifetime-value models (pure numpy/scipy).

BG/NBD, MBG/NBD and Pareto/NBD purchase-count models, the Gamma-Gamma spend model and the
discounted customer lifetime value built from them.
"""

from ._base import TransactionModel
from .bgnbd import BetaGeoModel
from .errors import ConvergenceError, InvalidInputError, ModelError, NotFittedError
from .gammagamma import GammaGammaModel
from .lifetime_value import customer_lifetime_value
from .mbgnbd import ModifiedBetaGeoModel
from .paretonbd import ParetoNBDModel

__all__ = [
    "BetaGeoModel",
    "ConvergenceError",
    "GammaGammaModel",
    "InvalidInputError",
    "ModelError",
    "ModifiedBetaGeoModel",
    "NotFittedError",
    "ParetoNBDModel",
    "TransactionModel",
    "customer_lifetime_value",
]
