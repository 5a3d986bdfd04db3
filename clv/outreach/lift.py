"""What outreach caused: the contacted customers against the held-out control group.

The definitions, in one place:
- An **arm** (`ArmOutcome`) is a group of customers and what they did in the outcome window:
  how many bought at least once (**repurchasers**) and the revenue they brought, in major
  currency units, with its sum of squares (so a SQL query can produce it with SUM).
- The **lift** is the contacted arm's value minus the held-out arm's, for the repurchase rate
  (a difference of two proportions) and for revenue per customer (a difference of two means).
  The held-out customers are a random control group, so the difference estimates the average
  effect of outreach on the customers it reached.
- **Incremental** repurchases and revenue are the lift × the contacted customers: what the
  contacted customers did beyond what they would have done uncontacted. The number of
  contacted customers is fixed, so their intervals are the lift's, scaled.
- An arm of fewer than `MIN_GROUP` customers is **too few to tell**: the estimate is still
  computed, but `enough` is False and the readers say so instead of showing it.

Where a value is undefined (an arm without customers; a revenue variance from fewer than two
customers) an `ArmOutcome` property is None and a `LiftEstimate` field is nan; `as_dict` turns
nan into None.

References
----------
Newcombe, R. G. (1998). Interval estimation for the difference between independent
proportions: comparison of eleven methods. Statistics in Medicine 17, 873-890.
Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference.
Journal of the American Statistical Association 22, 209-212.
Welch, B. L. (1947). The generalization of "Student's" problem when several different
population variances are involved. Biometrika 34, 28-35.
Cochran, W. G. (1977). Sampling Techniques, 3rd ed., Wiley, section 2.15.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from scipy.special import ndtri
from scipy.stats import t as student_t

# Both intervals lean on normal approximations: Welch's on the central limit theorem for the
# mean revenue of each arm, Newcombe's on the score statistic of each proportion. 30 is the
# customary sample size above which the mean of a moderately skewed variable is taken as
# normal; Cochran (1977, section 2.15) gives n > 25 g1² for a population of skewness g1, so for
# very skewed revenue 30 is a floor rather than a guarantee. Newcombe's interval itself holds
# its level at much smaller counts.
MIN_GROUP = 30


@dataclass(frozen=True)
class Interval:
    """A two-sided interval [low, high]; nan at both ends when undefined."""

    low: float
    high: float

    @property
    def defined(self) -> bool:
        return not (math.isnan(self.low) or math.isnan(self.high))

    def covers(self, value: float) -> bool:
        """low <= value <= high (False when undefined)."""
        return self.low <= value <= self.high

    def scaled(self, factor: float) -> Interval:
        """The interval of factor × the quantity (factor >= 0)."""
        return Interval(self.low * factor, self.high * factor)

    def as_dict(self) -> dict[str, float | None]:
        return {"low": _plain(self.low), "high": _plain(self.high)}


UNDEFINED = Interval(math.nan, math.nan)


@dataclass(frozen=True)
class ArmOutcome:
    """One arm's customers and what they did in the outcome window.

    `revenue` is the sum of the customers' window revenue and `revenue_squares` the sum of its
    squares (one term per customer, not per order), both in major units.
    """

    customers: int
    repurchasers: int  # customers with at least one purchase in the window
    revenue: float
    revenue_squares: float

    def __post_init__(self) -> None:
        if self.customers < 0:
            raise ValueError(f"customers must be >= 0, got {self.customers}")
        if not 0 <= self.repurchasers <= self.customers:
            raise ValueError(
                f"repurchasers must be between 0 and customers ({self.customers}), "
                f"got {self.repurchasers}"
            )
        for name in ("revenue", "revenue_squares"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be finite and >= 0, got {value}")
        if self.customers == 0 and (self.revenue or self.revenue_squares):
            raise ValueError("revenue and revenue_squares must be 0 when customers is 0")
        # Cauchy-Schwarz: sum(r²) >= (sum r)² / n, with room for rounding
        if self.customers and self.revenue_squares < self.revenue**2 / self.customers * (1 - 1e-9):
            raise ValueError(
                f"revenue_squares ({self.revenue_squares}) must be >= revenue² / customers "
                f"({self.revenue**2 / self.customers}): is it summed per customer?"
            )

    @classmethod
    def of(cls, revenues: Sequence[float], *, purchases: Sequence[int] | None = None) -> ArmOutcome:
        """The arm of customers with these window revenues (0: did not buy).

        A customer is a repurchaser when `purchases` (their number of purchases in the
        window, one per customer) is > 0; without `purchases`, when their revenue is > 0 (a
        zero-amount order then does not count).
        """
        for i, r in enumerate(revenues):
            if not (math.isfinite(r) and r >= 0):
                raise ValueError(f"revenues must be finite and >= 0, got {r} for customer {i}")
        if purchases is None:
            repurchasers = sum(1 for r in revenues if r > 0)
        else:
            if len(purchases) != len(revenues):
                raise ValueError(
                    f"purchases must have one count per customer ({len(revenues)}), "
                    f"got {len(purchases)}"
                )
            for i, k in enumerate(purchases):
                if k < 0:
                    raise ValueError(f"purchases must be >= 0, got {k} for customer {i}")
            repurchasers = sum(1 for k in purchases if k > 0)
        revenue = math.fsum(revenues)
        squares = math.fsum(r * r for r in revenues)
        return cls(len(revenues), repurchasers, revenue, squares)

    @property
    def repurchase_rate(self) -> float | None:
        """repurchasers / customers; None without customers."""
        return self.repurchasers / self.customers if self.customers else None

    @property
    def revenue_per_customer(self) -> float | None:
        """revenue / customers; None without customers."""
        return self.revenue / self.customers if self.customers else None

    @property
    def revenue_variance(self) -> float | None:
        """The sample variance of a customer's revenue, (sum r² - (sum r)² / n) / (n - 1);
        None below two customers."""
        n = self.customers
        if n < 2:
            return None
        return max(self.revenue_squares - self.revenue**2 / n, 0.0) / (n - 1)

    def as_dict(self) -> dict[str, Any]:
        return {
            "customers": self.customers,
            "repurchasers": self.repurchasers,
            "revenue": float(self.revenue),
            "repurchase_rate": self.repurchase_rate,
            "revenue_per_customer": self.revenue_per_customer,
        }


@dataclass(frozen=True)
class LiftEstimate:
    """Contacted against held out: the differences, their `level` intervals, and what they
    come to over the contacted customers. nan where undefined (see the module)."""

    contacted: ArmOutcome
    held_out: ArmOutcome
    level: float
    rate_difference: float  # contacted repurchase rate - held-out repurchase rate
    rate_interval: Interval  # Newcombe's hybrid score interval
    revenue_difference: float  # revenue per customer, contacted - held out
    revenue_interval: Interval  # Welch's t interval
    incremental_repurchases: float  # rate_difference × contacted.customers
    incremental_repurchases_interval: Interval
    incremental_revenue: float  # revenue_difference × contacted.customers
    incremental_revenue_interval: Interval
    enough: bool  # both arms have at least MIN_GROUP customers

    def too_few(self) -> str | None:
        """Why it is too early to tell, in one sentence (None: enough customers)."""
        if self.enough:
            return None
        return (
            f"too few customers yet to tell: {self.contacted.customers:,} contacted and "
            f"{self.held_out.customers:,} held out (at least {MIN_GROUP} in each group are "
            "needed)."
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "enough": self.enough,
            "min_group": MIN_GROUP,
            "contacted": self.contacted.as_dict(),
            "held_out": self.held_out.as_dict(),
            "rate_difference": _plain(self.rate_difference),
            "rate_interval": self.rate_interval.as_dict(),
            "revenue_difference": _plain(self.revenue_difference),
            "revenue_interval": self.revenue_interval.as_dict(),
            "incremental_repurchases": _plain(self.incremental_repurchases),
            "incremental_repurchases_interval": self.incremental_repurchases_interval.as_dict(),
            "incremental_revenue": _plain(self.incremental_revenue),
            "incremental_revenue_interval": self.incremental_revenue_interval.as_dict(),
        }


def estimate_lift(
    contacted: ArmOutcome, held_out: ArmOutcome, *, level: float = 0.90
) -> LiftEstimate:
    """What outreach caused, with `level` intervals: the differences in repurchase rate
    (Newcombe 1998, method 10) and in revenue per customer (Welch 1947), contacted - held out.
    """
    _check_level(level)
    if contacted.customers and held_out.customers:
        rate = contacted.repurchasers / contacted.customers - (
            held_out.repurchasers / held_out.customers
        )
        per_customer = contacted.revenue / contacted.customers - (
            held_out.revenue / held_out.customers
        )
        rate_range = newcombe_interval(
            contacted.repurchasers, contacted.customers,
            held_out.repurchasers, held_out.customers, level=level,
        )  # fmt: skip
    else:
        rate, per_customer, rate_range = math.nan, math.nan, UNDEFINED
    revenue_range = welch_interval(contacted, held_out, level=level)
    n = contacted.customers
    return LiftEstimate(
        contacted, held_out, level,
        rate, rate_range, per_customer, revenue_range,
        rate * n, rate_range.scaled(n), per_customer * n, revenue_range.scaled(n),
        enough=min(contacted.customers, held_out.customers) >= MIN_GROUP,
    )  # fmt: skip


def wilson_interval(successes: int, n: int, *, level: float = 0.90) -> Interval:
    """Wilson's (1927) score interval for a proportion: the p with |x/n - p| <= z sqrt(p(1-p)/n),
    in closed form (x + z²/2) / (n + z²) ± z sqrt(x(n - x)/n + z²/4) / (n + z²);
    method 3 in Newcombe (1998). Undefined for n = 0."""
    _check_level(level)
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be between 0 and n ({n}), got {successes}")
    if n == 0:
        return UNDEFINED
    z = float(ndtri((1 + level) / 2))
    centre = (successes + z * z / 2) / (n + z * z)
    half = z * math.sqrt(successes * (n - successes) / n + z * z / 4) / (n + z * z)
    low = 0.0 if successes == 0 else max(centre - half, 0.0)
    high = 1.0 if successes == n else min(centre + half, 1.0)
    return Interval(low, high)


def newcombe_interval(x1: int, n1: int, x2: int, n2: int, *, level: float = 0.90) -> Interval:
    """Newcombe's hybrid score interval for p1 - p2, two independent proportions (method 10 of
    Newcombe 1998): with (l_i, u_i) the Wilson interval of p_i = x_i / n_i,

        low  = p1 - p2 - sqrt((p1 - l1)² + (u2 - p2)²),
        high = p1 - p2 + sqrt((u1 - p1)² + (p2 - l2)²).

    Unlike the Wald interval it keeps close to its level at small counts and at rates near 0
    or 1, and it stays inside [-1, 1]. Undefined when either n is 0.
    """
    first, second = wilson_interval(x1, n1, level=level), wilson_interval(x2, n2, level=level)
    if not (first.defined and second.defined):
        return UNDEFINED
    p1, p2 = x1 / n1, x2 / n2
    low = p1 - p2 - math.hypot(p1 - first.low, second.high - p2)
    high = p1 - p2 + math.hypot(first.high - p1, p2 - second.low)
    return Interval(max(low, -1.0), min(high, 1.0))


def welch_interval(a: ArmOutcome, b: ArmOutcome, *, level: float = 0.90) -> Interval:
    """Welch's t interval for the difference in revenue per customer, a - b:

        d ± t_{(1 + level)/2, nu} sqrt(s_a²/n_a + s_b²/n_b),
        nu = (s_a²/n_a + s_b²/n_b)² / ((s_a²/n_a)² / (n_a - 1) + (s_b²/n_b)² / (n_b - 1)),

    the Welch-Satterthwaite degrees of freedom. Zero width at d when both sample variances are
    0 (every customer of each arm spent the same); undefined below two customers in an arm.
    """
    _check_level(level)
    var_a, var_b = a.revenue_variance, b.revenue_variance
    if var_a is None or var_b is None:
        return UNDEFINED
    difference = a.revenue / a.customers - b.revenue / b.customers
    ea, eb = var_a / a.customers, var_b / b.customers  # squared standard errors
    if ea + eb == 0:
        return Interval(difference, difference)
    nu = (ea + eb) ** 2 / (ea**2 / (a.customers - 1) + eb**2 / (b.customers - 1))
    half = float(student_t.ppf((1 + level) / 2, nu)) * math.sqrt(ea + eb)
    return Interval(difference - half, difference + half)


def _check_level(level: float) -> None:
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1 (exclusive), got {level}")


def _plain(value: float) -> float | None:
    """A plain float for JSON, None for nan."""
    return None if math.isnan(value) else float(value)
