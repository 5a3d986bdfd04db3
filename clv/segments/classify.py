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
    LIFECYCLE_STAGES,
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
STAGE_NAMES = tuple(stage.name for stage in LIFECYCLE_STAGES)


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
    stage_code: IntArray  # the stage's position in STAGE_NAMES
    reason_code: IntArray  # the dormant reason's position in `reason_labels`; -1: none
    reason_labels: tuple[str, ...]


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
    reason_code, reason_labels = _dormant_reasons(
        slipping, quiet, p_alive, days_since_last, dormant_p_alive, dormant_max_days
    )
    reason = np.asarray([*reason_labels, None], dtype=object)[reason_code]  # -1: the None

    stage_code = np.full(n, STAGE_NAMES.index(PROSPECT_STAGE.name), dtype=np.int64)
    stage_code[buyers & (frequency == 0)] = STAGE_NAMES.index(NEW_STAGE.name)
    stage_code[buyers & (frequency > 0)] = STAGE_NAMES.index(RETAINED_STAGE.name)
    with np.errstate(invalid="ignore"):
        likely_active = p_alive >= LIKELY_ACTIVE_P_ALIVE
    loyal = buyers & (frequency > 0) & (f == LOYAL_F_SCORE) & likely_active
    stage_code[loyal] = STAGE_NAMES.index(LOYAL_STAGE.name)
    stage_code[dormant] = STAGE_NAMES.index(DORMANT_STAGE.name)
    stage = np.asarray(STAGE_NAMES, dtype=object)[stage_code]

    # value at stake: what is lost if the customer is gone, (1 - P(alive)) x CLV if active,
    # and CLV if active = predicted CLV / P(alive) (the prediction is P(alive) x E[... | alive])
    alive = np.clip(np.nan_to_num(p_alive, nan=1.0), 1e-9, 1.0)
    stake = np.where(buyers, (1.0 - alive) * predicted_clv / alive, 0.0)
    return Classes(r, f, m, segment, tier, stage, dormant, reason, stake, segment_code, tier_code,
                   stage_code, reason_code, reason_labels)  # fmt: skip


def _dormant_reasons(
    slipping: BoolArray,
    quiet: BoolArray,
    p_alive: FloatArray,
    days_since_last: IntArray,
    dormant_p_alive: float,
    dormant_max_days: int,
) -> tuple[IntArray, tuple[str, ...]]:
    """Why each dormant customer is dormant, as codes into labels (-1 for the others): a few
    hundred distinct texts among a million customers, each formatted once."""
    code = np.full(slipping.size, -1, dtype=np.int64)
    hundredths = _hundredths(p_alive[slipping])  # P(alive) as "{:.2f}" shows it
    slip_labels = [f"P(alive) {k / 100:.2f} < {dormant_p_alive:.2f}" for k in range(101)]
    days, day_code = np.unique(days_since_last[quiet], return_inverse=True)
    quiet_labels = [f"no purchase for {d} days (> {dormant_max_days})" for d in days.tolist()]
    code[slipping] = hundredths
    code[quiet & ~slipping] = len(slip_labels) + day_code[~slipping[quiet]]
    # both: "P(alive) ...; no purchase for ...", one label per pair that occurs
    pairs = hundredths[quiet[slipping]] * max(days.size, 1) + day_code[slipping[quiet]]
    both, pair_code = np.unique(pairs, return_inverse=True)
    both_labels = [
        f"{slip_labels[p // max(days.size, 1)]}; {quiet_labels[p % max(days.size, 1)]}"
        for p in both.tolist()
    ]
    code[slipping & quiet] = len(slip_labels) + len(quiet_labels) + pair_code
    return code, (*slip_labels, *quiet_labels, *both_labels)


def _hundredths(p: FloatArray) -> IntArray:
    """`p` in [0, 1] rounded to hundredths exactly as f"{p:.2f}" rounds it (the decimal value
    of the float, half to even): numpy's `rint(100 p)` agrees except within rounding error of
    a half, where the formatted text decides."""
    scaled = p * 100.0
    k = np.rint(scaled).astype(np.int64)
    near_half = np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6
    for i in np.flatnonzero(near_half).tolist():
        k[i] = round(float(f"{float(p[i]):.2f}") * 100)
    return np.clip(k, 0, 100)
