"""A customer's status in words, shared by the Slack card and the terminal."""

from __future__ import annotations

from clv.formatting import percent
from clv.insights import CustomerView
from clv.segments.definitions import activity_of


def to_status(view: CustomerView) -> str:
    """The customer's activity in plain language, with dates for a dormant customer."""
    scores = view.scores
    if scores.dormant:
        last = f"last order {scores.last_order}" if scores.last_order else "no order date"
        if view.dormant_since is None:
            return f"{last}, dormant"
        at_least = "at least " if view.dormant_all_along else ""  # flagged in every week kept
        return f"{last}, dormant since {at_least}{view.dormant_since}"
    activity = activity_of(scores.p_alive, scores.dormant)
    if activity.threshold is None or scores.p_alive is None:
        return activity.rule
    return f"{activity.label} (P(alive) {percent(scores.p_alive)})"
