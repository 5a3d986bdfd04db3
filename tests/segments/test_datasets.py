"""Scores and segments on the bundled CDNOW sample and on the demo shop, end to end.

Both are imported and scored as users do it (CDNOW as of 1998-06-30; the demo shop as
`clvbot demo` builds it, on a fixed day); the expected scores are computed in plain Python
from the source data, never from the store.
"""

from __future__ import annotations

import pytest

from clv.segments.definitions import LIKELY_ACTIVE_P_ALIVE, LOYAL_STAGE, RFM_SEGMENTS
from tests.segments.datasets import ScoredBase, scored_cdnow, scored_demo_shop
from tests.segments.reference import reference_f, reference_scores


@pytest.fixture(scope="module")
def cdnow(tmp_path_factory: pytest.TempPathFactory) -> ScoredBase:
    return scored_cdnow(tmp_path_factory.mktemp("cdnow"))


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> ScoredBase:
    return scored_demo_shop(tmp_path_factory.mktemp("shop"))


@pytest.fixture(params=["cdnow", "shop"])
def base(request: pytest.FixtureRequest) -> ScoredBase:
    scored: ScoredBase = request.getfixturevalue(request.param)
    return scored


def _expected(base: ScoredBase) -> dict[str, tuple[int, int, int]]:
    ids = sorted(base.facts)
    facts = [base.facts[i] for i in ids]
    r = reference_scores([-float(x.days_since_last) for x in facts], 5)
    f = reference_f([x.purchase_days for x in facts])
    m = reference_scores([float(x.net_minor) for x in facts], 5)
    return dict(zip(ids, zip(r, f, m, strict=True), strict=True))


def test_scores_on_cdnow_and_the_demo_shop_match_an_independent_computation(
    base: ScoredBase,
) -> None:
    stored = {i: (s.r, s.f, s.m) for i, s in base.stored.items() if i in base.facts}
    assert stored == _expected(base)
    prospects = {s.segment for i, s in base.stored.items() if i not in base.facts}
    assert prospects <= {"Prospects"}


def test_every_score_value_occurs_on_cdnow_and_the_demo_shop(base: ScoredBase) -> None:
    buyers = [s for s in base.stored.values() if s.segment != "Prospects"]
    for letter in "rfm":
        assert sorted({getattr(s, letter) for s in buyers}) == [1, 2, 3, 4, 5], letter


def test_one_time_buyers_are_f1_on_cdnow_and_the_demo_shop(base: ScoredBase) -> None:
    for customer, facts in base.facts.items():
        assert (base.stored[customer].f == 1) == (facts.purchase_days == 1), customer


def test_every_segment_holds_customers_on_the_demo_shop(shop: ScoredBase) -> None:
    held = {s.segment for s in shop.stored.values()}
    assert [s.name for s in RFM_SEGMENTS if s.name not in held] == []
    assert "Prospects" in held


def test_on_cdnow_only_new_customers_and_promising_are_empty_as_the_cohort_is_old(
    cdnow: ScoredBase,
) -> None:
    held = {s.segment for s in cdnow.stored.values()}
    assert [s.name for s in RFM_SEGMENTS if s.name not in held] == ["New Customers", "Promising"]
    # why they are rightly empty: every one-time buyer (first purchase early in 1997) last
    # bought before any buyer among the most recent 40 % (R 4-5)
    one_time = [f.days_since_last for f in cdnow.facts.values() if f.purchase_days == 1]
    recent = [f.days_since_last for c, f in cdnow.facts.items() if cdnow.stored[c].r >= 4]
    assert min(one_time) > max(recent)


def test_a_three_purchase_day_customer_of_the_demo_shop_is_f3(shop: ScoredBase) -> None:
    three = {shop.stored[c].f for c, f in shop.facts.items() if f.purchase_days == 3}
    assert three == {3}


def test_loyal_customers_have_f5_and_a_likely_active_p_alive(base: ScoredBase) -> None:
    loyal = [s for s in base.stored.values() if s.stage == LOYAL_STAGE.name]
    assert loyal
    assert all(s.f == 5 for s in loyal)
    assert all(s.p_alive is not None and s.p_alive >= LIKELY_ACTIVE_P_ALIVE for s in loyal)
