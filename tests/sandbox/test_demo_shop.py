"""The demo shop: deterministic, realistic, and drawn from the models clvbot fits."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from clv.datasets import ShopParams, generate_shop, write_shop_csvs
from clv.ingest import import_customers, import_orders
from clv.predictive import BetaGeoModel, GammaGammaModel
from clv.settings import Settings
from clv.store import make_engine, upgrade

NOW = datetime(2024, 6, 30, 15, 30)  # naive: the shop's own time zone


def test_the_shop_is_deterministic_and_looks_like_a_shop() -> None:
    shop = generate_shop(3000, now=NOW)
    assert shop == generate_shop(3000, now=NOW)
    customers = {c.customer_id: c for c in shop.customers}
    assert len(customers) == 3000
    for c in shop.customers:
        assert len(c.name.split(" ")) == 2
        assert re.fullmatch(rf"[a-z]+\.[a-z]+\.{c.customer_id}@example\.com", c.email)
        assert NOW - timedelta(days=18 * 31) <= c.acquired_at <= NOW
    assert 0.015 < sum(c.opted_out for c in shop.customers) / 3000 < 0.05
    nps = [c.nps for c in shop.customers if c.nps is not None]
    assert 0.17 < len(nps) / 3000 < 0.23
    assert set(nps) <= set(range(11))
    channels = {c.channel: c.acquisition_cost for c in shop.customers}
    assert set(channels) == {"organic", "paid search", "social", "email", "referral"}
    assert channels["organic"] < channels["paid search"]
    first_orders: dict[str, datetime] = {}
    for order in shop.orders:
        assert customers[order.customer_id].acquired_at <= order.ordered_at <= NOW
        first_orders.setdefault(order.customer_id, order.ordered_at)
    assert all(first_orders[k] == customers[k].acquired_at for k in first_orders)
    assert 0.9 < len(first_orders) / 3000 < 0.98  # some sign up and never buy
    assert max(o.ordered_at for o in shop.orders) > NOW - timedelta(days=2)  # history ends today
    assert any(o.amount < 0 for o in shop.orders)  # a few refunds


def test_the_shop_recovers_its_bgnbd_and_gamma_gamma_parameters() -> None:
    """Fitting the models clvbot uses on the generated purchases gives back the parameters."""
    shop = generate_shop(12_000, now=NOW)
    days: dict[str, list[float]] = defaultdict(list)
    spend: dict[str, list[float]] = defaultdict(list)
    for o in shop.orders:
        if o.amount > 0:
            days[o.customer_id].append((o.ordered_at - NOW).total_seconds() / 86_400)
            spend[o.customer_id].append(o.amount)
    x = np.array([len(d) - 1 for d in days.values()], dtype=float)
    t_x = np.array([max(d) - min(d) for d in days.values()])
    T = np.array([-min(d) for d in days.values()])
    bg = BetaGeoModel().fit(x, t_x, T).params
    true = ShopParams()
    # the means are well identified at this size; the shapes only roughly
    assert bg["r"] / bg["alpha"] == pytest.approx(true.r / true.alpha, rel=0.1)
    assert bg["a"] / (bg["a"] + bg["b"]) == pytest.approx(true.a / (true.a + true.b), rel=0.1)
    for name in ("r", "alpha", "a", "b"):
        assert bg[name] == pytest.approx(getattr(true, name), rel=0.25), name
    repeat = [(len(s) - 1, float(np.mean(s[1:]))) for s in spend.values() if len(s) > 1]
    freq, value = (np.array(v) for v in zip(*repeat, strict=True))
    gg = GammaGammaModel().fit(freq, value).params
    mean_spend = gg["p"] * gg["v"] / (gg["q"] - 1)
    assert mean_spend == pytest.approx(true.p_spend * true.gamma / (true.q - 1), rel=0.05)


def test_the_shop_goes_through_the_real_importers_without_a_reject(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    settings = Settings(database_url=url, _env_file=None)
    engine = make_engine(url)
    upgrade(engine)
    shop = generate_shop(700, now=NOW)
    customers_csv, orders_csv = write_shop_csvs(shop, tmp_path)
    customers = import_customers(engine, customers_csv, settings)
    orders = import_orders(engine, orders_csv, settings)
    engine.dispose()
    assert (customers.rejected, customers.imported) == (0, 700)
    assert (orders.rejected, orders.imported) == (0, len(shop.orders))
