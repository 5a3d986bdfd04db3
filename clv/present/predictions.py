"""Predictions in words, the one way every surface (card, CLI, digest) says them: a value
with its range, a customer's cadence, customer equity's range, the model comparison.

Plain text: the Slack renderers escape what they put in mrkdwn.
"""

from __future__ import annotations

from datetime import date

from clv.formatting import money, percent
from clv.scoring.records import EquityRange, ModelComparison
from clv.segments.predictions import (
    EQUITY_INTERVAL_RULE,
    INTERVAL_RULE,
    MODEL_TITLES,
    level_label,
)


def with_range(
    value: float, low: float | None, high: float | None, level: float | None, currency: str
) -> str:
    """'$1,240 (80 %: $900–$1,650)'; a range that is all zero says what it means."""
    shown = money(value, currency)
    if low is None or high is None or level is None:
        return shown
    if high <= 0:
        return f"{shown} ({level_label(level)}: most likely no order in the horizon)"
    return f"{shown} ({level_label(level)}: {money(low, currency)}–{money(high, currency)})"


def purchases_range(
    expected: float | None, low: int | None, high: int | None, level: float | None
) -> str | None:
    """'2.4 (80 %: 0–5)' (None: no prediction)."""
    if expected is None:
        return None
    if low is None or high is None or level is None:
        return f"{expected:.2f}"
    return f"{expected:.2f} ({level_label(level)}: {low}–{high})"


def gap_words(days: float) -> str:
    """~3 days, ~5 weeks, ~4 months, ~2 years."""
    if days < 14:
        return f"~{max(days, 1):.0f} day{'s' if round(days) != 1 else ''}"
    if days < 90:
        return f"~{days / 7:.0f} weeks"
    if days < 730:
        return f"~{days / 30.44:.0f} months"
    return f"~{days / 365.25:.0f} years"


def cadence_text(gap_days: float | None, next_order: date | None, overdue: bool) -> str | None:
    """'usually orders every ~5 weeks; next order expected around 14 Dec' (None: no repeat
    purchase yet, or no model)."""
    if gap_days is None:
        return None
    said = f"usually orders every {gap_words(gap_days)}"
    if next_order is not None:
        said += f"; next order expected around {next_order:%-d %b %Y}"
    return said + ("; overdue" if overdue else "")


def overdue_reason(gap_days: float | None, days_since_last: int | None) -> str:
    """Why an overdue customer is on a list: 'overdue: usually orders every ~5 weeks, last
    order 62 days ago' (`clv.segments.predictions.OVERDUE_RULE`)."""
    if gap_days is None or days_since_last is None:
        return "overdue: later than their usual time between orders"
    usual = f"usually orders every {gap_words(gap_days)}"
    return f"overdue: {usual}, last order {days_since_last} days ago"


def range_meaning(level: float) -> str:
    """ "Why this number?": what the range means, in one sentence."""
    return f"The {level_label(level)} range: {INTERVAL_RULE}."


def equity_text(point: float, equity: EquityRange | None, currency: str) -> str:
    """'$126,508 (80 %: $120,000–$133,000; mostly the model's own uncertainty)'."""
    shown = money(point, currency, decimals=0)
    if equity is None:
        return shown
    low, high = money(equity.low, currency, decimals=0), money(equity.high, currency, decimals=0)
    return (
        f"{shown} ({level_label(equity.level)}: {low}–{high}; "
        f"{percent(equity.parameter_share)} of its variance is the model's own uncertainty)"
    )


def equity_meaning() -> str:
    return EQUITY_INTERVAL_RULE


def comparison_table(rows: tuple[ModelComparison, ...]) -> list[tuple[str, ...]]:
    """Header and one row per candidate: model, log-likelihood, BIC, holdout MAE, aggregate
    error, predicted holdout purchases, chosen."""

    def num(value: float | None, spec: str) -> str:
        return "—" if value is None else format(value, spec)

    table: list[tuple[str, ...]] = [
        ("model", "log-lik.", "BIC", "holdout MAE", "aggr. error", "predicted", "chosen")
    ]
    for row in rows:
        name = MODEL_TITLES.get(row.key, row.key)
        if row.used is not None and row.used != row.key:
            name += f" → {MODEL_TITLES.get(row.used, row.used)}"
        elif row.used is None:
            name += " (not fitted)"
        error = "—" if row.aggregate_error is None else f"{row.aggregate_error:+.1%}"
        table.append((
            name, num(row.log_likelihood, ",.1f"), num(row.bic, ",.1f"),
            num(row.holdout_mae, ".4f"), error, num(row.predicted_holdout, ",.1f"),
            "✓" if row.chosen else "",
        ))  # fmt: skip
    return table


def withheld_line(withheld: str | None) -> str | None:
    """What a list or summary says when its run has no predictions (below the data floor)."""
    if withheld is None:
        return None
    return f"No predicted CLV yet: {withheld}. Predicted values below are 0 until then."
