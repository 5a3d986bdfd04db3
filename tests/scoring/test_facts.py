"""The customers' acquisition facts read with the scoring scan: the channel codes of the
CASE and of the read-by-name path agree, spellings that differ only by spaces are one channel,
and the acquisition quarter-hour keeps the exact second's calendar day (both stores)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, insert

import clv.scoring.facts as facts
from clv.scoring.summary import build_summaries
from clv.store.tables import customers_table

PEOPLE = [  # (channel, nps, acquired_at)
    ("Email", 9, datetime(2024, 3, 31, 21, 59, 59, 900_000, tzinfo=UTC)),
    (" Email ", None, datetime(2024, 3, 31, 22, 0, 0, tzinfo=UTC)),
    ("paid search", 0, None),
    (None, 10, datetime(1999, 12, 31, 23, 45, tzinfo=UTC)),
    ("", 7, None),
]


def _store(engine: Engine) -> None:
    rows = [
        {"external_id": f"c{i}", "channel": channel, "nps": nps, "acquired_at": at}
        for i, (channel, nps, at) in enumerate(PEOPLE)
    ]
    with engine.begin() as connection:
        connection.execute(insert(customers_table), rows)


@pytest.mark.parametrize("limit", [facts.MAX_CASE_CHANNELS, 1])  # 1: the read-by-name path
def test_facts_are_decoded_exactly_on_either_path(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, limit: int
) -> None:
    _store(engine)
    monkeypatch.setattr(facts, "MAX_CASE_CHANNELS", limit)
    day = date(2024, 6, 30)
    found = build_summaries(engine, end=day, cutoff=day, full_at=day).facts  # the run's path
    assert found.channel_names == ("Email", "paid search")
    assert [None if c < 0 else found.channel_names[c] for c in found.channel.tolist()] == [
        "Email", "Email", "paid search", None, None,
    ]  # fmt: skip
    assert found.nps.tolist() == [9, -1, 0, 10, 7]
    expected = [
        None if at is None else int(at.timestamp()) // 900 for _, _, at in PEOPLE
    ]  # 21:59:59.9 is the quarter-hour before 22:00, not after it
    assert [None if q < 0 else q for q in found.acquired_quarter_hour.tolist()] == expected
