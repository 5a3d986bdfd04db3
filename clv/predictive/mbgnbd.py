"""MBG/NBD model of Batislam, Denizel & Filiztekin (2007).

Unlike BG/NBD, a customer may also drop out right after the first purchase (at time 0), so
customers without repeat purchases can be inactive.

References
----------
Batislam, E. P., Denizel, M. & Filiztekin, A. (2007). "Empirical validation and comparison of
models for customer base analysis". International Journal of Research in Marketing 24(3),
201-209.
Wagner, U. & Hoppe, D. (2008). "Erratum on the MBG/NBD model". International Journal of
Research in Marketing 25(3), 225-226.
"""

from __future__ import annotations

import numpy as np

from ._validation import FloatArray
from .bgnbd import BetaGeoModel

__all__ = ["ModifiedBetaGeoModel"]


class ModifiedBetaGeoModel(BetaGeoModel):
    """MBG/NBD purchase-count model (Batislam, Denizel & Filiztekin 2007).

    Same parameters ``{"r", "alpha", "a", "b"}`` as :class:`BetaGeoModel`. With ``x`` repeat
    purchases the customer survived ``x + 1`` dropout draws if alive at ``T``, so

    ``L = B(a, b+x+1)/B(a, b) * G(r, alpha; x, T) + B(a+1, b+x)/B(a, b) * G(r, alpha; x, t_x)``

    with ``G = Gamma(r+x) alpha^r / (Gamma(r) (alpha + t)^(r+x))``; the second (dropped-out)
    term is present for every customer, including ``x = 0``.  Hence
    ``P(alive) = 1 / (1 + a/(b+x) * ((alpha+T)/(alpha+t_x))^(r+x))`` and the posterior of the
    dropout probability given "alive" is ``Beta(a, b+x+1)``: the BG/NBD formulas with ``b``
    shifted by one (``_k = 1``), apart from the unconditional expectation below.
    """

    _k = 1

    def _expected_new(self, t: FloatArray) -> FloatArray:
        # E[(1-p)/p (1 - exp(-lambda p t))] = b/(a+b) * E[... | p ~ Beta(a, b+1)]
        # = b/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b+1; a+b; t/(alpha+t))]
        _, _, a, b = self._theta()
        return np.asarray(b / (a + b) * super()._expected_new(t), dtype=np.float64)

    def _new_pmf(self, kmax: int, t: float) -> FloatArray:
        """P(X(0, t] = k) for a new customer: she drops out at time 0 with probability p.

        ``a/(a+b) [k = 0] + b/(a+b) P_BG(k; r, alpha, a, b+1)`` (the survivors' posterior of
        ``p`` is ``Beta(a, b+1)``; the BG/NBD pmf is eq. (8) of Fader, Hardie & Lee 2005).
        """
        _, _, a, b = self._theta()
        row = b / (a + b) * super()._new_pmf(kmax, t)  # _alive_pmf at x = T = 0: b + 1
        row[0] += a / (a + b)
        return np.asarray(row, dtype=np.float64)
