"""The ranges hold what they claim: on customers simulated from known parameters, the share
whose actual holdout purchases (and spend) fall inside their 80 % range is within 3 points of
80 % over 50,000 customers, with the parameters fitted on the simulated calibration data
(so the parameter draws are part of what is checked)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from clv.predictive import BetaGeoModel, GammaGammaModel, ModifiedBetaGeoModel, ParetoNBDModel
from clv.scoring import holdout
from clv.scoring.intervals import (
    PMF_DRAWS,
    SEED,
    clv_ranges,
    equity_range,
    model_draws,
    purchase_ranges,
    spend_moments,
)
from tests.predictive._helpers import simulate_bg, simulate_pareto

N = 50_000
LEVEL = 0.8
HORIZON = 180.0  # days
# A shop of active buyers (about one order every 20 days, a long life): few customers are
# nearly sure to buy nothing, so a range of whole purchases can hold close to 80 %
ACTIVE = {"bgnbd": {"r": 3.0, "alpha": 60.0, "a": 1.0, "b": 80.0},
          "pnbd": {"r": 3.0, "alpha": 60.0, "s": 2.0, "beta": 4000.0}}  # fmt: skip
# CDNOW-like parameters in days (Fader, Hardie & Lee 2005 report weeks: alpha 4.41 -> x 7):
# most customers most likely buy nothing, and [0, 0] holds more than 80 % for them
CDNOW_LIKE = {"bgnbd": {"r": 0.243, "alpha": 30.9, "a": 0.793, "b": 2.426},
              "pnbd": {"r": 0.553, "alpha": 74.1, "s": 0.606, "beta": 81.7}}  # fmt: skip
GG = {"p": 6.25, "q": 3.74, "v": 15.44}


def _customers(
    kind: str, rng: np.random.Generator, shop: dict[str, dict[str, float]]
) -> dict[str, np.ndarray]:
    T = rng.integers(60, 400, size=N).astype(float)  # whole days, as a store has them
    if kind == "pnbd":
        c = simulate_pareto(rng, T, **shop["pnbd"], horizon=HORIZON)
    else:
        c = simulate_bg(rng, T, **shop["bgnbd"], modified=kind == "mbgnbd", horizon=HORIZON)
    return c | {"t_x": np.floor(c["t_x"])}


MODELS = {"bgnbd": BetaGeoModel, "mbgnbd": ModifiedBetaGeoModel, "pnbd": ParetoNBDModel}


def _coverage(kind: str, shop: dict[str, dict[str, float]]) -> tuple[float, float, Any]:
    """(share inside, the ranges' mean probability, the ranges) on 50,000 simulated customers,
    the model fitted on their calibration period."""
    c = _customers(kind, np.random.default_rng(7), shop)
    model = MODELS[kind]().fit(c["x"], c["t_x"], c["T"])
    models = model_draws(model, np.random.default_rng(SEED))[:PMF_DRAWS]
    ranges = purchase_ranges(models, c["x"], c["t_x"], c["T"], horizon=HORIZON, level=LEVEL)
    inside = (ranges.low <= c["future"]) & (c["future"] <= ranges.high)
    return float(inside.mean()), float(ranges.mass.mean()), (ranges, model, c)


@pytest.mark.parametrize("kind", list(MODELS))
def test_purchase_ranges_cover_the_holdout_at_their_level(kind: str) -> None:
    inside, stated, (ranges, model, c) = _coverage(kind, ACTIVE)
    assert abs(inside - LEVEL) <= 0.03, inside
    assert abs(inside - stated) <= 0.01
    # the mixture's mean is the model's expectation (an independent formula in the model)
    expected = model.expected_purchases(HORIZON, c["x"], c["t_x"], c["T"])
    assert ranges.mean.sum() == pytest.approx(expected.sum(), rel=0.02)


@pytest.mark.parametrize("kind", ["bgnbd", "pnbd"])
def test_where_most_buy_nothing_the_ranges_hold_what_their_probabilities_say(kind: str) -> None:
    inside, stated, _ = _coverage(kind, CDNOW_LIKE)
    assert inside > LEVEL + 0.03  # [0, 0] holds more than 80 % for most of these customers
    assert abs(inside - stated) <= 0.01


def _spend(rng: np.random.Generator, x: np.ndarray, future: np.ndarray) -> tuple[np.ndarray, ...]:
    """Gamma-Gamma spend: nu ~ Gamma(q, v); each purchase ~ Gamma(p, nu)."""
    nu = rng.gamma(GG["q"], 1.0 / GG["v"], size=x.size)
    past = np.where(x > 0, rng.gamma(GG["p"] * np.maximum(x, 1), 1.0 / nu) / np.maximum(x, 1), 0.0)
    spent = np.where(future > 0, rng.gamma(GG["p"] * np.maximum(future, 1), 1.0 / nu), 0.0)
    return past, spent


def test_clv_ranges_cover_the_holdout_spend() -> None:
    rng = np.random.default_rng(11)
    c = _customers("mbgnbd", rng, ACTIVE)
    monetary, spent = _spend(rng, c["x"], c["future"])
    model = ModifiedBetaGeoModel().fit(c["x"], c["t_x"], c["T"])
    spend_model = GammaGammaModel().fit(c["x"], monetary)
    draw_rng = np.random.default_rng(SEED)
    models = model_draws(model, draw_rng)[:PMF_DRAWS]
    spends = spend_moments(spend_model, c["x"], monetary, np.zeros(N), draw_rng, len(models))
    purchases = purchase_ranges(models, c["x"], c["t_x"], c["T"], horizon=HORIZON, level=LEVEL)
    low, high, _ = clv_ranges(purchases, spends, np.ones(N), LEVEL)  # no discount, margin 1
    inside = (low <= spent) & (spent <= high)
    assert abs(inside.mean() - LEVEL) <= 0.03, inside.mean()


def test_a_degenerate_parameter_draw_is_left_out_of_equity_s_range() -> None:
    """A draw far in the tail can make expected purchases overflow: the range is then of the
    other draws, not NaN (seen on the demo shop: `overflow encountered in matmul`)."""
    draws = np.array([100.0, 104.0, 96.0, np.nan, 101.0])
    found = equity_range(100.0, draws, np.array([4.0, 5.0]), 0.8)
    clean = equity_range(100.0, draws[np.isfinite(draws)], np.array([4.0, 5.0]), 0.8)
    assert np.isfinite([found.low, found.high]).all()
    assert (found.low, found.high) == (clean.low, clean.high)


def test_the_holdout_coverage_is_counted_on_a_fixed_sample_close_to_all_customers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inside_all, stated_all, (_, model, c) = _coverage("bgnbd", ACTIVE)
    args = (model, c["x"], c["t_x"], c["T"], c["future"].astype(float), HORIZON, LEVEL)
    assert holdout.interval_coverage(*args) == pytest.approx((inside_all, stated_all))  # N <= it
    monkeypatch.setattr(holdout, "COVERAGE_SAMPLE", 5_000)
    inside, stated = holdout.interval_coverage(*args) or (0.0, 0.0)
    kept = holdout.fixed_sample(np.arange(N), 5_000)
    assert kept.size == np.unique(kept).size == 5_000
    # spread over all the customers, not the first or the last of them
    assert np.histogram(kept, bins=10, range=(0, N))[0].min() > 400
    assert holdout.interval_coverage(*args) == (inside, stated)  # the same customers each time
    se = (inside_all * (1 - inside_all) / 5_000) ** 0.5
    assert abs(inside - inside_all) <= 3 * se
    assert abs(stated - stated_all) <= 0.01
