"""`--from-sql`: orders read from a real source database, SQLite or PostgreSQL.

The source is another database than the store, with its own table and column names, typed
values (NUMERIC amounts, timestamps with a zone) and a bad row; the import must store exactly
the rows inserted here and reject the bad one by its row number in the result.
"""

from __future__ import annotations

import itertools
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, select, text

from clv.ingest import ImportFileError, StrictImportError, import_orders_from_sql
from clv.settings import Settings
from clv.store.tables import customers_table, orders_table
from tests.helpers import CLVBOT
from tests.postgres import Cluster

_names = itertools.count()
QUERY = (
    "SELECT ref AS order_id, buyer AS customer_id, placed_at AS ordered_at, total AS amount "
    "FROM shop_orders ORDER BY ref"
)
START = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
ROWS = [(f"S{i:03d}", f"b{i % 7}", START + timedelta(hours=7 * i), Decimal(i * 3) + Decimal("0.25"))
        for i in range(1, 41)]  # fmt: skip


@pytest.fixture
def source_url(database_url: str, tmp_path: Path, pg_cluster: Cluster | None) -> Iterator[str]:
    """A shop database on the store's backend: `shop_orders` with the rows of ROWS and one
    amount that is no number (on PostgreSQL, a NUMERIC column cannot hold one: a NULL)."""
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'shop.db'}"
        ddl = "CREATE TABLE shop_orders (ref TEXT, buyer TEXT, placed_at TEXT, total TEXT)"
        bad = "'twelve'"
    else:
        assert pg_cluster is not None
        name = f"shop_source_{next(_names)}"
        admin = create_engine(pg_cluster.url.replace("postgresql://", "postgresql+psycopg://"),
                              isolation_level="AUTOCOMMIT")  # fmt: skip
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name}"))
            connection.execute(text(f"CREATE DATABASE {name}"))
        admin.dispose()
        url = pg_cluster.url_for(name).replace("postgresql+psycopg://", "postgresql://")
        ddl = ("CREATE TABLE shop_orders (ref TEXT, buyer TEXT, placed_at TIMESTAMPTZ, "
               "total NUMERIC(12, 2))")  # fmt: skip
        bad = "NULL"
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as connection:
        connection.execute(text(ddl))
        for ref, buyer, at, total in ROWS:
            placed = at.isoformat() if url.startswith("sqlite") else at
            connection.execute(
                text("INSERT INTO shop_orders VALUES (:r, :b, :p, :t)"),
                {"r": ref, "b": buyer, "p": placed, "t": str(total)},
            )
        connection.execute(
            text(f"INSERT INTO shop_orders VALUES ('S999', 'b1', '2026-03-02 10:00:00+00', {bad})")
        )
    engine.dispose()
    yield url
    if pg_cluster is not None and not url.startswith("sqlite"):
        admin = create_engine(pg_cluster.url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def _stored(engine: Engine) -> set[tuple[str, str, datetime, int]]:
    query = select(
        orders_table.c.external_id,
        customers_table.c.external_id,
        orders_table.c.ordered_at,
        orders_table.c.amount_minor,
    ).join(customers_table, customers_table.c.id == orders_table.c.customer_id)
    with engine.connect() as connection:
        return {(o, c, at.astimezone(UTC), a) for o, c, at, a in connection.execute(query)}


def test_from_sql_imports_the_rows_of_the_query(
    engine: Engine, settings: Settings, source_url: str, tmp_path: Path
) -> None:
    rejects = tmp_path / "from-sql.rejects.csv"
    report = import_orders_from_sql(engine, source_url, QUERY, settings, rejects_path=rejects,
                                    batch_size=16)  # fmt: skip
    expected = {(ref, buyer, at, int(total * 100)) for ref, buyer, at, total in ROWS}
    assert _stored(engine) == expected
    assert (report.read, report.imported, report.rejected) == (41, 40, 1)
    reject = report.first_rejects[0]
    assert reject.line == 41  # the 41st row of the result (ORDER BY ref: S999 is last)
    assert reject.column == "amount"
    assert reject.describe(report.path).startswith("from-sql:41: amount:")
    assert rejects.read_text().splitlines()[0].startswith("order_id,customer_id,ordered_at,amount")

    again = import_orders_from_sql(engine, source_url, QUERY, settings, rejects_path=rejects)
    assert (again.imported, again.unchanged, again.rejected) == (0, 40, 1)


def test_strict_from_sql_imports_nothing(
    engine: Engine, settings: Settings, source_url: str
) -> None:
    with pytest.raises(StrictImportError, match="from-sql:41: amount"):
        import_orders_from_sql(engine, source_url, QUERY, settings, strict=True)
    assert _stored(engine) == set()


def test_map_renames_the_querys_columns(
    engine: Engine, settings: Settings, source_url: str, tmp_path: Path
) -> None:
    query = "SELECT ref, buyer, placed_at, total FROM shop_orders WHERE total IS NOT NULL"
    spec = "order_id=ref,customer_id=buyer,ordered_at=placed_at,amount=total"
    report = import_orders_from_sql(engine, source_url, query, settings, column_map=spec,
                                    rejects_path=tmp_path / "r.csv")  # fmt: skip
    assert report.imported == 40


def test_a_failing_query_or_connection_names_the_problem_without_the_password(
    engine: Engine, settings: Settings, source_url: str
) -> None:
    with pytest.raises(ImportFileError, match="the query failed") as failed:
        import_orders_from_sql(engine, source_url, "SELECT nope FROM shop_orders", settings)
    assert "nope" in str(failed.value)
    secret = "Sup3r-s3cret-pw"
    with pytest.raises(ImportFileError, match="cannot connect") as refused:
        import_orders_from_sql(
            engine, f"postgresql://shop:{secret}@127.0.0.1:9/shop", "SELECT 1", settings
        )
    assert secret not in str(refused.value)
    assert "shop:***@127.0.0.1:9" in str(refused.value)


def test_the_cli_never_prints_the_password(
    env_settings: str, source_url: str, tmp_path: Path
) -> None:
    secret = "Sup3r-s3cret-pw"
    url = source_url
    if url.startswith("postgresql://"):  # the test server trusts local users: any password
        url = url.replace("postgresql://postgres@", f"postgresql://postgres:{secret}@", 1)
    cli = subprocess.run(
        [*CLVBOT, "import", "orders", "--from-sql", url, "--query", QUERY],
        capture_output=True, text=True, cwd=tmp_path, check=False,
    )  # fmt: skip
    assert cli.returncode == 3, cli.stderr  # one rejected row
    assert "from-sql: read 41 · imported 40" in cli.stdout
    assert secret not in cli.stdout + cli.stderr
