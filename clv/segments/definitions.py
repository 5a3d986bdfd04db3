"""Segments, CLV tiers and lifecycle stages, defined once as data and shown to users with rules.

The RFM segments are the widely used recency x frequency map (R and F scored 1-5 by quintile);
the tiers cut customers by predicted-CLV percentile; the stages follow the customer lifecycle
of the seed documents (reach, acquisition, conversion, retention, loyalty).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Segment:
    name: str
    recency: tuple[int, int]  # inclusive range of R scores
    frequency: tuple[int, int]  # inclusive range of F scores
    action: str

    @property
    def rule(self) -> str:
        return f"R {_span(self.recency)} and F {_span(self.frequency)}"

    def contains(self, r: int, f: int) -> bool:
        (r_low, r_high), (f_low, f_high) = self.recency, self.frequency
        return r_low <= r <= r_high and f_low <= f <= f_high


def _span(bounds: tuple[int, int]) -> str:
    low, high = bounds
    return str(low) if low == high else f"{low}–{high}"


RFM_SEGMENTS: tuple[Segment, ...] = (
    Segment("Champions", (5, 5), (4, 5), "Bought recently and often: reward them."),
    Segment("Loyal Customers", (3, 4), (4, 5), "Buy often: upsell, ask for reviews."),
    Segment("Potential Loyalists", (4, 5), (2, 3), "Recent, a few purchases: offer membership."),
    Segment("New Customers", (5, 5), (1, 1), "Bought for the first time just now: onboard them."),
    Segment("Promising", (4, 4), (1, 1), "Recent first-time buyers: build the habit."),
    Segment("Need Attention", (3, 3), (3, 3), "Average on both: a limited-time offer."),
    Segment("About to Sleep", (3, 3), (1, 2), "Fading, few purchases: reactivate them."),
    Segment("Can't Lose Them", (1, 2), (5, 5), "Used to buy most often, gone quiet: win back."),
    Segment("At Risk", (1, 2), (3, 4), "Bought often, long ago: personal outreach."),
    Segment("Hibernating", (1, 2), (1, 2), "Long ago, rarely: low-cost reminders."),
)
PROSPECTS = Segment("Prospects", (0, 0), (0, 0), "Known but not yet a buyer: convert them.")
PROSPECT_RULE = "no purchase yet"


@dataclass(frozen=True)
class Tier:
    name: str
    top_share: float  # a customer is in the first tier whose top_share exceeds their rank share
    rule: str


CLV_TIERS: tuple[Tier, ...] = (
    Tier("Platinum", 0.01, "top 1 % by predicted CLV"),
    Tier("Gold", 0.05, "top 1–5 % by predicted CLV"),
    Tier("Silver", 0.10, "top 5–10 % by predicted CLV"),
    Tier("Bronze", 0.25, "top 10–25 % by predicted CLV"),
    Tier("Medium", 0.50, "top 25–50 % by predicted CLV"),
    Tier("Low", 1.01, "bottom 50 % by predicted CLV"),
)


@dataclass(frozen=True)
class Stage:
    name: str
    rule: str


LIFECYCLE_STAGES: tuple[Stage, ...] = (
    Stage("prospect", "known, no purchase yet"),
    Stage("new", "first purchase made, no repeat purchase yet"),
    Stage("retained", "repeat buyer"),
    Stage("loyal", "repeat buyer in the top frequency quintile (F 5) and likely alive"),
    Stage("dormant", "bought before, and P(alive) below the threshold or no recent purchase"),
)


def segment_for(r: int, f: int) -> Segment:
    """The RFM segment of a recency score and frequency score (both 1-5)."""
    for segment in RFM_SEGMENTS:
        if segment.contains(r, f):
            return segment
    raise ValueError(f"no segment covers R={r}, F={f}")


def all_segments() -> tuple[Segment, ...]:
    return (*RFM_SEGMENTS, PROSPECTS)


def find_segment(name: str) -> Segment | None:
    """Match a segment name forgivingly: case, spaces, hyphens and apostrophes do not matter."""
    wanted = normalise(name)
    for segment in all_segments():
        if normalise(segment.name) == wanted:
            return segment
    return None


def normalise(name: str) -> str:
    return "".join(ch for ch in name.casefold() if ch.isalnum())
