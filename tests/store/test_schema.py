"""The store's schema: migrations match the models, and timestamps come back in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, insert, select
from sqlmodel import SQLModel

from clv.store.tables import customers_table, orders_table


def test_migrations_match_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert diff == []


def test_timestamps_are_stored_in_utc(engine: Engine) -> None:
    eastern = timezone(timedelta(hours=-5))
    with engine.begin() as connection:
        (cid,) = connection.execute(
            insert(customers_table).returning(customers_table.c.id),
            {"external_id": "c", "opted_out": False},
        ).one()
        connection.execute(
            insert(orders_table),
            {
                "external_id": "o",
                "customer_id": cid,
                "ordered_on": date(2024, 1, 1),
                "ordered_at": datetime(2024, 1, 1, 22, 0, tzinfo=eastern),
                "amount_minor": 1,
            },
        )
    with engine.connect() as connection:
        stored = connection.execute(select(orders_table.c.ordered_at)).scalar_one()
    assert stored == datetime(2024, 1, 2, 3, 0, tzinfo=UTC)
    assert stored.tzinfo is UTC


def test_the_head_revision_every_command_checks_is_the_newest_migration(engine: Engine) -> None:
    from clv.store.schema import HEAD_REVISION, current_revision, head_revision

    assert head_revision(engine) == HEAD_REVISION  # the migrations' newest script
    assert current_revision(engine) == HEAD_REVISION  # and the fixture's database is at it
