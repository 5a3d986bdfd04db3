"""What a prediction needs and what its range means, defined once.

The data thresholds below which a run stores no predictions (Klaviyo's predictive analytics
states the same kind of floor: 500 customers with orders, 180 days of history, some repeat
buyers — https://help.klaviyo.com/hc/en-us/articles/360020919731), the level of the ranges,
the rule that picks the model when `CLV_MODEL=auto`, the overdue rule and the Gamma-Gamma
independence check. The settings take their defaults from here; every surface says them with
the sentences below. Importable without numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_INTERVAL = 0.80  # CLV_INTERVAL: the probability a range holds
DEFAULT_MIN_CUSTOMERS = 500  # PREDICT_MIN_CUSTOMERS: customers with orders
DEFAULT_MIN_HISTORY_DAYS = 180  # PREDICT_MIN_HISTORY_DAYS: days from the first order
DEFAULT_MIN_REPEAT_BUYERS = 50  # PREDICT_MIN_REPEAT_BUYERS: customers who bought again
SPEND_CORRELATION_WARNING = 0.3  # |corr(frequency, mean spend)| above which Gamma-Gamma is doubtful
OVERDUE_QUANTILE = 0.80  # overdue: the gap since the last order is past this quantile
AUTO = "auto"
# the purchase models by their CLV_MODEL key, as every surface names them
MODEL_TITLES = {
    "bgnbd": "BG/NBD",
    "mbgnbd": "MBG/NBD",
    "pnbd": "Pareto/NBD",
    "nbd": "NBD (no dropout)",
}

INTERVAL_RULE = (
    "the range holds the customer's value with the stated probability: it allows for the "
    "model's own uncertainty (its fitted parameters) and for how much a single customer's "
    "purchases and spend vary"
)
EQUITY_INTERVAL_RULE = (
    "for a sum over many customers their individual chance largely cancels out: the range of "
    "customer equity is mostly the model's own uncertainty"
)
AUTO_RULE = (
    "CLV_MODEL=auto fits BG/NBD, MBG/NBD and Pareto/NBD and uses the one whose per-customer "
    "mean absolute error of holdout repeat purchases is lowest; within 1 % of the best, the "
    "smaller aggregate error wins; without a holdout check, the lowest BIC"
)
OVERDUE_RULE = (
    "overdue: a repeat buyer whose time since the last order is past the 80th percentile of "
    "their time between orders (from the model's purchase rate), while P(alive) is still "
    "above the dormant threshold"
)


@dataclass(frozen=True)
class PredictionFloor:
    """The data a run needs before it predicts (the PREDICT_MIN_* settings)."""

    customers: int = DEFAULT_MIN_CUSTOMERS
    history_days: int = DEFAULT_MIN_HISTORY_DAYS
    repeat_buyers: int = DEFAULT_MIN_REPEAT_BUYERS

    def missing(self, *, customers: int, history_days: int, repeat_buyers: int) -> str | None:
        """What is missing, in one sentence (None: enough data to predict).

        "predictions start at 500 customers with orders; you have 212"
        """
        gaps = []
        if customers < self.customers:
            gaps.append(f"{self.customers:,} customers with orders; you have {customers:,}")
        if history_days < self.history_days:
            gaps.append(f"{self.history_days} days of order history; you have {history_days}")
        if repeat_buyers < self.repeat_buyers:
            gaps.append(
                f"{self.repeat_buyers} customers who ordered again; you have {repeat_buyers}"
            )
        return "predictions start at " + ", and at ".join(gaps) if gaps else None


def spend_correlation_warning(correlation: float | None) -> str | None:
    """The Gamma-Gamma assumption (spend independent of how often one buys), checked."""
    if correlation is None or abs(correlation) <= SPEND_CORRELATION_WARNING:
        return None
    return (
        f"purchase frequency and mean spend are correlated ({correlation:+.2f}, above "
        f"±{SPEND_CORRELATION_WARNING}): Gamma-Gamma assumes they are independent, so expected "
        "spend (and CLV) may be biased"
    )


def level_label(level: float) -> str:
    """'80 %'."""
    return f"{level * 100:.0f} %"
