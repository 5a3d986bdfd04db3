# ruff: noqa: E501
"""Agreement with lifetimes 0.11.3, an independent implementation, on CDNOW.

The reference numbers were produced by ``bench/lifetimes_reference.py`` in the benchmark-only
venv (lifetimes fitted on the CDNOW summary in weeks; Pareto/NBD with tol=1e-10) and pasted
here; lifetimes is not a dependency of clvbot.
"""

from __future__ import annotations

import numpy as np
import pytest

from clv.predictive import (
    BetaGeoModel,
    GammaGammaModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
    TransactionModel,
    customer_lifetime_value,
)

from ._helpers import cdnow_summary

# fmt: off
IDX = [0, 1, 2, 10, 100, 1000, 2000, 156]
GG_PARAMS = {"p": 6.248802496074264, "q": 3.744588460923312, "v": 15.447748064932831}
CLV_WEEKS_12M = [36.278495763626665, 4.63746632856977, 8.344093121809948, 66.65939704652166, 74.97050421988666, 9.3534557687846, 10.528478329671675, 625.3500337089756]
BG = {
    "params": {"r": 0.2425929282798216, "alpha": 4.413532265271803, "a": 0.7928859664405851, "b": 2.42575238262545},
    "p_alive": [0.7266091367990611, 0.212227388072203, 1.0, 0.4914267045808298, 0.8629500407103883, 1.0, 1.0, 0.9691335940044082],
    "cond_39": [1.2259104241744259, 0.20325062425618526, 0.1947808579394759, 1.8709916139770335, 3.3311777395954127, 0.21893982195066786, 0.2471906865331863, 20.053665319495945],
    "uncond": [0.05318473689562826, 0.43176098952266884, 1.195016228446211, 1.8579717035277747],
}
MBG = {
    "params": {"r": 0.5248377255677019, "alpha": 6.182988479134203, "a": 0.8913562809310627, "b": 1.614000025671838},
    "p_alive": [0.706126258715401, 0.17081963009209045, 0.3897164420501302, 0.4676816907015486, 0.8518393725067102, 0.4054191811359139, 0.42201751937492943, 0.9658432102927061],
    "cond_39": [1.2626707787139548, 0.18878924037049805, 0.15395364436667092, 1.7669938963487033, 3.26052846631017, 0.17867035348294627, 0.20816264797751022, 18.950057413093806],
    "uncond": [0.05306062944706552, 0.4332528744759768, 1.1822837952882734, 1.8036361932918807],
}
PARETO = {
    "params": {"r": 0.5532755066934977, "alpha": 10.577612156179809, "s": 0.6062135200477033, "beta": 11.667909500846369},
    "p_alive": [0.8691187232358082, 0.16787197730050007, 0.29509715748637755, 0.5867509938948877, 0.9724432773794277, 0.32944995198686144, 0.3681029062119265, 0.9961245915521287],
    "cond_39": [1.4551129783067518, 0.170980518222022, 0.10705979315616442, 2.136598814843701, 3.585658097435746, 0.1315709504328675, 0.16210101727955628, 19.594757222013236],
    "uncond": [0.05100654538934245, 0.4277940538182146, 1.2134080613078464, 1.9098807736294023],
}
# fmt: on


@pytest.mark.parametrize(
    ("cls", "ref"), [(BetaGeoModel, BG), (ModifiedBetaGeoModel, MBG), (ParetoNBDModel, PARETO)]
)
def test_fit_and_predictions_match_lifetimes(cls: type[TransactionModel], ref: dict) -> None:  # type: ignore[type-arg]
    d = cdnow_summary()
    m = cls().fit(d["x"], d["t_x"], d["T"])
    for k, v in ref["params"].items():
        assert m.params[k] == pytest.approx(v, rel=1e-4), k
    # predictions at lifetimes' own parameters, so that only the formulas are compared
    m.set_params(**ref["params"])
    x, t_x, T = (d[k][IDX] for k in ("x", "t_x", "T"))
    assert np.allclose(m.probability_alive(x, t_x, T), ref["p_alive"], rtol=1e-7)
    assert np.allclose(m.expected_purchases(39.0, x, t_x, T), ref["cond_39"], rtol=1e-6)
    t = np.array([1.0, 10.0, 39.0, 78.0])
    assert np.allclose(m.expected_purchases_new_customer(t), ref["uncond"], rtol=1e-7)


def test_clv_matches_lifetimes_weekly_data() -> None:
    d = cdnow_summary()
    bg = BetaGeoModel().set_params(**BG["params"])
    gg = GammaGammaModel().set_params(**GG_PARAMS)
    x, t_x, T, zbar = (d[k][IDX] for k in ("x", "t_x", "T", "zbar"))
    # lifetimes: freq="W" means 4.345 weeks per month, monthly discounting at 1 %
    clv = customer_lifetime_value(bg, gg, x, t_x, T, zbar, months=12,
                                  monthly_discount_rate=0.01, units_per_month=4.345)  # fmt: skip
    assert np.allclose(clv, CLV_WEEKS_12M, rtol=1e-7)
