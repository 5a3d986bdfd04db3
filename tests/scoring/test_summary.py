"""Summaries built in SQL from the CDNOW transactions equal the published CDNOW summaries."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import Engine, select

from clv.datasets import cdnow_path, write_cdnow_orders_csv
from clv.ingest import import_customers, import_orders
from clv.scoring.order_stats import EPOCH
from clv.scoring.summary import build_summaries, build_summary
from clv.settings import Settings
from clv.store.tables import customers_table
from tests.helpers import ORDER_HEADER, write_csv


@pytest.fixture
def cdnow_store(engine: Engine, settings: Settings, tmp_path: Path) -> Engine:
    import_orders(engine, write_cdnow_orders_csv(tmp_path / "cdnow.csv"), settings)
    return engine


def test_summary_equals_published_cdnow_summary(cdnow_store: Engine) -> None:
    """cdnow_customers_summary_with_transactions.csv: x, t_x, T (weeks, 2 decimals), zbar."""
    with cdnow_store.connect() as connection:
        summary = build_summary(connection, as_of=date(1997, 9, 30))
        query = select(customers_table.c.id, customers_table.c.external_id)
        ids = {row.id: row.external_id for row in connection.execute(query)}
    with cdnow_path("cdnow_customers_summary_with_transactions.csv").open() as file:
        published = {row["ID"]: row for row in csv.DictReader(file)}
    assert len(summary) == len(published) == 2357
    for i, row_id in enumerate(summary.customer_id):
        expected = published[ids[int(row_id)]]
        assert summary.frequency[i] == int(expected["x"]), expected
        assert round(summary.recency[i] / 7, 2) == pytest.approx(float(expected["t_x"]), abs=1e-9)
        assert round(summary.T[i] / 7, 2) == pytest.approx(float(expected["T"]), abs=1e-9)
        assert summary.monetary_minor[i] / 100 == pytest.approx(  # published rounds half-up
            float(expected["zbar"]), abs=0.0051
        ), expected


def test_summary_matches_the_published_frequency_file(cdnow_store: Engine) -> None:
    """cdnow_customers_summary.csv: the same customers in the frequency/recency/T file."""
    with cdnow_store.connect() as connection:
        summary = build_summary(connection, as_of=date(1997, 9, 30))
    with cdnow_path("cdnow_customers_summary.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert sorted(summary.frequency.tolist()) == sorted(int(r["frequency"]) for r in rows)
    assert np.round(summary.T / 7, 2).sum() == pytest.approx(sum(float(r["T"]) for r in rows))


PROSPECT = {
    **dict.fromkeys(("orders", "refunds", "bought_minor", "historical_minor", "frequency"), 0),
    **dict.fromkeys(("first_day", "last_day"), -1),
    **dict.fromkeys(("recency", "T", "monetary_minor"), 0.0),
}


def _purchases(orders: list[tuple[str, date, int]]) -> list[tuple[str, date, int]]:
    """The orders that are purchases: amount >= 0, except on a customer's day whose refunds
    cancel all its purchases (the day's net <= 0)."""
    net: dict[tuple[str, date], int] = {}
    refunded: set[tuple[str, date]] = set()
    for c, day, amount in orders:
        net[c, day] = net.get((c, day), 0) + amount
        if amount < 0:
            refunded.add((c, day))
    return [
        (c, day, a)
        for c, day, a in orders
        if a >= 0 and not ((c, day) in refunded and net[c, day] <= 0)
    ]


def _reference(orders: list[tuple[str, date, int]], as_of: date) -> dict[str, dict[str, Any]]:
    """Each customer's summary as of `as_of`, straight from the definitions, in plain Python."""
    out: dict[str, dict[str, Any]] = {}
    orders_of: dict[str, list[tuple[date, int]]] = {}  # each customer's, in the given order
    bought_of: dict[str, list[tuple[date, int]]] = {}
    for c, day, amount in orders:
        mine = orders_of.setdefault(c, [])  # every customer, even one whose orders come later
        if day <= as_of:
            mine.append((day, amount))
    for c, day, amount in _purchases(orders):
        if day <= as_of:
            bought_of.setdefault(c, []).append((day, amount))
    for customer in sorted(orders_of):
        mine, mine_bought = orders_of[customer], bought_of.get(customer, [])
        by_day: dict[date, int] = {}
        for day, amount in mine_bought:
            by_day[day] = by_day.get(day, 0) + amount
        days = sorted(by_day)
        first, last = (days[0], days[-1]) if days else (None, None)
        repeat = [by_day[d] for d in days[1:]]
        out[customer] = {
            "orders": len(mine_bought),
            "refunds": sum(amount < 0 for _, amount in mine),
            "bought_minor": sum(amount for _, amount in mine_bought),
            "historical_minor": sum(amount for _, amount in mine),
            "first_day": (first - EPOCH).days if first else -1,
            "last_day": (last - EPOCH).days if last else -1,
            "frequency": max(len(days) - 1, 0),
            "recency": (last - first).days if first and last else 0,
            "T": (as_of - first).days if first else 0,
            "monetary_minor": sum(repeat) / len(repeat) if repeat else 0.0,
        }
    return out


@pytest.mark.parametrize("full_at_end", [True, False])
def test_summaries_match_a_plain_python_reference(
    engine: Engine, settings: Settings, tmp_path: Path, full_at_end: bool
) -> None:
    """Refunds, several orders a day, refund-only customers, orders after the end, prospects."""
    rng = np.random.default_rng(7)
    start = date(2022, 1, 1)
    orders = []
    for k in range(400):
        for _ in range(int(rng.integers(1, 12))):
            day = start + timedelta(days=int(rng.integers(0, 1100)))
            amount = int(rng.integers(-3000, 9000)) if k % 7 else -int(rng.integers(1, 500))
            orders.append((f"c{k}", day, amount))
            if rng.random() < 0.2:  # another order the same day
                orders.append((f"c{k}", day, int(rng.integers(0, 5000))))
    rows = [
        [f"o{i}", c, day.isoformat(), f"{amount / 100:.2f}"]
        for i, (c, day, amount) in enumerate(orders)
    ]
    import_orders(engine, write_csv(tmp_path / "orders.csv", ORDER_HEADER, rows), settings)
    import_customers(
        engine, write_csv(tmp_path / "c.csv", ["customer_id"], [["p1"], ["p2"]]), settings
    )
    end, cutoff = date(2024, 6, 30), date(2024, 3, 31)
    full_at = end if full_at_end else cutoff
    with engine.connect() as connection:
        pair = build_summaries(connection, end=end, cutoff=cutoff, full_at=full_at)
        query = select(customers_table.c.id, customers_table.c.external_id)
        names = {row.id: row.external_id for row in connection.execute(query)}
    full, light = (pair.at_end, pair.at_cutoff) if full_at_end else (pair.at_cutoff, pair.at_end)
    light_fields = ("first_day", "last_day", "frequency", "recency", "T")
    for summary, fields in ((full, None), (light, light_fields)):
        expected = _reference(orders, summary.as_of)
        for i, row_id in enumerate(summary.customer_id.tolist()):
            want = expected.get(names[row_id], PROSPECT)
            got = {field: getattr(summary, field)[i] for field in fields or want}
            assert got == pytest.approx({f: want[f] for f in got}), names[row_id]
    as_of = full_at
    week = [a for _, day, a in orders if as_of - timedelta(days=7) < day <= as_of]
    assert pair.revenue_last_week_minor == sum(week)
    bought = {
        (c, day > as_of - timedelta(days=365))
        for c, day, _ in _purchases(orders)
        if as_of - timedelta(days=730) < day <= as_of
    }
    before = {c for c, recent in bought if not recent}
    assert pair.active_year_before == len(before)
    assert pair.retained_last_year == len(before & {c for c, recent in bought if recent})
    first = min(day for _, day, _ in _purchases(orders) if day <= end)
    assert pair.first_order_day == (first - EPOCH).days
