"""A customer's CLV:CAC is their total CLV (historical net revenue × gross margin + predicted
CLV) over their acquisition cost, checked against the stored orders and scores directly."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from clv.datasets import write_cdnow_orders_csv
from clv.ingest import import_customers, import_orders
from clv.scoring.pipeline import score
from clv.settings import Settings
from clv.store.tables import customer_scores_table, customers_table, orders_table
from tests.helpers import write_csv

AS_OF = date(1997, 9, 30)


def test_clv_cac_divides_total_clv_by_the_acquisition_cost(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    margined = settings.model_copy(update={"gross_margin": 0.4})
    import_orders(engine, write_cdnow_orders_csv(tmp_path / "cdnow.csv"), margined)
    # a fixed rule: every third customer has no CAC, the others $5 to $45
    costs = [[str(k), f"{5 + (k % 5) * 10}.00"] for k in range(1, 2358) if k % 3]
    path = write_csv(tmp_path / "cac.csv", ["customer_id", "acquisition_cost"], costs)
    import_customers(engine, path, margined)
    score(engine, margined, as_of=AS_OF, model="bgnbd")
    c, o, s = customers_table.c, orders_table.c, customer_scores_table.c
    with engine.connect() as connection:
        to_date = (
            select(o.customer_id, func.sum(o.amount_minor))
            .where(o.ordered_on <= AS_OF)  # historical value: the orders up to the as-of day
            .group_by(o.customer_id)
        )
        net = {row_id: int(total) for row_id, total in connection.execute(to_date)}
        rows = connection.execute(
            select(c.id, c.acquisition_cost_minor, s.predicted_clv, s.clv_cac).join(
                customer_scores_table, s.customer_id == c.id
            )
        ).all()
    checked = 0
    for row_id, cac, predicted, ratio in rows:
        if cac is None:
            assert ratio is None
            continue
        expected = (net.get(row_id, 0) / 100 * 0.4 + predicted) / (cac / 100)
        assert ratio == pytest.approx(expected, rel=1e-9), row_id
        checked += 1
    assert checked == len(costs)
