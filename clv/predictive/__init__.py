"""Predictive customer-lifetime-value models (pure numpy/scipy).

BG/NBD, MBG/NBD, Pareto/NBD and NBD (no dropout) purchase-count models, with the
distribution of each customer's number of future purchases, the Gamma-Gamma spend model and
the discounted customer lifetime value built from them.

Conventions (as in ``lifetimes``): ``frequency`` is the number of repeat purchase periods,
``recency`` the time from the first to the last purchase (0 when ``frequency == 0``; anything
else is rejected), ``T`` the time from the first purchase to the end of observation, all in
one time unit; ``monetary`` is the mean value of the repeat purchases.  Fitting collapses
identical customers into weights, so data in whole days fit fastest.
"""

from ._base import TransactionModel
from .bgnbd import BetaGeoModel
from .errors import ConvergenceError, InvalidInputError, ModelError, NotFittedError
from .gammagamma import GammaGammaModel
from .lifetime_value import customer_lifetime_value
from .mbgnbd import ModifiedBetaGeoModel
from .nbd import NBDModel
from .paretonbd import ParetoNBDModel

__all__ = [
    "BetaGeoModel",
    "ConvergenceError",
    "GammaGammaModel",
    "InvalidInputError",
    "ModelError",
    "ModifiedBetaGeoModel",
    "NBDModel",
    "NotFittedError",
    "ParetoNBDModel",
    "TransactionModel",
    "customer_lifetime_value",
]
