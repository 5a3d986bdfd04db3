"""Migrations on a store with data in it: existing rows end up meaning what they meant."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from alembic import command
from sqlalchemy import Engine, func, insert, inspect, select
from sqlmodel import Session

from clv.insights import current_run
from clv.store import upgrade
from clv.store.schema import alembic_config
from clv.store.tables import (
    customer_scores_table,
    customer_weekly_table,
    customers_table,
    run_group_stats_table,
    scoring_runs_table,
)

runs = scoring_runs_table
NAME = "customer_scores"
STARTED = datetime(2024, 7, 1, 2, tzinfo=UTC)


def _run(status: str, as_of: date) -> dict[str, Any]:
    return {
        "as_of": as_of,
        "week_end": as_of,
        "status": status,
        "model": "mbgnbd",
        "started_at": STARTED,
        "details": {},
    }


def _scores(run_id: int, customer_id: int) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "customer_id": customer_id,
        **dict.fromkeys(("orders", "refunds", "historical_value_minor", "frequency"), 1),
        **dict.fromkeys(("recency", "tenure", "monetary", "predicted_clv", "formula_clv"), 1.0),
        **dict.fromkeys(("expected_purchases_90d", "expected_spend", "value_at_stake"), 0.0),
        **dict.fromkeys(("r_score", "f_score", "m_score"), 3),
        "segment": "Need Attention",
        "stage": "new",
        "dormant": False,
    }


def _counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as connection:
        scores = connection.execute(select(func.count()).select_from(customer_scores_table))
        stats = connection.execute(select(func.count()).select_from(run_group_stats_table))
        return scores.scalar_one(), stats.scalar_one()


def test_0004_keeps_the_run_owning_the_scores_full_and_makes_other_complete_runs_backfill(
    engine: Engine,
) -> None:
    config = alembic_config(engine)
    command.downgrade(config, "0003")
    with engine.begin() as connection:
        (customer,) = connection.execute(
            insert(customers_table).returning(customers_table.c.id),
            {"external_id": "c1", "opted_out": False},
        ).one()
        for status, day in (
            ("complete", date(2024, 6, 23)),  # a full run whose scores were replaced since
            ("complete", date(2024, 6, 30)),  # the full run that owns the scores
            ("complete", date(2024, 6, 16)),  # a backfill recorded after it (the old bug)
            ("failed", date(2024, 7, 7)),
        ):
            connection.execute(insert(runs).values(_run(status, day)))
        connection.execute(insert(customer_scores_table).values(_scores(2, customer)))
        connection.execute(
            insert(run_group_stats_table).values(
                run_id=2, dimension="segment", name="Need Attention", customers=1,
                clv_sum=1.0, clv_median=1.0,
            )
        )  # fmt: skip
    upgrade(engine)
    with engine.connect() as connection:
        kinds = connection.execute(select(runs.c.id, runs.c.status, runs.c.kind)).all()
    assert sorted(kinds) == [
        (1, "complete", "backfill"),
        (2, "complete", "full"),
        (3, "complete", "backfill"),
        (4, "failed", "full"),
    ]
    with Session(engine) as session:
        assert current_run(session).id == 2
    assert _counts(engine) == (1, 1)

    # and back: in place, not a copy of the table (dropping a copied scoring_runs on SQLite
    # would cascade to every run's scores); runs the older clvbot cannot read become failed
    with engine.begin() as connection:
        connection.execute(
            insert(runs).values({**_run("running", date(2024, 7, 14)), "kind": "full"})
        )
    command.downgrade(config, "0003")
    with engine.connect() as connection:
        statuses = connection.execute(select(runs.c.status).order_by(runs.c.id)).scalars().all()
    assert statuses == ["complete", "complete", "complete", "failed", "failed"]
    assert _counts(engine) == (1, 1)
    upgrade(engine)


def test_0013_keeps_the_weekly_history_and_drops_only_its_key_to_customers(
    engine: Engine,
) -> None:
    from sqlalchemy import inspect

    config = alembic_config(engine)
    command.downgrade(config, "0012")
    week = {"week_end": date(2024, 6, 30), "predicted_clv": 12.5, "segment": "Champions"}
    with engine.begin() as connection:
        (customer,) = connection.execute(
            insert(customers_table).returning(customers_table.c.id),
            {"external_id": "c1", "opted_out": False},
        ).one()
        connection.execute(
            insert(customer_weekly_table).values(**week, customer_id=customer, dormant=True)
        )
    assert inspect(engine).get_foreign_keys("customer_weekly") != []
    upgrade(engine)
    fresh = inspect(engine)
    assert fresh.get_foreign_keys("customer_weekly") == []
    assert fresh.get_pk_constraint("customer_weekly")["constrained_columns"] == [
        "week_end",
        "customer_id",
    ]
    assert [index["name"] for index in fresh.get_indexes("customer_weekly")] == [
        "ix_customer_weekly_customer"
    ]
    with engine.connect() as connection:
        rows = connection.execute(select(customer_weekly_table)).mappings().all()
    assert [dict(row) for row in rows] == [{**week, "customer_id": customer, "dormant": True}]


def test_0014_drops_the_scores_key_to_customers_keeping_the_rows_and_the_key_to_runs(
    engine: Engine,
) -> None:
    def referred() -> set[str]:
        return {key["referred_table"] for key in inspect(engine).get_foreign_keys(NAME)}

    sqlite = engine.dialect.name == "sqlite"
    if sqlite:  # PostgreSQL's scores live in a run's partition (clv.scoring.partitions)
        with engine.begin() as connection:
            (customer,) = connection.execute(
                insert(customers_table).returning(customers_table.c.id),
                {"external_id": "c1", "opted_out": False},
            ).one()
            connection.execute(insert(runs).values(_run("complete", date(2024, 6, 30))))
            connection.execute(insert(customer_scores_table).values(_scores(1, customer)))
    assert referred() == {"scoring_runs"}
    command.downgrade(alembic_config(engine), "0013")
    assert referred() == {"scoring_runs", "customers"}
    upgrade(engine)
    assert referred() == {"scoring_runs"}
    if sqlite:
        assert _counts(engine)[0] == 1
        with engine.connect() as connection:  # the table made again: its indexes are back
            names = {i["name"] for i in inspect(connection).get_indexes(NAME)}
        assert names == {str(index.name) for index in customer_scores_table.indexes}
