"""A shop's own database, the source of `--from-sql` and the nightly sync (store's backend)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from tests.postgres import Cluster

_names = itertools.count()


@dataclass
class ShopDatabase:
    """`shop_orders (ref, buyer, placed_at, total)` in a database of its own."""

    url: str  # as a user writes it: postgresql:// (no driver) or sqlite:///
    engine: Engine

    @property
    def sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    def add(self, *rows: tuple[str, str, datetime, Decimal | str | None]) -> None:
        with self.engine.begin() as connection:
            for ref, buyer, at, total in rows:
                connection.execute(
                    text("INSERT INTO shop_orders VALUES (:r, :b, :p, :t)"),
                    {
                        "r": ref,
                        "b": buyer,
                        "p": at.isoformat(" ") if self.sqlite else at,
                        "t": None if total is None else str(total),
                    },
                )


@pytest.fixture
def shop_db(
    database_url: str, tmp_path: Path, pg_cluster: Cluster | None
) -> Iterator[ShopDatabase]:
    """An empty shop database: a SQLite file, or a database of the test PostgreSQL server
    (there `total` is NUMERIC and `placed_at` TIMESTAMPTZ, as a shop would declare them)."""
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'shop.db'}"
        ddl = "CREATE TABLE shop_orders (ref TEXT, buyer TEXT, placed_at TEXT, total TEXT)"
        name = None
    else:
        assert pg_cluster is not None
        name = f"shop_source_{next(_names)}"
        admin = create_engine(pg_cluster.url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name}"))
            connection.execute(text(f"CREATE DATABASE {name}"))
        admin.dispose()
        url = pg_cluster.url_for(name).replace("postgresql+psycopg://", "postgresql://")
        ddl = (
            "CREATE TABLE shop_orders (ref TEXT, buyer TEXT, placed_at TIMESTAMPTZ, "
            "total NUMERIC(12, 2))"
        )
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as connection:
        connection.execute(text(ddl))
    yield ShopDatabase(url, engine)
    engine.dispose()
    if name is not None and pg_cluster is not None:
        admin = create_engine(pg_cluster.url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()
