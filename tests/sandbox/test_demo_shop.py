"""The demo shop: deterministic, realistic, and drawn from the models clvbot fits."""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from clv.datasets import Shop, ShopParams, generate_shop, write_shop_csvs
from clv.datasets.shop import CHANNELS, channel_multipliers
from clv.ingest import import_customers, import_orders
from clv.predictive import BetaGeoModel, GammaGammaModel
from clv.settings import Settings
from clv.store import make_engine, upgrade
from clv.store.tables import customers_table

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
    channels = Counter(c.channel for c in shop.customers)
    assert set(channels) == {"organic", "paid search", "paid social", "affiliate", "email",
                             "referral"}  # fmt: skip
    for name, (share, _cost) in CHANNELS.items():
        assert channels[name] / 3000 == pytest.approx(share, abs=0.03), name
    first_orders: dict[str, datetime] = {}
    for order in shop.orders:
        assert customers[order.customer_id].acquired_at <= order.ordered_at <= NOW
        first_orders.setdefault(order.customer_id, order.ordered_at)
    # most sign up a few days before their first order, the others with it
    lags = [(first_orders[k] - customers[k].acquired_at).days for k in first_orders]
    assert 0.25 < sum(1 for lag in lags if lag == 0) / len(lags) < 0.6
    assert 2 < statistics.median(lag for lag in lags if lag > 0) < 8
    assert 0.9 < len(first_orders) / 3000 < 0.98  # some sign up and never buy
    assert max(o.ordered_at for o in shop.orders) > NOW - timedelta(days=2)  # history ends today
    assert any(o.amount < 0 for o in shop.orders)  # a few refunds


def test_acquisition_costs_lie_in_their_channels_ranges_and_free_channels_have_none() -> None:
    shop = generate_shop(3000, now=NOW)
    costs: dict[str, list[float | None]] = defaultdict(list)
    for c in shop.customers:
        costs[c.channel].append(c.acquisition_cost)
    assert set(costs["organic"]) == set(costs["referral"]) == {None}  # no CAC, not a CAC of 0
    paid = {"paid search": (30, 60), "paid social": (20, 45), "affiliate": (12, 25),
            "email": (3, 8)}  # fmt: skip
    for name, (low, high) in paid.items():
        drawn = [cost for cost in costs[name] if cost is not None]
        assert len(drawn) == len(costs[name]), name
        assert all(low <= cost <= high and round(cost, 2) == cost for cost in drawn), name
        assert len(set(drawn)) > len(drawn) / 2, name  # drawn per customer, not one price
        assert float(np.mean(drawn)) == pytest.approx((low + high) / 2, rel=0.1), name


def test_nps_answers_follow_the_respondents_purchases() -> None:
    """Repeat buyers rate the shop higher than one-time buyers; refunds and churn lower it."""
    shop = generate_shop(3000, now=NOW)
    purchases = Counter(o.customer_id for o in shop.orders if o.amount > 0)
    refunded = {o.customer_id for o in shop.orders if o.amount < 0}
    answers = [(c.nps, c.customer_id) for c in shop.customers if c.nps is not None]
    assert all(purchases[k] > 0 for _, k in answers)  # prospects have nothing to rate
    repeat = [nps for nps, k in answers if purchases[k] > 1]
    once = [nps for nps, k in answers if purchases[k] == 1]
    assert min(len(repeat), len(once)) > 100
    assert float(np.mean(repeat)) > float(np.mean(once)) + 0.5
    with_refund = [nps for nps, k in answers if k in refunded]
    assert float(np.mean(with_refund)) < float(np.mean([nps for nps, _ in answers])) - 1
    promoters = sum(nps >= 9 for nps, _ in answers) / len(answers)
    detractors = sum(nps <= 6 for nps, _ in answers) / len(answers)
    assert 0.1 < promoters - detractors < 0.4  # a positive NPS, as in a shop people return to


def _purchase_days(shop: Shop) -> dict[str, list[float]]:
    days: dict[str, list[float]] = defaultdict(list)
    for o in shop.orders:
        if o.amount > 0:
            days[o.customer_id].append((o.ordered_at - NOW).total_seconds() / 86_400)
    return days


def _fit_bgnbd(histories: list[list[float]]) -> dict[str, float]:
    x = np.array([len(d) - 1 for d in histories], dtype=float)
    t_x = np.array([max(d) - min(d) for d in histories])
    T = np.array([-min(d) for d in histories])
    return BetaGeoModel().fit(x, t_x, T).params


def test_each_channel_recovers_its_own_bgnbd_rate_and_dropout() -> None:
    """Within a channel purchases are BG/NBD with lambda and p scaled by the channel's
    multipliers: fitting the model clvbot uses on the channel's purchases gives them back."""
    shop = generate_shop(12_000, now=NOW)
    channel = {c.customer_id: c.channel for c in shop.customers}
    days = _purchase_days(shop)
    true, multipliers = ShopParams(), channel_multipliers()
    beta = np.random.default_rng(0).beta(true.a, true.b, 1_000_000)
    rates = {}
    for name in ("organic", "paid search", "paid social"):  # the large channels
        bg = _fit_bgnbd([d for k, d in days.items() if channel[k] == name])
        rate_x, dropout_x = multipliers[name]
        rates[name] = bg["r"] / bg["alpha"]
        assert rates[name] == pytest.approx(true.r / true.alpha * rate_x, rel=0.1), name
        assert bg["r"] == pytest.approx(true.r, rel=0.25), name
        mean_p = float(np.minimum(beta * dropout_x, 1.0).mean())  # p is capped at 1
        assert bg["a"] / (bg["a"] + bg["b"]) == pytest.approx(mean_p, rel=0.15), name
    assert rates["paid social"] < 0.6 * rates["organic"]
    # over all channels the multipliers average 1: the shop keeps ShopParams' mean rate
    pooled = _fit_bgnbd(list(days.values()))
    assert pooled["r"] / pooled["alpha"] == pytest.approx(true.r / true.alpha, rel=0.1)


def test_the_shop_recovers_its_gamma_gamma_parameters() -> None:
    shop = generate_shop(12_000, now=NOW)
    spend: dict[str, list[float]] = defaultdict(list)
    for o in shop.orders:
        if o.amount > 0:
            spend[o.customer_id].append(o.amount)
    repeat = [(len(s) - 1, float(np.mean(s[1:]))) for s in spend.values() if len(s) > 1]
    freq, value = (np.array(v) for v in zip(*repeat, strict=True))
    gg = GammaGammaModel().fit(freq, value).params
    true = ShopParams()
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
    with engine.connect() as connection:
        query = select(customers_table.c.external_id, customers_table.c.acquisition_cost_minor)
        stored = {str(k): cost for k, cost in connection.execute(query)}
    engine.dispose()
    assert (customers.rejected, customers.imported) == (0, 700)
    assert (orders.rejected, orders.imported) == (0, len(shop.orders))
    expected = {
        c.customer_id: None if c.acquisition_cost is None else round(c.acquisition_cost * 100)
        for c in shop.customers
    }
    assert stored == expected  # an empty cell: no acquisition cost, not a cost of 0
