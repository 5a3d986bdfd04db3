"""Parameter recovery on data simulated from each model's own generative process."""

from __future__ import annotations

import numpy as np
import pytest

from clv.predictive import BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel

from ._helpers import simulate_bg, simulate_pareto

BG_TRUE = {"r": 0.5, "alpha": 40.0, "a": 0.9, "b": 2.0}  # alpha in days
PARETO_TRUE = {"r": 0.5, "alpha": 60.0, "s": 0.9, "beta": 60.0}


def _windows(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.integers(30, 366, size=n).astype(float)  # observation windows of 30..365 days


def _check(
    params: dict[str, float], ses: dict[str, float], true: dict[str, float], rtol: float
) -> None:
    for k, v in true.items():
        assert abs(params[k] - v) / v < rtol, (k, params[k], v)
        assert abs(params[k] - v) < 4.5 * ses[k], (k, params[k], v, ses[k])  # SEs are honest


@pytest.mark.parametrize(("cls", "modified"), [(BetaGeoModel, False), (ModifiedBetaGeoModel, True)])
def test_bg_family_recovers_parameters_50k(cls: type[BetaGeoModel], modified: bool) -> None:
    rng = np.random.default_rng(11)
    d = simulate_bg(rng, _windows(rng, 50_000), **BG_TRUE, modified=modified)
    m = cls().fit(d["x"], d["t_x"], d["T"])
    _check(m.params, m.standard_errors, BG_TRUE, rtol=0.12)


def test_pareto_recovers_parameters_30k() -> None:
    rng = np.random.default_rng(12)
    d = simulate_pareto(rng, _windows(rng, 30_000), **PARETO_TRUE)
    m = ParetoNBDModel().fit(d["x"], d["t_x"], d["T"])
    _check(m.params, m.standard_errors, PARETO_TRUE, rtol=0.25)


@pytest.mark.slow
def test_mbgnbd_recovers_parameters_1m() -> None:
    rng = np.random.default_rng(21)
    d = simulate_bg(rng, _windows(rng, 1_000_000), **BG_TRUE, modified=True)
    m = ModifiedBetaGeoModel().fit(d["x"], d["t_x"], d["T"])
    _check(m.params, m.standard_errors, BG_TRUE, rtol=0.06)


@pytest.mark.slow
def test_pareto_recovers_parameters_1m() -> None:
    rng = np.random.default_rng(22)
    d = simulate_pareto(rng, _windows(rng, 1_000_000), **PARETO_TRUE)
    m = ParetoNBDModel().fit(d["x"], d["t_x"], d["T"])
    _check(m.params, m.standard_errors, PARETO_TRUE, rtol=0.06)


@pytest.mark.parametrize(
    ("model", "simulate", "true", "seed"),
    [
        (ModifiedBetaGeoModel, "bg", BG_TRUE, 31),
        (ParetoNBDModel, "pareto", PARETO_TRUE, 32),
    ],
)
def test_recovers_parameters_200k_within_a_few_percent(
    model: type[ModifiedBetaGeoModel] | type[ParetoNBDModel],
    simulate: str,
    true: dict[str, float],
    seed: int,
) -> None:
    rng = np.random.default_rng(seed)
    windows = _windows(rng, 200_000)
    if simulate == "bg":
        d = simulate_bg(rng, windows, **true, modified=True)
    else:
        d = simulate_pareto(rng, windows, **true)
    m = model().fit(d["x"], d["t_x"], d["T"])
    _check(m.params, m.standard_errors, true, rtol=0.08)
