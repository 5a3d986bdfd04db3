"""What a group of customers is worth against what acquiring it cost, and what it says (NPS).

Every acquisition definition lives here, and every reader asks it:
- a group's CLV:CAC = Σ total CLV ÷ Σ CAC over the group's customers with a known CAC
  (`group_clv_cac`); customers without a CAC are counted apart, never mixed in;
- the payback period = the calendar month since acquisition (the acquisition month is month
  1) in which the group's cumulative margin first reaches its CAC (`payback_month`);
- the affordable CAC at the target ratio CLV_CAC_TARGET = mean total CLV ÷ target
  (`affordable_cac`);
- the bands of a ratio (`clv_cac_band`): below 1 losing money, below the target below target;
- Net Promoter Score: promoters answer 9–10, passives 7–8, detractors 0–6; NPS = % promoters
  − % detractors, shown only for groups of at least NPS_MIN_RESPONSES answers (`nps_score`).
  (Reichheld, "The One Number You Need to Grow", Harvard Business Review, December 2003.)
Total CLV itself is `clv.segments.definitions.total_clv`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

CLV_CAC_LOSING = 1.0  # below: the customers are worth less than they cost to acquire
DEFAULT_CLV_CAC_TARGET = 3.0  # the usual 3:1 rule of thumb (the CLV_CAC_TARGET setting)
DEFAULT_NPS_MIN_RESPONSES = 30  # the NPS_MIN_RESPONSES setting
PROMOTER_MIN, PASSIVE_MIN = 9, 7  # 9-10 promoters, 7-8 passives, 0-6 detractors
NO_CHANNEL = "(no channel)"
Period = Literal["month", "quarter"]  # what cohorts are cut by
PERIODS: tuple[Period, ...] = ("month", "quarter")

Band = Literal["losing money", "below target", "healthy"]


def clv_cac_rule(target: float) -> str:
    return (
        "CLV:CAC = total CLV (historical net revenue × gross margin + predicted CLV) ÷ "
        f"acquisition cost: below {CLV_CAC_LOSING:.0f} losing money, below {target:g} "
        f"(CLV_CAC_TARGET) below target, {target:g} or more healthy; a group's ratio sums "
        "both over its customers with a known acquisition cost"
    )


def clv_cac_band(ratio: float | None, *, target: float = DEFAULT_CLV_CAC_TARGET) -> Band | None:
    """The band of a CLV:CAC ratio (None without a ratio)."""
    if ratio is None:
        return None
    if ratio < CLV_CAC_LOSING:
        return "losing money"
    return "below target" if ratio < target else "healthy"


def group_clv_cac(total_clv_with_cac: float, cac_total: float) -> float | None:
    """Σ total CLV ÷ Σ CAC over the customers with a known CAC (None: no cost to divide by)."""
    return total_clv_with_cac / cac_total if cac_total > 0 else None


def affordable_cac(total_clv_mean: float | None, target: float) -> float | None:
    """What acquiring one more customer like these may cost, keeping CLV:CAC at `target`."""
    return None if total_clv_mean is None else total_clv_mean / target


def payback_month(cumulative_margin: Sequence[float], cac_total: float) -> int | None:
    """The first calendar month since acquisition (1 = the acquisition month) whose cumulative
    margin reaches `cac_total`; None ("not yet") when none does or there is no cost."""
    if cac_total <= 0:
        return None
    for month, margin in enumerate(cumulative_margin, start=1):
        if margin >= cac_total:
            return month
    return None


PAYBACK_RULE = (
    "payback = the calendar month since acquisition (the acquisition month is month 1) in "
    "which the cumulative margin (net revenue × gross margin) of the customers with a known "
    "acquisition cost first reaches their acquisition cost; not yet when it has not"
)
AFFORDABLE_RULE = (
    "affordable CAC = mean total CLV of the group's customers ÷ CLV_CAC_TARGET: what you can "
    "spend to acquire one more customer like them and keep the target ratio"
)


def nps_category(score: int) -> Literal["promoter", "passive", "detractor"]:
    if score >= PROMOTER_MIN:
        return "promoter"
    return "passive" if score >= PASSIVE_MIN else "detractor"


def nps_score(
    promoters: int, detractors: int, respondents: int, min_responses: int
) -> float | None:
    """% promoters − % detractors, from −100 to 100; None under `min_responses` answers."""
    if respondents < max(1, min_responses):
        return None
    return 100.0 * (promoters - detractors) / respondents


NPS_RULE = (
    "NPS = % promoters (9–10) − % detractors (0–6) among the customers who answered; passives "
    "answered 7–8; a group with fewer than NPS_MIN_RESPONSES answers shows no score"
)
