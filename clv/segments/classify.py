"""Assigning every customer an RFM segment, CLV tier, lifecycle stage and dormant flag.

The rules applied here are the data of `clv.segments.definitions` (and the dormant
thresholds the run was given); this is the one place they are applied, vectorised over all
customers of a run. Readers ask `definitions` for the same rules in words.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from clv.segments.definitions import (
    DORMANT_STAGE,
    LIKELY_ACTIVE_P_ALIVE,
    LOYAL_F_SCORE,
    LOYAL_STAGE,
    NEW_STAGE,
    PROSPECT_STAGE,
    PROSPECTS,
    RETAINED_STAGE,
)
from clv.segments.scores import (
    SEGMENT_NAMES,
    TIER_NAMES,
    BoolArray,
    FloatArray,
    IntArray,
    frequency_scores,
    quantile_scores,
    rfm_segment_index,
    tier_index,
)

StrArray = npt.NDArray[np.object_]


@dataclass(frozen=True)
class Classes:
    r_score: IntArray  # 0 for prospects
    f_score: IntArray
    m_score: IntArray
    segment: StrArray
    tier: StrArray  # None for prospects
    stage: StrArray
    dormant: BoolArray
    dormant_reason: StrArray  # None unless dormant
    value_at_stake: FloatArray
    segment_code: IntArray  # the segment's position in `all_segments()` (prospects last)
    tier_code: IntArray  # the tier's position in CLV_TIERS; -1 for prospects


def classify(
    *,
    buyers: BoolArray,
    days_since_last: IntArray,
    frequency: IntArray,
    historical: FloatArray,
    predicted_clv: FloatArray,
    p_alive: FloatArray,
    dormant_p_alive: float,
    dormant_max_days: int,
) -> Classes:
    """Classify all customers; the arrays cover buyers and prospects alike.

    `frequency` is the number of repeat purchase days (purchase days - 1, as in the models);
    `predicted_clv` and `p_alive` are per customer (prospects' values are ignored); a NaN
    P(alive) (no purchase model) leaves only the days-since-last-purchase rule for dormancy.
    The rules are the data of `clv.segments.definitions`.
    """
    n = buyers.size
    r = np.zeros(n, dtype=np.int64)
    f = np.zeros(n, dtype=np.int64)
    m = np.zeros(n, dtype=np.int64)
    r[buyers] = quantile_scores(days_since_last[buyers].astype(np.float64), higher_is_better=False)
    f[buyers] = frequency_scores(frequency[buyers] + 1)
    m[buyers] = quantile_scores(historical[buyers])
    segment_code = np.full(n, len(SEGMENT_NAMES), dtype=np.int64)  # all_segments(): then prospects
    segment_code[buyers] = rfm_segment_index(r[buyers], f[buyers])
    segment = np.asarray((*SEGMENT_NAMES, PROSPECTS.name), dtype=object)[segment_code]
    tier_code = np.full(n, -1, dtype=np.int64)
    tier_code[buyers] = tier_index(predicted_clv[buyers])
    tier = np.asarray((*TIER_NAMES, None), dtype=object)[tier_code]  # -1: the None

    with np.errstate(invalid="ignore"):
        slipping = buyers & (p_alive < dormant_p_alive)
    quiet = buyers & (days_since_last > dormant_max_days)
    dormant = slipping | quiet
    reason = _dormant_reasons(
        slipping, quiet, p_alive, days_since_last, dormant_p_alive, dormant_max_days
    )

    stage = np.full(n, PROSPECT_STAGE.name, dtype=object)
    stage[buyers & (frequency == 0)] = NEW_STAGE.name
    stage[buyers & (frequency > 0)] = RETAINED_STAGE.name
    with np.errstate(invalid="ignore"):
        likely_active = p_alive >= LIKELY_ACTIVE_P_ALIVE
    stage[buyers & (frequency > 0) & (f == LOYAL_F_SCORE) & likely_active] = LOYAL_STAGE.name
    stage[dormant] = DORMANT_STAGE.name

    # value at stake: what is lost if the customer is gone, (1 - P(alive)) x CLV if active,
    # and CLV if active = predicted CLV / P(alive) (the prediction is P(alive) x E[... | alive])
    alive = np.clip(np.nan_to_num(p_alive, nan=1.0), 1e-9, 1.0)
    stake = np.where(buyers, (1.0 - alive) * predicted_clv / alive, 0.0)
    return Classes(r, f, m, segment, tier, stage, dormant, reason, stake, segment_code, tier_code)


def _dormant_reasons(
    slipping: BoolArray,
    quiet: BoolArray,
    p_alive: FloatArray,
    days_since_last: IntArray,
    dormant_p_alive: float,
    dormant_max_days: int,
) -> StrArray:
    """Why each dormant customer is dormant (None for the others), in one pass per rule."""
    reason = np.full(slipping.size, None, dtype=object)
    reason[slipping] = [
        f"P(alive) {p:.2f} < {dormant_p_alive:.2f}" for p in p_alive[slipping].tolist()
    ]
    # a few hundred distinct day counts among a million customers: format each once
    days, inverse = np.unique(days_since_last[quiet], return_inverse=True)
    texts = np.array(
        [f"no purchase for {d} days (> {dormant_max_days})" for d in days.tolist()], dtype=object
    )
    both = quiet[slipping]  # the slipping customers who are also quiet, in order
    quiet_texts = texts[inverse]
    reason[quiet & ~slipping] = quiet_texts[~slipping[quiet]]
    reason[slipping & quiet] = [
        f"{a}; {b}"
        for a, b in zip(
            reason[slipping][both].tolist(), quiet_texts[slipping[quiet]].tolist(), strict=True
        )
    ]
    return reason
