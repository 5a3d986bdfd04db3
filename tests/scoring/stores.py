"""Small stores for the scoring tests: orders written as CSV and imported the way users do."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import Engine

from clv.ingest import import_orders
from clv.settings import Settings
from tests.helpers import ORDER_HEADER, write_csv


def import_order_rows(
    engine: Engine, settings: Settings, tmp_path: Path, rows: list[list[str]]
) -> None:
    import_orders(engine, write_csv(tmp_path / "orders.csv", ORDER_HEADER, rows), settings)


def steady_rows(customers: int, orders: int, *, start: date, every_days: int) -> list[list[str]]:
    """`orders` $10 orders, one every `every_days` days, dealt round-robin to `customers`."""
    return [
        [f"o{i}", f"c{i % customers}", (start + timedelta(days=every_days * i)).isoformat(), "10"]
        for i in range(orders)
    ]


def shop_rows(customers: int, *, start: date, days: int, seed: int = 7) -> list[list[str]]:
    """Orders of `customers` buyers over `days` from `start` (fixed seed), drawn as the models
    assume: BG/NBD purchases, rate ~ Gamma(0.8, rate 30 days) and drop-out chance ~ Beta(1, 3);
    Gamma-Gamma spend around each customer's own mean. Big enough to fit in a fraction of a
    second per run."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(customers):
        rate, dropout, scale = rng.gamma(0.8, 1 / 30.0), rng.beta(1.0, 3.0), rng.gamma(3.0, 4.0)
        day, k = float(rng.uniform(0, days * 0.8)), 0
        while day <= days:
            ordered = (start + timedelta(days=int(day))).isoformat()
            rows.append([f"o{c}-{k}", f"c{c}", ordered, f"{rng.gamma(4.0, scale):.2f}"])
            if rng.random() < dropout:
                break
            day, k = day + float(rng.exponential(1 / rate)), k + 1
    return rows


def no_dropout_rows(customers: int, *, start: date, days: int, seed: int = 3) -> list[list[str]]:
    """Customers who never stop buying: Poisson purchases at a rate ~ Gamma(1, rate 40 days)
    from a first order in the first half of the window to its end (the NBD model, the
    boundary of BG/NBD and MBG/NBD where nobody drops out)."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(customers):
        rate, day, k = rng.gamma(1.0, 1 / 40.0), float(rng.uniform(0, days / 2)), 0
        while day <= days:
            ordered = (start + timedelta(days=int(day))).isoformat()
            rows.append([f"o{c}-{k}", f"c{c}", ordered, f"{rng.gamma(4.0, 5.0):.2f}"])
            day, k = day + float(rng.exponential(1 / rate)), k + 1
    return rows


def regular_rows(customers: int, *, start: date, days: int, every: int = 30) -> list[list[str]]:
    """Every customer orders every `every` days from a first order in the first `every` days:
    one rate for all (the Poisson limit: no heterogeneity), more regular than Poisson."""
    rows = []
    for c in range(customers):
        for k, day in enumerate(range(c % every, days + 1, every)):
            ordered = (start + timedelta(days=day)).isoformat()
            rows.append([f"o{c}-{k}", f"c{c}", ordered, "25.00"])
    return rows


def one_time_rows(customers: int, *, start: date, days: int) -> list[list[str]]:
    """`customers` buyers who each ordered once, spread over `days`."""
    return [
        [f"o{c}", f"c{c}", (start + timedelta(days=c * days // customers)).isoformat(), "30"]
        for c in range(customers)
    ]
