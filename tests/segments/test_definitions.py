"""The policy stated once: order, rules in words, thresholds and the activity wording."""

from __future__ import annotations

import math

import numpy as np
import pytest

from clv.segments.acquisition import clv_cac_band
from clv.segments.classify import Classes, classify
from clv.segments.definitions import (
    CLV_CAC_RULE,
    CLV_TIERS,
    DORMANT_STAGE,
    LIFECYCLE_STAGES,
    LIKELY_ACTIVE_P_ALIVE,
    LOYAL_F_SCORE,
    LOYAL_STAGE,
    PROSPECT_STAGE,
    PROSPECTS,
    RFM_SEGMENTS,
    activity_of,
    all_segments,
    describe,
    rank_of,
    rule_lines,
)

LIMITS = {"dormant_p_alive": 0.25, "dormant_max_days": 200}


def test_tiers_and_stages_are_listed_in_rank_order() -> None:
    assert [t.name for t in sorted(CLV_TIERS, key=lambda t: t.rank)] == [
        "Platinum", "Gold", "Silver", "Bronze", "Medium", "Low"
    ]  # fmt: skip
    assert [t.rank for t in CLV_TIERS] == [1, 2, 3, 4, 5, 6]
    assert [s.name for s in sorted(LIFECYCLE_STAGES, key=lambda s: s.rank)] == [
        "prospect", "new", "retained", "loyal", "dormant"
    ]  # fmt: skip
    assert [s.rank for s in LIFECYCLE_STAGES] == [1, 2, 3, 4, 5]
    # the tiers' cuts rise with the rank
    assert [t.top_share for t in CLV_TIERS] == sorted(t.top_share for t in CLV_TIERS)


def test_rank_of_sorts_every_dimension_as_the_definitions_list_it() -> None:
    for dimension, names in (
        ("segment", [s.name for s in all_segments()]),
        ("tier", [t.name for t in CLV_TIERS]),
        ("stage", [s.name for s in LIFECYCLE_STAGES]),
    ):
        shuffled = list(reversed(names))
        assert sorted(shuffled, key=lambda n, d=dimension: rank_of(d, n)) == names
    assert rank_of("segment", "Champions") == 1
    assert rank_of("segment", PROSPECTS.name) == len(RFM_SEGMENTS) + 1
    with pytest.raises(ValueError, match="no tier called 'Diamond'"):
        rank_of("tier", "Diamond")


def test_prospects_are_the_prospects_segment_and_the_prospect_stage() -> None:
    assert PROSPECTS.rule == "no purchase yet"
    assert PROSPECTS.name in PROSPECT_STAGE.rule
    assert PROSPECTS not in RFM_SEGMENTS
    classes = _classify(p_alive=[math.nan], frequency=[0], buyers=[False])
    assert classes.segment.tolist() == [PROSPECTS.name]
    assert classes.stage.tolist() == [PROSPECT_STAGE.name]
    assert classes.tier.tolist() == [None]


@pytest.mark.parametrize(
    ("p_alive", "dormant", "label", "threshold"),
    [
        (0.95, False, "likely active", LIKELY_ACTIVE_P_ALIVE),
        (LIKELY_ACTIVE_P_ALIVE, False, "likely active", LIKELY_ACTIVE_P_ALIVE),
        (0.69, False, "slipping", LIKELY_ACTIVE_P_ALIVE),
        (0.95, True, "dormant", None),
        (None, True, "dormant", None),
        (None, False, "no purchase model", None),
        (math.nan, False, "no purchase model", None),
    ],
)
def test_activity_of_labels_p_alive_by_the_one_threshold(
    p_alive: float | None, dormant: bool, label: str, threshold: float | None
) -> None:
    activity = activity_of(p_alive, dormant)
    assert (activity.label, activity.threshold) == (label, threshold)
    if threshold is not None:
        assert f"{threshold:.2f}" in activity.rule


def _classify(
    *, p_alive: list[float], frequency: list[int], buyers: list[bool] | None = None
) -> Classes:
    n = len(p_alive)
    return classify(
        buyers=np.array(buyers if buyers is not None else [True] * n),
        days_since_last=np.arange(n, dtype=np.int64),
        frequency=np.array(frequency, dtype=np.int64),
        historical=np.full(n, 1000.0),
        predicted_clv=np.full(n, 10.0),
        p_alive=np.array(p_alive, dtype=np.float64),
        dormant_p_alive=0.3,
        dormant_max_days=10_000,
    )


def test_the_loyal_stage_uses_the_stated_f_score_and_threshold() -> None:
    # one heavy repeat buyer at F 5 with P(alive) just at, just below the threshold; a
    # base of lighter repeat buyers around them
    light = 30
    frequency = [1] * light + [20, 20]
    p_alive = [0.9] * light + [LIKELY_ACTIVE_P_ALIVE, LIKELY_ACTIVE_P_ALIVE - 0.01]
    classes = _classify(p_alive=p_alive, frequency=frequency)
    assert classes.f_score[-2:].tolist() == [LOYAL_F_SCORE] * 2
    assert classes.stage[-2:].tolist() == [LOYAL_STAGE.name, "retained"]
    assert f"F {LOYAL_F_SCORE}" in LOYAL_STAGE.rule
    assert f"P(alive) ≥ {LIKELY_ACTIVE_P_ALIVE:.2f}" in LOYAL_STAGE.rule


def test_every_segment_tier_and_stage_has_its_rule_in_words() -> None:
    for segment in RFM_SEGMENTS:
        words = describe("segment", segment.name, **LIMITS)
        assert words.startswith(segment.rule + ": ")
        assert "last purchase" in words
        assert "one day only" in words or "repeat buyer" in words
    assert describe("tier", "Gold", **LIMITS) == "top 1–5 % by predicted CLV"
    dormant = describe("stage", DORMANT_STAGE.name, **LIMITS)
    assert "P(alive) < 0.25 (DORMANT_P_ALIVE)" in dormant
    assert "more than 200 days (DORMANT_MAX_DAYS)" in dormant
    assert "DORMANT_P_ALIVE" in DORMANT_STAGE.rule  # the static rule names the setting


def test_the_f_rule_in_words_follows_the_map() -> None:
    words = {s.name: s.rule_in_words for s in RFM_SEGMENTS}
    assert words["New Customers"].endswith("; bought on one day only")
    assert words["Champions"].endswith(
        "; a repeat buyer in the top half of repeat buyers by purchase days"
    )
    assert words["Need Attention"].endswith(
        "; a repeat buyer in the second quarter of repeat buyers by purchase days"
    )
    assert words["Hibernating"].endswith(
        "; bought on one day only, or a repeat buyer in the bottom quarter of repeat buyers "
        "by purchase days"
    )
    assert words["Loyal Customers"].startswith(
        "R 3–4 and F 4–5: last purchase ranked 20–60 % from the most recent buyer"
    )


@pytest.mark.parametrize(
    ("dimension", "names", "legend"),
    [
        ("segment", [s.name for s in all_segments()], ["R: ", "F: 1 = bought on one day", "M: "]),
        ("tier", [t.name for t in CLV_TIERS], ["ties: "]),
        ("stage", [s.name for s in LIFECYCLE_STAGES], ["F: ", "P(alive): likely active at ≥ 0.70"]),
    ],
)
def test_rule_lines_give_every_group_then_the_rules_they_use(
    dimension: str, names: list[str], legend: list[str]
) -> None:
    lines = rule_lines(dimension, **LIMITS)
    assert [line.split(": ", 1)[0] for line in lines[: len(names)]] == names
    rest = lines[len(names) :]
    for start in legend:
        assert any(line.startswith(start) for line in rest), start
    assert rule_lines("colour", **LIMITS) == []


@pytest.mark.parametrize(
    ("ratio", "band"),
    [(None, None), (0.0, "losing money"), (0.99, "losing money"), (1.0, "below target"),
     (2.99, "below target"), (3.0, "healthy"), (12.0, "healthy")],
)  # fmt: skip
def test_clv_cac_bands_are_stated_once_with_their_thresholds(
    ratio: float | None, band: str | None
) -> None:
    assert clv_cac_band(ratio) == band
    assert "below 1 losing money, below 3 (CLV_CAC_TARGET) below target, 3 or more healthy" in (
        CLV_CAC_RULE
    )
    assert clv_cac_band(4.0, target=5.0) == "below target"
