"""The customers' acquisition facts read with the scoring scan: the channel codes of the
CASE and of the read-by-name path agree, spellings that differ only by spaces are one channel,
and the acquisition quarter-hour keeps the exact second's calendar day (both stores)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert

import clv.scoring.facts as facts
from clv.scoring.summary import build_summary
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
    engine: Engine, monkeypatch: pytest.MonkeyPatch, limit: int, tmp_path: Path
) -> None:
    _store(engine)
    monkeypatch.setattr(facts, "MAX_CASE_CHANNELS", limit)
    with engine.connect() as connection:
        found = build_summary(connection, as_of=date(2024, 6, 30))
        names, codes = facts.channel_codes(connection)
        ids = found.customer_id
        packed = facts.unpack(connection, _packed(connection, codes), ids, names, codes)
    assert packed.channel_names == ("Email", "paid search")
    assert [None if c < 0 else packed.channel_names[c] for c in packed.channel.tolist()] == [
        "Email", "Email", "paid search", None, None,
    ]  # fmt: skip
    assert packed.nps.tolist() == [9, -1, 0, 10, 7]
    expected = [
        None if at is None else int(at.timestamp()) // 900 for _, _, at in PEOPLE
    ]  # 21:59:59.9 is the quarter-hour before 22:00, not after it
    assert [None if q < 0 else q for q in packed.acquired_quarter_hour.tolist()] == expected


def _packed(connection: object, codes: dict[str, int]) -> facts.IntArray:
    from sqlalchemy import select

    from clv.scoring.summary import int_matrix

    c = customers_table.c
    query = select(facts.packed_facts(codes)).order_by(c.id)
    return int_matrix(connection, query, 1)[:, 0]  # type: ignore[arg-type]
