"""Segments, CLV tiers, lifecycle stages and their thresholds, defined once as data.

Everything a reader shows about them comes from here: the rule of each segment, tier and
stage in words (`describe`), their rank order (`Tier.rank`, `Stage.rank`, `rank_of`) and the
wording of a customer's activity (`activity_of`). The RFM segments are the widely used
recency x frequency map; the tiers cut customers by predicted-CLV percentile; the stages
follow the customer lifecycle of the seed documents (reach, acquisition, conversion,
retention, loyalty).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from clv.segments.acquisition import DEFAULT_CLV_CAC_TARGET, clv_cac_rule

# --- thresholds: every number a rule below uses --------------------------------------------
RFM_QUANTILES = 5  # R and M: quintiles of the buyers
REPEAT_F_QUANTILES = 4  # F 2-5: quartiles of the repeat buyers (F 1 is one purchase day)
LIKELY_ACTIVE_P_ALIVE = 0.7  # P(alive) at or above which a customer is "likely active"
LOYAL_F_SCORE = 5  # the F score the loyal stage needs (with a likely-active P(alive))
# the dormant thresholds are settings, DORMANT_P_ALIVE and DORMANT_MAX_DAYS (clv.settings):
# the dormant stage's rule names them, `dormant_rule` fills in their values

TIES_RULE = (
    "customers with equal values always share a score: the cuts between scores sit only where "
    "the value changes, as close in total as possible to the ideal shares (every 20 %, or 25 % "
    "for F 2–5), and every score is used whenever there are at least as many distinct values "
    "as scores (with fewer, each distinct value has its own score, placed the same way, so a "
    "lone customer or a base of equals scores 3); where two placements are equally close, "
    "the tied customers take the lower score"
)


@dataclass(frozen=True)
class ScoreRule:
    letter: str
    rule: str


SCORE_RULES: tuple[ScoreRule, ...] = (
    ScoreRule("R", "quintile of the buyers by days since the last purchase, 5 = most recent"),
    ScoreRule(
        "F",
        "1 = bought on one day only (a one-time buyer; several orders on one day are one "
        "purchase); 2–5 = quartile of the repeat buyers by purchase days, 5 = most",
    ),
    ScoreRule("M", "quintile of the buyers by lifetime value net of refunds, 5 = highest"),
)


# --- RFM segments ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Segment:
    name: str
    recency: tuple[int, int]  # inclusive range of R scores; (0, 0) for the prospects
    frequency: tuple[int, int]  # inclusive range of F scores
    action: str

    @property
    def is_prospects(self) -> bool:
        return self.recency == (0, 0)

    @property
    def rule(self) -> str:
        """The short rule, "R 5 and F 4–5" ("no purchase yet" for the prospects)."""
        if self.is_prospects:
            return PROSPECT_RULE
        return f"R {_span(self.recency)} and F {_span(self.frequency)}"

    @property
    def rule_in_words(self) -> str:
        if self.is_prospects:
            return f"{PROSPECT_RULE}: known, never bought"
        words = f"{_recency_words(self.recency)}; {_frequency_words(self.frequency)}"
        return f"{self.rule}: {words}"

    def contains(self, r: int, f: int) -> bool:
        (r_low, r_high), (f_low, f_high) = self.recency, self.frequency
        return r_low <= r <= r_high and f_low <= f <= f_high


def _span(bounds: tuple[int, int]) -> str:
    low, high = bounds
    return str(low) if low == high else f"{low}–{high}"


def _recency_words(bounds: tuple[int, int]) -> str:
    low, high = bounds
    step = 100 // RFM_QUANTILES
    top, bottom = (RFM_QUANTILES - high) * step, (RFM_QUANTILES + 1 - low) * step
    if high == RFM_QUANTILES:
        return f"last purchase among the most recent {bottom} % of buyers"
    if low == 1:
        return f"last purchase among the least recent {high * step} % of buyers"
    return f"last purchase ranked {top}–{bottom} % from the most recent buyer"


_QUARTERS = {1: "bottom quarter", 2: "second quarter", 3: "third quarter", 4: "top quarter"}
_HALVES = {1: "bottom half", 2: "middle half", 3: "top half"}


def _frequency_words(bounds: tuple[int, int]) -> str:
    """F 1 is one purchase day; F 2-5 are the quarters 1-4 of the repeat buyers."""
    low, high = bounds
    if high == 1:
        return "bought on one day only"
    first, last = max(low, 2) - 1, high - 1  # quarters of the repeat buyers
    if (first, last) == (1, REPEAT_F_QUANTILES):
        band = "any repeat buyer"
    else:
        span = {1: _QUARTERS, 2: _HALVES}.get(last - first + 1, {})
        where = span.get(first, f"quarters {first}–{last}")
        band = f"a repeat buyer in the {where} of repeat buyers by purchase days"
    return f"bought on one day only, or {band}" if low == 1 else band


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
PROSPECT_RULE = "no purchase yet"
# every customer with no purchase, and only they: stage "prospect", no tier, R = F = M = 0
PROSPECTS = Segment("Prospects", (0, 0), (0, 0), "Known but not yet a buyer: convert them.")


# --- CLV tiers ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Tier:
    name: str
    rank: int  # 1 = the most valuable; CLV_TIERS is in this order
    top_share: float  # a customer is in the first tier whose top_share exceeds their rank share
    rule: str


CLV_TIERS: tuple[Tier, ...] = (
    Tier("Platinum", 1, 0.01, "top 1 % by predicted CLV"),
    Tier("Gold", 2, 0.05, "top 1–5 % by predicted CLV"),
    Tier("Silver", 3, 0.10, "top 5–10 % by predicted CLV"),
    Tier("Bronze", 4, 0.25, "top 10–25 % by predicted CLV"),
    Tier("Medium", 5, 0.50, "top 25–50 % by predicted CLV"),
    Tier("Low", 6, 1.01, "bottom 50 % by predicted CLV"),
)


# --- lifecycle stages -----------------------------------------------------------------------
_DORMANT = (
    "bought before, and P(alive) < {p} or no purchase for more than {days}; takes precedence "
    "over new, retained and loyal"
)


@dataclass(frozen=True)
class Stage:
    name: str
    rank: int  # lifecycle order, 1 = prospect; LIFECYCLE_STAGES is in this order
    rule: str  # the dormant rule names its settings; `describe` fills in their values


LIFECYCLE_STAGES: tuple[Stage, ...] = (
    Stage("prospect", 1, f"known, no purchase yet (the {PROSPECTS.name} segment)"),
    Stage("new", 2, "bought on one day only (F 1), no repeat purchase yet"),
    Stage("retained", 3, "repeat buyer, not loyal and not dormant"),
    Stage(
        "loyal",
        4,
        f"repeat buyer with F {LOYAL_F_SCORE} (top quartile of repeat buyers by purchase "
        f"days) and P(alive) ≥ {LIKELY_ACTIVE_P_ALIVE:.2f}, not dormant",
    ),
    Stage("dormant", 5, _DORMANT.format(p="DORMANT_P_ALIVE", days="DORMANT_MAX_DAYS days")),
)
PROSPECT_STAGE, NEW_STAGE, RETAINED_STAGE, LOYAL_STAGE, DORMANT_STAGE = LIFECYCLE_STAGES


def dormant_rule(*, dormant_p_alive: float, dormant_max_days: int) -> str:
    """The dormant rule with the configured thresholds filled in."""
    return _DORMANT.format(
        p=f"{dormant_p_alive:.2f} (DORMANT_P_ALIVE)",
        days=f"{dormant_max_days} days (DORMANT_MAX_DAYS)",
    )


# --- activity: P(alive) in words ------------------------------------------------------------
@dataclass(frozen=True)
class Activity:
    label: str  # "likely active", "slipping", "dormant" or "no purchase model"
    threshold: float | None  # the P(alive) threshold the label was decided by, if any
    rule: str


def activity_of(p_alive: float | None, dormant: bool) -> Activity:
    """A customer's activity in words: dormant first, then P(alive) against the threshold.

    `dormant` is the flag stored by the scoring run (its reason is stored with it); a missing
    or NaN P(alive) means the run had no purchase model.
    """
    if dormant:
        rule = "dormant in the current scores: " + DORMANT_STAGE.rule
        return Activity("dormant", None, rule)
    if p_alive is None or math.isnan(p_alive):
        return Activity("no purchase model", None, "no purchase model in this run")
    if p_alive >= LIKELY_ACTIVE_P_ALIVE:
        return Activity(
            "likely active", LIKELY_ACTIVE_P_ALIVE, f"P(alive) ≥ {LIKELY_ACTIVE_P_ALIVE:.2f}"
        )
    return Activity(
        "slipping", LIKELY_ACTIVE_P_ALIVE, f"P(alive) < {LIKELY_ACTIVE_P_ALIVE:.2f}, not dormant"
    )


# --- lookups --------------------------------------------------------------------------------
def segment_for(r: int, f: int) -> Segment:
    """The RFM segment of a recency score and frequency score (both 1-5)."""
    for segment in RFM_SEGMENTS:
        if segment.contains(r, f):
            return segment
    raise ValueError(f"no segment covers R={r}, F={f}")


def all_segments() -> tuple[Segment, ...]:
    """The RFM segments in map order, then the prospects."""
    return (*RFM_SEGMENTS, PROSPECTS)


_ORDER: dict[str, tuple[str, ...]] = {
    "segment": tuple(s.name for s in all_segments()),
    "tier": tuple(t.name for t in CLV_TIERS),
    "stage": tuple(s.name for s in LIFECYCLE_STAGES),
}


def rank_of(dimension: str, name: str) -> int:
    """Sort key of a segment, tier or stage in its dimension: 1 = first (Champions, Platinum,
    prospect), in the order of RFM_SEGMENTS + Prospects, CLV_TIERS and LIFECYCLE_STAGES."""
    try:
        return _ORDER[dimension].index(name) + 1
    except (KeyError, ValueError):
        raise ValueError(f"no {dimension} called {name!r}") from None


def describe(dimension: str, name: str, *, dormant_p_alive: float, dormant_max_days: int) -> str:
    """The rule of a segment, tier or stage in words, thresholds included."""
    if dimension == "segment":
        segment = find_segment(name)
        if segment is not None:
            return segment.rule_in_words
    elif dimension == "tier":
        for tier in CLV_TIERS:
            if tier.name == name:
                return tier.rule
    elif dimension == "stage":
        if name == DORMANT_STAGE.name:
            return dormant_rule(dormant_p_alive=dormant_p_alive, dormant_max_days=dormant_max_days)
        for stage in LIFECYCLE_STAGES:
            if stage.name == name:
                return stage.rule
    raise ValueError(f"no {dimension} called {name!r}")


# --- CLV:CAC: a customer's value against what acquiring them cost ----------------------------
def total_clv(historical_net: Any, predicted_clv: Any, gross_margin: float) -> Any:
    """Total CLV = historical net revenue × GROSS_MARGIN + predicted CLV (which is margin-
    adjusted and discounted already): what the customer is worth in all, the value to set
    against what acquiring them cost. Works on numbers and on numpy arrays alike."""
    return historical_net * gross_margin + predicted_clv


CLV_CAC_RULE = clv_cac_rule(DEFAULT_CLV_CAC_TARGET)  # the bands: clv.segments.acquisition


def rule_lines(dimension: str, *, dormant_p_alive: float, dormant_max_days: int) -> list[str]:
    """What `clvbot segments --by <dimension>` prints under its table: every group's rule in
    words, in rank order, then the score rules and thresholds those rules use (no lines for
    an unknown dimension)."""
    lines = [
        f"{name}: "
        + describe(
            dimension, name, dormant_p_alive=dormant_p_alive, dormant_max_days=dormant_max_days
        )
        for name in _ORDER.get(dimension, ())
    ]
    if dimension == "segment":
        lines += [f"{score.letter}: {score.rule}" for score in SCORE_RULES]
        lines.append(f"ties: {TIES_RULE}")
    elif dimension == "tier":
        lines.append("ties: customers with equal predicted CLV share a tier (the higher one)")
        lines.append(CLV_CAC_RULE)
    elif dimension == "stage":
        lines.append(f"F: {SCORE_RULES[1].rule}")
        lines.append(
            f"P(alive): likely active at ≥ {LIKELY_ACTIVE_P_ALIVE:.2f}, slipping below it, "
            f"dormant below {dormant_p_alive:.2f} (DORMANT_P_ALIVE)"
        )
    return lines


def find_segment(name: str) -> Segment | None:
    """Match a segment name forgivingly: case, spaces, hyphens and apostrophes do not matter."""
    wanted = normalise(name)
    for segment in all_segments():
        if normalise(segment.name) == wanted:
            return segment
    return None


def normalise(name: str) -> str:
    return "".join(ch for ch in name.casefold() if ch.isalnum())
