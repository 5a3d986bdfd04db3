"""The alert rules, defined once: their names, what makes each fire, and the usual band.

After each full scoring run, every rule in ALERT_RULES is asked once (`clv.alerts`):
- `vip_dormant`, `vip_overdue`: customers of the ALERT_TIERS tiers (Platinum and Gold by
  default) who are dormant (resp. overdue, `clv.segments.predictions.OVERDUE_RULE`) in the run
  and were not seen so by the rule within the last `NEW_AFTER_DAYS` days: they *turned* so.
  All of one run are one message (the first `MAX_LISTED` by value at stake, and how many more).
- `equity_drop`: customer equity fell by more than ALERT_EQUITY_DROP (a fraction, 0.05 = 5 %)
  against the newest complete run at least seven days older (week over week).
- `channel_cac`: an acquisition channel's CLV:CAC is below CLV_CAC_TARGET in the run and was
  not in the previous run that has channel figures (it *fell* below).
- `model_drift`: the holdout error (MAE per customer, relative to the mean actual purchases)
  or the interval coverage is outside its usual band in the run and was inside it in the
  previous run. The usual band of a measure is the median of the previous ALERT_DRIFT_RUNS
  runs' values ± `DRIFT_WIDTH` × their median absolute deviation scaled to a standard
  deviation (× 1.4826), and never narrower than ± `DRIFT_FLOOR` of the median (relative error)
  or ± `COVERAGE_FLOOR` (coverage, in points): a robust band that a single odd week does not
  widen. Fewer than three previous values: no band, no alert.
A firing is posted once per channel, rule and run day; a muted rule's firings are kept, not
posted (`/clv alerts mute <rule> <days>`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

from clv.segments.definitions import CLV_TIERS

RULES: dict[str, str] = {
    "vip_dormant": "a customer in a top tier turned dormant",
    "vip_overdue": "a customer in a top tier is overdue for their next order",
    "equity_drop": "customer equity fell by more than ALERT_EQUITY_DROP week over week",
    "channel_cac": "a channel's CLV:CAC fell below CLV_CAC_TARGET",
    "model_drift": "the model's holdout error or interval coverage left its usual band",
}
ALL_RULES = ",".join(RULES)
NEW_AFTER_DAYS = 7  # a VIP not seen at risk by the rule for a week is new to it again
MAX_LISTED = 10  # VIPs one alert lists (then "and N more")
WEEK_DAYS = 7  # equity_drop compares with the newest complete run at least this much older
DRIFT_WIDTH = 3.0  # the band's half-width, in robust standard deviations
MAD_TO_SD = 1.4826  # median absolute deviation to standard deviation, for normal data
DRIFT_FLOOR = 0.10  # the band is at least ± 10 % of the median relative error
COVERAGE_FLOOR = 0.05  # and at least ± 5 points of coverage
MIN_HISTORY = 3  # previous values a band needs


def tier_names(value: str) -> list[str]:
    """The tiers of ALERT_TIERS, checked against the defined tiers (case-insensitive)."""
    known = {t.name.lower(): t.name for t in CLV_TIERS}
    names = []
    for part in (p.strip() for p in value.split(",")):
        if not part:
            continue
        if part.lower() not in known:
            raise ValueError(f"unknown tier {part!r}: use any of {', '.join(known.values())}")
        names.append(known[part.lower()])
    return names


def enabled_rules(value: str) -> tuple[str, ...]:
    """The rules ALERT_RULES turns on, in the order of RULES."""
    wanted = {part.strip() for part in value.split(",")}
    return tuple(name for name in RULES if name in wanted)


@dataclass(frozen=True)
class Band:
    low: float
    high: float

    def holds(self, value: float) -> bool:
        return self.low <= value <= self.high


def usual_band(history: Sequence[float], *, floor: float, relative: bool) -> Band | None:
    """The usual band of a measure from its previous values (see the module docstring);
    `floor` is relative to the median when `relative`, else absolute."""
    if len(history) < MIN_HISTORY:
        return None
    centre = median(history)
    spread = MAD_TO_SD * median(abs(v - centre) for v in history)
    half = max(DRIFT_WIDTH * spread, floor * abs(centre) if relative else floor)
    return Band(centre - half, centre + half)


def equity_fell(before: float, after: float, threshold: float) -> bool:
    """Whether equity fell by more than `threshold` (a fraction of `before`)."""
    return before > 0 and (before - after) / before > threshold
