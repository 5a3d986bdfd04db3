"""The demo shop scored with the shipped defaults (CLV_MODEL=auto, the data floor, 80 %
ranges): ranges on every prediction, the next order date and the overdue flag, the latter
two checked with scipy's Lomax distribution (an independent implementation of the wait)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats
from sqlalchemy import Engine, select
from sqlmodel import Session

from clv.datasets import generate_shop, write_shop_csvs
from clv.ingest import import_customers, import_orders
from clv.insights import model_status, overdue_customers
from clv.scoring.pipeline import score
from clv.settings import Settings
from clv.store.tables import customer_scores_table
from tests.helpers import built_once, shipped_settings
from tests.segments.datasets import DEMO_CUSTOMERS, DEMO_NOW

AS_OF = DEMO_NOW.date()


@pytest.fixture
def demo(engine: Engine, database_url: str, tmp_path: Path) -> Settings:
    settings = shipped_settings(database_url)

    def build() -> None:
        shop = generate_shop(DEMO_CUSTOMERS, now=DEMO_NOW)
        customers_csv, orders_csv = write_shop_csvs(shop, tmp_path)
        import_customers(engine, customers_csv, settings)
        import_orders(engine, orders_csv, settings)
        score(engine, settings, as_of=AS_OF)

    built_once(database_url, tmp_path, ("demo-defaults",), build, engine=engine)
    return settings


def _scores(engine: Engine) -> dict[str, np.ndarray[Any, Any]]:
    s = customer_scores_table
    with engine.connect() as connection:
        rows = connection.execute(
            select(s.c.frequency, s.c.recency, s.c.tenure, s.c.predicted_clv, s.c.clv_low,
                   s.c.clv_high, s.c.purchases_low, s.c.purchases_high, s.c.next_order_on,
                   s.c.overdue, s.c.dormant, s.c.first_order, s.c.p_alive)
            .where(s.c.first_order.is_not(None))
        ).all()  # fmt: skip
    columns = list(zip(*rows, strict=True))
    names = ("x", "t_x", "T", "clv", "low", "high", "p_low", "p_high", "next", "overdue",
             "dormant", "first", "p_alive")  # fmt: skip
    return {name: np.array(col, dtype=object) for name, col in zip(names, columns, strict=True)}


def test_every_prediction_has_a_range_around_it(engine: Engine, demo: Settings) -> None:
    c = _scores(engine)
    low, high, clv = (c[k].astype(float) for k in ("low", "high", "clv"))
    assert np.isfinite(low).all()
    assert np.isfinite(high).all()
    assert (low <= high).all()
    assert (low >= 0).all()
    assert (c["p_low"].astype(int) <= c["p_high"].astype(int)).all()
    # the range of an active heavy buyer holds their point value (a lapsed customer's may be
    # [0, 0]: most likely no order at all, while the mean is above 0)
    heavy = (c["x"].astype(int) >= 5) & (c["p_alive"].astype(float) > 0.8)
    assert heavy.sum() > 100
    assert ((low[heavy] <= clv[heavy]) & (clv[heavy] <= high[heavy])).all()
    with Session(engine) as session:
        status = model_status(session)
    assert status.selected_by == "auto"
    assert len(status.comparison) == 3
    assert status.equity_range is not None
    assert status.equity_range.low < status.customer_equity < status.equity_range.high


def test_next_order_and_overdue_follow_the_lomax_wait(engine: Engine, demo: Settings) -> None:
    with Session(engine) as session:
        params = model_status(session).transactions_model.params
    c = _scores(engine)
    repeat = c["x"].astype(int) > 0
    x, t_x, T = (c[k][repeat].astype(float) for k in ("x", "t_x", "T"))
    wait = stats.lomax(c=params["r"] + x, scale=params["alpha"] + T)
    expected_next = [AS_OF + timedelta(days=int(np.ceil(d))) for d in wait.median()]
    stored_next = list(c["next"][repeat])
    assert stored_next == expected_next
    late = (T - t_x) > wait.ppf(0.8)
    overdue = c["overdue"][repeat].astype(bool)
    dormant = c["dormant"][repeat].astype(bool)
    assert (overdue == (late & ~dormant)).all()
    assert overdue.sum() > 0
    assert not c["overdue"][~repeat].astype(bool).any()  # one-time buyers have no rhythm
    with Session(engine) as session:
        listing = overdue_customers(session, limit=20)
    stakes = [row.value_at_stake for row in listing.rows]
    assert stakes == sorted(stakes, reverse=True)
    assert len(stakes) == min(20, int(overdue.sum()))
    assert all(isinstance(row.next_order_on, date) for row in listing.rows)
