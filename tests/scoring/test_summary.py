"""Summaries built in SQL from the CDNOW transactions equal the published CDNOW summaries."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, select

from clv.datasets import cdnow_path, write_cdnow_orders_csv
from clv.ingest import import_orders
from clv.scoring.summary import build_summary
from clv.settings import Settings
from clv.store.tables import customers_table


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
