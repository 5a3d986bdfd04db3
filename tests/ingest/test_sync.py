"""The nightly sync over three frozen nights, from a SQL source and from dropped files.

Night 1 imports the shop's orders; night 2 brings new ones and a late row (placed before the
last sync, written to the source after it) inside the overlap window; night 3 changes nothing.
Expected counts are worked out here from the rows the test writes and the overlap rule.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, func, select

from clv.ingest.sync import run_sync
from clv.insights.syncs import latest_sync
from clv.settings import Settings
from clv.store.tables import orders_table
from tests.shopdb import ShopDatabase

QUERY = (
    "SELECT ref AS order_id, buyer AS customer_id, placed_at AS ordered_at, total AS amount "
    "FROM shop_orders"
)
NIGHT = [datetime(2026, 3, 10 + k, 2, 0, tzinfo=UTC) for k in range(3)]  # 02:00 UTC


def _orders(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(orders_table)).scalar_one())


def _placed(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def test_three_nights_from_a_sql_source(
    engine: Engine, settings: Settings, shop_db: ShopDatabase, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)  # a night's rejects file is written here
    synced = settings.model_copy(
        update={"sync_source": SecretStr(shop_db.url), "sync_query": QUERY,
                "sync_overlap_hours": 48}
    )  # fmt: skip
    first = [(f"A{d}", f"c{d % 3}", _placed(d), Decimal("20.00") + d) for d in range(1, 10)]
    shop_db.add(*first)

    night1 = run_sync(engine, synced, now=NIGHT[0])
    assert (night1.status, night1.since, night1.read, night1.imported) == ("ok", None, 9, 9)
    assert night1.watermark == _placed(9)  # the newest order now stored

    late = ("L1", "c1", _placed(8, 6), Decimal("7.00"))  # before night 1's watermark
    too_late = ("L2", "c2", _placed(2), Decimal("5.00"))  # before the overlap window too
    new = [(f"B{h}", "c4", _placed(10, h), Decimal("9.99")) for h in (8, 9, 10)]
    shop_db.add(late, too_late, *new)
    night2 = run_sync(engine, synced, now=NIGHT[1])
    since = _placed(9) - timedelta(hours=48)  # 7 Mar 12:00
    assert night2.since == since
    in_window = [r for r in (*first, late, too_late, *new) if r[2] >= since]
    assert night2.read == len(in_window) == 7  # A7 A8 A9 L1 B8 B9 B10
    assert (night2.imported, night2.unchanged, night2.rejected) == (4, 3, 0)  # L1 + B8..B10
    assert night2.watermark == _placed(10, 10)

    night3 = run_sync(engine, synced, now=NIGHT[2])
    assert night3.since == _placed(10, 10) - timedelta(hours=48)
    assert (night3.imported, night3.updated, night3.rejected) == (0, 0, 0)
    assert night3.unchanged == night3.read == 5  # from 8 Mar 10:00: A8 A9 B8 B9 B10
    assert _orders(engine) == 9 + 4  # L2 came too late for any window: documented
    with engine.connect() as connection:
        assert latest_sync(connection) == night3
    assert night3.sentence(UTC) == "orders synced Thu 12 Mar 02:00: 0 new, 0 rejected"
    assert night2.sentence(UTC) == "orders synced Wed 11 Mar 02:00: 4 new, 0 rejected"


def test_a_source_that_is_no_url_is_a_recorded_failure(engine: Engine, settings: Settings) -> None:
    broken = settings.model_copy(
        update={"sync_source": SecretStr("postgres ql://shop:pw@db/shop"), "sync_query": QUERY}
    )
    outcome = run_sync(engine, broken, now=NIGHT[0])
    assert (outcome.status, outcome.source) == ("failed", "(not a database URL)")
    assert "not a database URL" in (outcome.error or "")
    assert "pw" not in outcome.source + (outcome.error or "")
    with engine.connect() as connection:
        assert latest_sync(connection) == outcome
