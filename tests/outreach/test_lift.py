"""The lift of outreach over the held-out control group: Newcombe's interval against the
published examples and an independent root-finding of the Wilson score test, Welch's against
scipy, and the coverage of both on simulated shops where the true effect is known."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.special import ndtri
from scipy.stats import ttest_ind

from clv.outreach.lift import (
    MIN_GROUP,
    ArmOutcome,
    Interval,
    LiftEstimate,
    estimate_lift,
    newcombe_interval,
    wilson_interval,
)

FloatArray = np.ndarray

# Newcombe (1998), Table II, method 10 (hybrid score), 95 % intervals for p1 - p2.
# (a) and (b) are also what propint's tests (m-Py/propint) check as "reported in Newcombe1998";
# (d)-(f) are the values as remembered and agree to 4 decimals with both computations below.
# Example (c), 6/7 - 2/7, is left out: the value remembered for it, (0.0381, 0.8478), is not
# what method 10 gives (0.0582, 0.8062 by the formula and by root-finding), so it is not a
# number to test against; (c) is checked against the independent computation only.
NEWCOMBE_1998_TABLE_II = [
    ((56, 70, 48, 80), (0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.1705, 0.8090)),
    ((5, 56, 0, 29), (-0.0381, 0.1926)),
    ((0, 10, 0, 20), (-0.1611, 0.2775)),
    ((10, 10, 0, 20), (0.6791, 1.0000)),
]
EXAMPLES = [counts for counts, _ in NEWCOMBE_1998_TABLE_II] + [(6, 7, 2, 7)]


def _wilson_by_root_finding(x: int, n: int, level: float) -> tuple[float, float]:
    """Wilson's interval as the set of p the score test does not reject,
    (x - n p)² <= z² n p (1 - p): its two roots by Brent's method, not the closed form."""
    z = float(ndtri((1 + level) / 2))

    def score(p: float) -> float:
        return (x - n * p) ** 2 - z * z * n * p * (1 - p)

    # the score is < 0 strictly inside the interval: bracket each root from there (at x = 0
    # or n, p_hat itself is a root of the quadratic and the bound is 0 or 1)
    inside = min(max(x / n, 1e-12), 1 - 1e-12)
    low = 0.0 if x == 0 else brentq(score, 0.0, inside, xtol=1e-15)
    high = 1.0 if x == n else brentq(score, inside, 1.0, xtol=1e-15)
    return low, high


def _newcombe_independent(x1: int, n1: int, x2: int, n2: int, level: float) -> Interval:
    l1, u1 = _wilson_by_root_finding(x1, n1, level)
    l2, u2 = _wilson_by_root_finding(x2, n2, level)
    p1, p2 = x1 / n1, x2 / n2
    return Interval(
        p1 - p2 - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
        p1 - p2 + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2),
    )


@pytest.mark.parametrize(("counts", "published"), NEWCOMBE_1998_TABLE_II)
def test_newcombe_matches_newcombe_1998_table_ii(
    counts: tuple[int, int, int, int], published: tuple[float, float]
) -> None:
    interval = newcombe_interval(*counts, level=0.95)
    assert interval.low == pytest.approx(published[0], abs=5e-5)
    assert interval.high == pytest.approx(published[1], abs=5e-5)


@pytest.mark.parametrize("counts", EXAMPLES)
@pytest.mark.parametrize("level", [0.80, 0.90, 0.95, 0.99])
def test_newcombe_matches_root_finding_of_the_score_test(
    counts: tuple[int, int, int, int], level: float
) -> None:
    interval = newcombe_interval(*counts, level=level)
    independent = _newcombe_independent(*counts, level)
    assert interval.low == pytest.approx(independent.low, abs=1e-9)
    assert interval.high == pytest.approx(independent.high, abs=1e-9)


@pytest.mark.parametrize(("x", "n"), [(0, 1), (0, 25), (1, 25), (12, 25), (24, 25), (25, 25)])
def test_wilson_matches_root_finding_and_reaches_0_and_1(x: int, n: int) -> None:
    interval = wilson_interval(x, n, level=0.90)
    low, high = _wilson_by_root_finding(x, n, 0.90)
    assert (interval.low, interval.high) == pytest.approx((low, high), abs=1e-9)
    assert (interval.low == 0.0) == (x == 0)
    assert (interval.high == 1.0) == (x == n)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_welch_matches_scipy_ttest_ind(seed: int) -> None:
    rng = np.random.default_rng(seed)
    sizes = rng.integers(5, 400, size=2)
    # zero-inflated gamma revenue, as a shop's window revenue looks
    a, b = (
        np.where(rng.random(n) < 0.3, rng.gamma(2.0, 40.0, n), 0.0) * scale
        for n, scale in zip(sizes, (1.0, 1.7), strict=True)
    )
    lift = estimate_lift(ArmOutcome.of(a.tolist()), ArmOutcome.of(b.tolist()), level=0.90)
    expected = ttest_ind(a, b, equal_var=False).confidence_interval(0.90)
    assert lift.revenue_difference == pytest.approx(a.mean() - b.mean(), rel=1e-12)
    assert lift.revenue_interval.low == pytest.approx(expected.low, rel=1e-9, abs=1e-9)
    assert lift.revenue_interval.high == pytest.approx(expected.high, rel=1e-9, abs=1e-9)


# --- coverage on simulated shops ----------------------------------------------------------

HELD_OUT_SHARE = 0.10
ORDER_SHAPE = 2.0  # an order's value ~ Gamma(2, value / 2): mean `value`, CV 0.71
EXTRA_ORDERS = 0.5  # a buyer places 1 + Poisson(0.5) orders in the window


@dataclass(frozen=True)
class Shops:
    """Customers' own baseline repurchase probability p0 ~ Beta(2, 8) (mean 0.2) and mean order
    value ~ Gamma(2, 30) (mean 60), one row per shop."""

    p0: FloatArray
    value: FloatArray

    @classmethod
    def draw(cls, rng: np.random.Generator, shops: int, customers: int) -> Shops:
        size = (shops, customers)
        return cls(rng.beta(2.0, 8.0, size=size), rng.gamma(2.0, 30.0, size=size))


@dataclass(frozen=True)
class Simulated:
    lifts: list[LiftEstimate]
    true_rate: FloatArray  # per simulation: the shop's average effect on the repurchase rate
    true_revenue: FloatArray  # and on revenue per customer


def _experiment(
    rng: np.random.Generator, shops: Shops, uplift: float, sims: int | None = None
) -> Simulated:
    """One held-out experiment per shop (or `sims` of them on a single shop), all at once.

    Contacted, a customer buys with p1 = min(p0 + uplift, 1); a tenth of the customers, drawn
    at random, is held out. The truth a randomised comparison estimates is the average
    treatment effect of the shop's own customers: the mean of p1 - p0 over all of them
    (contacted or not: either arm is a random sample of the same customers), and for revenue
    the mean of (p1 - p0) × their expected window revenue when they buy,
    (1 + EXTRA_ORDERS) × value. It is the simulated shop's, not the mean of the Beta plus
    `uplift`.
    """
    shape = (sims or shops.p0.shape[0], shops.p0.shape[1])
    p0, value = (np.broadcast_to(v, shape) for v in (shops.p0, shops.value))
    p1 = np.minimum(p0 + uplift, 1.0)
    held = rng.random(shape) < HELD_OUT_SHARE
    bought = rng.random(shape) < np.where(held, p0, p1)
    orders = 1 + rng.poisson(EXTRA_ORDERS, size=int(bought.sum()))  # drawn for buyers only
    revenue = np.zeros(shape)
    revenue[bought] = rng.gamma(ORDER_SHAPE * orders, value[bought] / ORDER_SHAPE)

    def arms(mask: FloatArray) -> list[ArmOutcome]:
        spent = np.where(mask, revenue, 0.0)
        n, k = mask.sum(axis=1), (bought & mask).sum(axis=1)
        s, q = spent.sum(axis=1), (spent * spent).sum(axis=1)
        rows = zip(n.tolist(), k.tolist(), s.tolist(), q.tolist(), strict=True)
        return [ArmOutcome(a, b, c, d) for a, b, c, d in rows]

    lifts = [estimate_lift(c, h) for c, h in zip(arms(~held), arms(held), strict=True)]
    effect = p1 - p0
    return Simulated(lifts, effect.mean(axis=1), (effect * (1 + EXTRA_ORDERS) * value).mean(axis=1))


def _coverage(intervals: list[Interval], truth: FloatArray) -> float:
    return float(np.mean([i.covers(float(t)) for i, t in zip(intervals, truth, strict=True)]))


@pytest.mark.parametrize(("uplift", "seed"), [(0.05, 20240601), (0.0, 20240602)])
def test_the_90_percent_intervals_cover_the_true_effect_90_percent_of_the_time(
    uplift: float, seed: int
) -> None:
    """1,000 shops of 2,000 customers (about 200 held out) per scenario, each its own truth."""
    rng = np.random.default_rng(seed)
    sim = _experiment(rng, Shops.draw(rng, 1_000, 2_000), uplift)
    assert all(lift.enough for lift in sim.lifts)
    rate = _coverage([lift.rate_interval for lift in sim.lifts], sim.true_rate)
    revenue = _coverage([lift.revenue_interval for lift in sim.lifts], sim.true_revenue)
    repurchases = _coverage(
        [lift.incremental_repurchases_interval for lift in sim.lifts],
        sim.true_rate * np.array([lift.contacted.customers for lift in sim.lifts]),
    )
    print(
        f"\nuplift {uplift:+.2f}: true rate effect {sim.true_rate.mean():.4f}, true revenue "
        f"effect {sim.true_revenue.mean():.3f}/customer (shops from {sim.true_revenue.min():.3f}"
        f" to {sim.true_revenue.max():.3f}); 90 % coverage: rate {rate:.3f}, revenue per "
        f"customer {revenue:.3f}, incremental repurchases {repurchases:.3f}"
    )
    assert abs(rate - 0.90) <= 0.05
    # revenue per customer is very skewed here (skewness about 6; Cochran's n > 25 g1² asks for
    # ~1,000 per arm): Welch's interval on ~200 held out covers about 2-3 points short of 90 %
    assert abs(revenue - 0.90) <= 0.05
    assert repurchases == rate  # the same interval, scaled by the fixed contacted count


@pytest.mark.parametrize(("uplift", "seed"), [(0.05, 20240603), (0.0, 20240604)])
def test_with_more_customers_a_real_uplift_excludes_0_and_none_includes_it(
    uplift: float, seed: int
) -> None:
    """One shop of 20,000 customers (about 2,000 held out), its held-out arm drawn 300 times."""
    rng = np.random.default_rng(seed)
    shop = Shops.draw(rng, 1, 20_000)
    lifts: list[LiftEstimate] = []
    truth: list[float] = []
    for _ in range(3):
        sim = _experiment(rng, shop, uplift, sims=100)
        lifts += sim.lifts
        truth += sim.true_rate.tolist()
    above = float(np.mean([lift.rate_interval.low > 0 for lift in lifts]))
    around = float(np.mean([lift.rate_interval.covers(0.0) for lift in lifts]))
    covers = _coverage([lift.rate_interval for lift in lifts], np.array(truth))
    revenue = float(np.mean([lift.revenue_interval.covers(0.0) for lift in lifts]))
    print(
        f"\nuplift {uplift:+.2f}, one shop of 20,000: rate interval above 0 in {above:.3f}, "
        f"around 0 in {around:.3f}, around the truth ({truth[0]:.4f}) in {covers:.3f}; "
        f"revenue interval around 0 in {revenue:.3f}"
    )
    assert abs(covers - 0.90) <= 0.05
    if uplift > 0:
        assert above >= 0.95
    else:
        assert around == covers
        assert abs(revenue - 0.90) <= 0.05


# --- definitions and edge cases -----------------------------------------------------------


def _arm(customers: int, repurchasers: int, spend: float = 50.0) -> ArmOutcome:
    """`repurchasers` customers who spent spend, spend + 1, ...; the rest nothing."""
    revenues = [spend + i for i in range(repurchasers)] + [0.0] * (customers - repurchasers)
    return ArmOutcome.of(revenues)


def test_the_lift_is_contacted_minus_held_out_and_scales_to_the_contacted() -> None:
    contacted, held_out = _arm(400, 100), _arm(80, 12)
    lift = estimate_lift(contacted, held_out, level=0.90)
    assert lift.rate_difference == pytest.approx(100 / 400 - 12 / 80)
    assert lift.rate_interval == newcombe_interval(100, 400, 12, 80, level=0.90)
    assert lift.revenue_difference == pytest.approx(contacted.revenue / 400 - held_out.revenue / 80)
    assert lift.incremental_repurchases == pytest.approx(lift.rate_difference * 400)
    assert lift.incremental_repurchases_interval.low == pytest.approx(lift.rate_interval.low * 400)
    assert lift.incremental_revenue == pytest.approx(lift.revenue_difference * 400)
    assert lift.incremental_revenue_interval.high == pytest.approx(lift.revenue_interval.high * 400)
    assert lift.enough
    assert lift.too_few() is None


def test_fewer_than_min_group_in_either_arm_is_too_few_to_tell() -> None:
    lift = estimate_lift(_arm(500, 100), _arm(MIN_GROUP - 1, 5))
    assert not lift.enough
    assert lift.too_few() == (
        "too few customers yet to tell: 500 contacted and 29 held out "
        "(at least 30 in each group are needed)."
    )
    assert lift.rate_interval.defined  # still computed; the readers decide not to show it
    assert not estimate_lift(_arm(MIN_GROUP - 1, 5), _arm(500, 100)).enough
    assert estimate_lift(_arm(MIN_GROUP, 5), _arm(MIN_GROUP, 5)).enough


def test_no_repurchaser_in_either_arm() -> None:
    lift = estimate_lift(_arm(200, 0), _arm(50, 0), level=0.90)
    assert lift.rate_difference == 0.0
    # the Wilson upper bounds of 0/50 and 0/200 (their lower bounds are 0)
    assert lift.rate_interval.low == pytest.approx(-wilson_interval(0, 50, level=0.90).high)
    assert lift.rate_interval.high == pytest.approx(wilson_interval(0, 200, level=0.90).high)
    assert lift.rate_interval.low < 0 < lift.rate_interval.high
    assert lift.revenue_interval == Interval(0.0, 0.0)  # no variance in either arm
    assert lift.incremental_revenue_interval == Interval(0.0, 0.0)


def test_everyone_repurchased_in_both_arms() -> None:
    lift = estimate_lift(_arm(200, 200), _arm(50, 50), level=0.90)
    assert lift.rate_difference == 0.0
    assert lift.rate_interval.low == pytest.approx(wilson_interval(200, 200).low - 1.0)
    assert lift.rate_interval.high == pytest.approx(1.0 - wilson_interval(50, 50).low)
    assert lift.revenue_interval.low < lift.revenue_difference < lift.revenue_interval.high


def test_everyone_spent_the_same_gives_a_zero_width_revenue_interval() -> None:
    lift = estimate_lift(ArmOutcome.of([20.0] * 40), ArmOutcome.of([10.0] * 40))
    assert lift.revenue_interval == Interval(10.0, 10.0)


def test_an_empty_arm_or_a_single_customer_leaves_the_intervals_undefined() -> None:
    empty = estimate_lift(_arm(100, 10), ArmOutcome(0, 0, 0.0, 0.0))
    assert math.isnan(empty.rate_difference)
    assert not empty.rate_interval.defined
    assert not empty.revenue_interval.defined
    assert empty.held_out.repurchase_rate is None
    assert empty.held_out.revenue_per_customer is None
    single = estimate_lift(_arm(100, 10), _arm(1, 1))
    assert single.rate_interval.defined
    assert not single.revenue_interval.defined  # one customer says nothing of the spread
    data = json.loads(json.dumps(empty.as_dict(), allow_nan=False))
    assert data["rate_difference"] is None
    assert data["revenue_interval"] == {"low": None, "high": None}
    assert data["held_out"]["repurchase_rate"] is None


def test_as_dict_is_plain_json() -> None:
    lift = estimate_lift(_arm(400, 100), _arm(80, 12))
    data = json.loads(json.dumps(lift.as_dict(), allow_nan=False))
    assert data["level"] == 0.90
    assert data["enough"] is True
    assert data["rate_interval"]["low"] == lift.rate_interval.low
    assert data["contacted"]["repurchase_rate"] == 0.25
    assert data["incremental_revenue"] == lift.incremental_revenue


def test_arm_of_counts_purchases_when_given() -> None:
    # a zero-amount order is a purchase without revenue
    arm = ArmOutcome.of([0.0, 0.0, 30.0, 10.0], purchases=[0, 1, 2, 1])
    assert (arm.customers, arm.repurchasers) == (4, 3)
    assert (arm.revenue, arm.revenue_squares) == (40.0, 1_000.0)
    assert ArmOutcome.of([0.0, 0.0, 30.0, 10.0]).repurchasers == 2
    assert arm.revenue_variance == pytest.approx(np.var([0.0, 0.0, 30.0, 10.0], ddof=1))


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: ArmOutcome(-1, 0, 0.0, 0.0), "customers must be >= 0"),
        (lambda: ArmOutcome(10, 11, 0.0, 0.0), "repurchasers must be between 0 and customers"),
        (lambda: ArmOutcome(10, -1, 0.0, 0.0), "repurchasers must be between 0 and customers"),
        (lambda: ArmOutcome(10, 1, -5.0, 25.0), "revenue must be finite and >= 0"),
        (lambda: ArmOutcome(10, 1, math.nan, 0.0), "revenue must be finite and >= 0"),
        (lambda: ArmOutcome(10, 1, 5.0, -1.0), "revenue_squares must be finite and >= 0"),
        (lambda: ArmOutcome(10, 2, 100.0, 100.0), "revenue_squares .* must be >= revenue²"),
        (lambda: ArmOutcome(0, 0, 1.0, 1.0), "must be 0 when customers is 0"),
        (lambda: ArmOutcome.of([1.0, -2.0]), r"revenues must be .* for customer 1"),
        (lambda: ArmOutcome.of([1.0], purchases=[1, 0]), "one count per customer"),
        (lambda: ArmOutcome.of([1.0], purchases=[-1]), "purchases must be >= 0"),
        (lambda: estimate_lift(_arm(40, 4), _arm(40, 4), level=1.0), "level must be between"),
        (lambda: estimate_lift(_arm(40, 4), _arm(40, 4), level=0.0), "level must be between"),
        (lambda: wilson_interval(3, 2), "successes must be between 0 and n"),
    ],
)
def test_invalid_inputs_are_refused_with_the_field_named(build: object, message: str) -> None:
    assert callable(build)
    with pytest.raises(ValueError, match=message):
        build()
