"""The NPS report: per segment, CLV tier and channel, the answers and the value behind them.

Stores counts and total-CLV sums per category; the score (and whether a group has enough
answers for one) is `clv.segments.acquisition.nps_score`, applied when it is read.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from clv.scoring.reports.channels import channel_codes
from clv.scoring.reports.inputs import Base, group_sum
from clv.segments.acquisition import PASSIVE_MIN, PROMOTER_MIN
from clv.segments.definitions import CLV_TIERS, all_segments
from clv.segments.scores import IntArray

CATEGORIES = ("promoters", "passives", "detractors")


def nps_rows(base: Base, codes: IntArray, names: list[str]) -> list[dict[str, Any]]:
    groups = len(names)
    answered = base.nps >= 0
    promoter = base.nps >= PROMOTER_MIN
    passive = (base.nps >= PASSIVE_MIN) & ~promoter
    detractor = answered & ~promoter & ~passive
    customers = group_sum(codes, groups)
    respondents = group_sum(np.where(answered, codes, -1), groups)
    categories = {}
    for key, members in zip(CATEGORIES, (promoter, passive, detractor), strict=True):
        chosen = np.where(members, codes, -1)
        categories[key] = group_sum(chosen, groups)
        categories[f"{key}_clv_sum"] = group_sum(chosen, groups, base.total)
    rows = []
    for g in np.flatnonzero(customers > 0).tolist():
        row: dict[str, Any] = {"group": names[g], "customers": int(customers[g])}
        row["respondents"] = int(respondents[g])
        for key, sums in categories.items():
            row[key] = float(sums[g]) if key.endswith("_sum") else int(sums[g])
        rows.append(row)
    return rows


def nps_report(base: Base) -> dict[str, Any]:
    channels, channel_names = channel_codes(base)
    segments = [s.name for s in all_segments()]
    tiers = [t.name for t in CLV_TIERS]
    return {
        "all": nps_rows(base, np.zeros(len(base), dtype=np.int64), ["all customers"]),
        "segment": nps_rows(base, base.segment_code, segments),
        "tier": nps_rows(base, base.tier_code, tiers),
        "channel": nps_rows(base, channels, channel_names),
    }
