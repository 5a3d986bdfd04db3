"""Week-over-week changes against a brute-force computation over plain dicts."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from clv.scoring.changes import WeekScores, week_changes
from clv.scoring.records import WeekChanges

SEGMENTS = ["Champions", "At Risk", "Hibernating", "Can't Lose Them"]


def week(rng: np.random.Generator, ids: np.ndarray) -> WeekScores:  # type: ignore[type-arg]
    return WeekScores.of(
        ids,
        rng.gamma(2.0, 50.0, ids.size),
        rng.choice(SEGMENTS, ids.size),
        rng.random(ids.size) < 0.3,
    )


def brute_force(before: WeekScores, after: WeekScores) -> dict[str, object]:
    old = {
        int(c): (float(v), str(s), bool(d))
        for c, v, s, d in zip(before.customer_id, before.predicted_clv, before.segment,
                              before.dormant, strict=True)
    }  # fmt: skip
    new_n = new_clv = dormant_n = dormant_change = others = 0.0
    moves: dict[tuple[str, str], int] = {}
    changes = []
    for c, v, s, d in zip(after.customer_id, after.predicted_clv, after.segment, after.dormant,
                          strict=True):  # fmt: skip
        c, v = int(c), float(v)
        if c not in old:
            new_n += 1
            new_clv += v
            continue
        ov, os_, od = old.pop(c)
        changes.append((v - ov, c))
        if d and not od:
            dormant_n += 1
            dormant_change += v - ov
        else:
            others += v - ov
        if os_ != s:
            moves[(os_, str(s))] = moves.get((os_, str(s)), 0) + 1
    others -= sum(v for v, _, _ in old.values())  # customers gone since
    return {
        "new_customers": new_n, "new_customers_clv": new_clv, "went_dormant": dormant_n,
        "went_dormant_change": dormant_change, "others_change": others, "moves": moves,
        "top_rise": max(changes)[1], "top_fall": min(changes)[1],
    }  # fmt: skip


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_week_changes_match_a_brute_force_computation(seed: int) -> None:
    rng = np.random.default_rng(seed)
    before = week(rng, rng.choice(np.arange(1, 5000), 2000, replace=False))
    # most customers stay, some are gone, some are new; shuffled order on purpose
    stay = rng.choice(before.customer_id, 1800, replace=False)
    ids = rng.permutation(np.concatenate([stay, np.arange(6000, 6300)]))
    after = week(rng, ids)
    got = week_changes(before, after, previous_week_end=date(2024, 6, 23), limit=5)
    want = brute_force(before, after)
    assert got.previous_week_end == date(2024, 6, 23)
    assert got.new_customers == want["new_customers"] == 300
    for key in ("new_customers_clv", "went_dormant_change", "others_change"):
        assert getattr(got, key) == pytest.approx(want[key], rel=1e-9), key
    assert got.went_dormant == want["went_dormant"]
    total = after.predicted_clv.sum() - before.predicted_clv.sum()
    parts = got.new_customers_clv + got.went_dormant_change + got.others_change
    assert parts == pytest.approx(total, rel=1e-9)  # the drivers add up to the change
    assert {(m.source, m.target): m.customers for m in got.migrations} == want["moves"]
    counts = [m.customers for m in got.migrations]
    assert counts == sorted(counts, reverse=True)
    assert got.rises[0].customer_id == want["top_rise"]
    assert got.falls[0].customer_id == want["top_fall"]
    rises = [m.after - m.before for m in got.rises]
    assert len(rises) == 5
    assert rises == sorted(rises, reverse=True)


def test_a_first_week_has_only_new_customers() -> None:
    rng = np.random.default_rng(0)
    empty = WeekScores.of(np.array([], np.int64), np.array([]), np.array([]), np.array([]))
    after = week(rng, np.arange(1, 11))
    got = week_changes(empty, after, previous_week_end=date(2024, 6, 23))
    assert got.new_customers == 10
    assert got.rises == got.falls == got.migrations == ()


def test_week_changes_survive_their_json() -> None:
    rng = np.random.default_rng(4)
    before = week(rng, np.arange(1, 200))
    after = week(rng, np.arange(20, 260))
    got = week_changes(before, after, previous_week_end=date(2024, 6, 23))
    assert WeekChanges.from_json(got.to_json()) == got
