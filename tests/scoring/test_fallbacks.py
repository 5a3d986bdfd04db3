"""Fits that never leave a shop without an answer: boundary maxima recognised and replaced by
their limits, and shops below the data floor told exactly what is missing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session

from clv.insights import model_status
from clv.scoring.pipeline import score
from clv.store.tables import customer_scores_table
from tests.helpers import shipped_settings, view_of
from tests.scoring.stores import (
    import_order_rows,
    no_dropout_rows,
    one_time_rows,
    regular_rows,
    shop_rows,
)

START, AS_OF = date(2024, 1, 1), date(2024, 12, 31)


def _stored_clv(engine: Engine) -> list[float]:
    with engine.connect() as connection:
        rows = connection.execute(select(customer_scores_table.c.predicted_clv)).scalars()
        return [float(v) for v in rows]


def test_a_shop_where_nobody_drops_out_gets_the_nbd_limit(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    settings = shipped_settings(database_url, clv_model="mbgnbd")
    import_order_rows(engine, settings, tmp_path, no_dropout_rows(2000, start=START, days=365))
    (result,) = score(engine, settings, as_of=AS_OF)
    assert result.model == "nbd"
    assert result.customer_equity > 0
    assert any("no-dropout boundary" in w for w in result.warnings), result.warnings
    with Session(engine) as session:
        status = model_status(session)
    assert status.transactions_model.name == "NBD (no dropout)"
    assert status.transactions_model.fitted


def test_a_regular_cadence_shop_is_penalized_to_its_poisson_limit(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    settings = shipped_settings(database_url, clv_model="bgnbd")
    import_order_rows(engine, settings, tmp_path, regular_rows(800, start=START, days=365))
    (result,) = score(engine, settings, as_of=AS_OF)
    assert result.customer_equity > 0
    assert result.warnings, "the fallback is said"
    assert all(v >= 0 for v in _stored_clv(engine))


def test_a_shop_of_40_customers_is_told_what_is_missing(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    settings = shipped_settings(database_url)
    import_order_rows(engine, settings, tmp_path, shop_rows(40, start=START, days=365))
    (result,) = score(engine, settings, as_of=AS_OF)
    said = "predictions start at 500 customers with orders; you have 40"
    assert any(said in w for w in result.warnings), result.warnings
    assert result.customer_equity == 0
    with Session(engine) as session:
        status = model_status(session)
        view = view_of(session, "c1")
    assert status.withheld is not None
    assert said in status.withheld
    assert view.run.withheld == status.withheld
    assert view.scores.formula_clv > 0
    assert view.scores.clv_low is None


def test_a_shop_of_600_one_time_buyers_is_told_what_is_missing(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    settings = shipped_settings(database_url)
    import_order_rows(engine, settings, tmp_path, one_time_rows(600, start=START, days=365))
    (result,) = score(engine, settings, as_of=AS_OF)
    said = "predictions start at 50 customers who ordered again; you have 0"
    assert any(said in w for w in result.warnings), result.warnings


@pytest.mark.parametrize("missing", ["customers", "history"])
def test_the_floor_names_each_gap(missing: str) -> None:
    from clv.segments.predictions import PredictionFloor

    gap = PredictionFloor().missing(
        customers=212 if missing == "customers" else 900,
        history_days=90 if missing == "history" else 400,
        repeat_buyers=80,
    )
    expected = {
        "customers": "predictions start at 500 customers with orders; you have 212",
        "history": "predictions start at 180 days of order history; you have 90",
    }
    assert gap == expected[missing]
