"""Fits that never leave a shop without an answer: boundary maxima recognised and replaced by
their limits, and shops below the data floor told exactly what is missing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session

from clv.insights import model_status
from clv.scoring.fitting import RETRY_PENALIZER, fit_purchase_model
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


def test_a_regular_cadence_shop_where_nobody_stops_gets_an_answer_from_auto(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    settings = shipped_settings(database_url)  # auto: Pareto/NBD too, which ran for minutes
    import_order_rows(engine, settings, tmp_path, regular_rows(800, start=START, days=365))
    (result,) = score(engine, settings, as_of=AS_OF)
    assert result.model == "nbd"
    assert result.customer_equity > 0
    assert any("no-dropout boundary" in w for w in result.warnings), result.warnings
    assert all(v >= 0 for v in _stored_clv(engine))


def _regular_with_stops(n: int = 3000, every: int = 30, end: int = 540) -> tuple[np.ndarray, ...]:
    """Everyone orders every `every` days, and stops after a geometric number of orders:
    dropout, but one purchase rate for all (no heterogeneity)."""
    rng = np.random.default_rng(5)
    first = rng.integers(0, 180, n).astype(float)
    stops = rng.geometric(0.15, n)
    days = [np.arange(f, end + 1, every)[:k] for f, k in zip(first, stops, strict=True)]
    x = np.array([d.size - 1 for d in days], dtype=float)
    t_x = np.array([d[-1] - d[0] for d in days], dtype=float)
    return x, t_x, end - first


def test_one_rate_for_everyone_is_the_poisson_limit_kept_finite_by_a_penalty() -> None:
    outcome = fit_purchase_model("pnbd", *_regular_with_stops())
    assert outcome.used == "pnbd"
    assert outcome.penalizer == RETRY_PENALIZER
    assert "ran to its Poisson limit" in outcome.steps[0]
    assert outcome.model is not None
    params = outcome.model.params
    # the common rate: every 30 days, so r / alpha close to 1/30 a day
    assert params["r"] / params["alpha"] == pytest.approx(1 / 30, rel=0.25)


SMALL_SHOPS = {
    "40 customers": (
        shop_rows(40, start=START, days=365),
        "predictions start at 500 customers with orders; you have 40",
    ),
    "600 one-time buyers": (
        one_time_rows(600, start=START, days=365),
        "predictions start at 50 customers who ordered again; you have 0",
    ),
}


@pytest.mark.parametrize("shop", list(SMALL_SHOPS))
def test_a_shop_below_the_floor_is_told_what_is_missing(
    engine: Engine, database_url: str, tmp_path: Path, shop: str
) -> None:
    rows, said = SMALL_SHOPS[shop]
    settings = shipped_settings(database_url)
    import_order_rows(engine, settings, tmp_path, rows)
    (result,) = score(engine, settings, as_of=AS_OF)
    assert any(said in w for w in result.warnings), result.warnings
    assert result.model == "none"
    assert result.customer_equity == 0
    with Session(engine) as session:
        status = model_status(session)
        view = view_of(session, "c1")
    assert status.withheld is not None
    assert said in status.withheld
    assert not status.transactions_model.fitted
    assert view.run.withheld == status.withheld
    assert view.scores.formula_clv > 0  # the values that need no model are there
    assert view.scores.clv_low is None
    assert view.scores.next_order_on is None


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
