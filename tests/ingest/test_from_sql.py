"""`--from-sql`: orders read from a real source database, SQLite or PostgreSQL.

The source is another database than the store, with its own table and column names, typed
values (NUMERIC amounts, timestamps with a zone) and a bad row; the import must store exactly
the rows inserted here and reject the bad one by its row number in the result.
"""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine

from clv.ingest import ImportFileError, StrictImportError, import_orders_from_sql
from clv.settings import Settings
from tests.helpers import CLVBOT, stored_orders
from tests.shopdb import ShopDatabase

QUERY = (
    "SELECT ref AS order_id, buyer AS customer_id, placed_at AS ordered_at, total AS amount "
    "FROM shop_orders ORDER BY ref"
)
START = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
ROWS = [(f"S{i:03d}", f"b{i % 7}", START + timedelta(hours=7 * i), Decimal(i * 3) + Decimal("0.25"))
        for i in range(1, 41)]  # fmt: skip


@pytest.fixture
def source_url(shop_db: ShopDatabase) -> str:
    """The shop database with the rows of ROWS and one amount that is no number (on
    PostgreSQL a NUMERIC column cannot hold one: a NULL there)."""
    shop_db.add(*ROWS)
    bad = "twelve" if shop_db.sqlite else None
    shop_db.add(("S999", "b1", datetime(2026, 3, 2, 10, tzinfo=UTC), bad))
    return shop_db.url


@pytest.mark.parametrize("reader_process", [False, True], ids=["in-process", "reader-process"])
def test_from_sql_imports_the_rows_of_the_query(
    engine: Engine, settings: Settings, source_url: str, tmp_path: Path, reader_process: bool
) -> None:
    rejects = tmp_path / "from-sql.rejects.csv"
    report = import_orders_from_sql(
        engine,
        source_url,
        QUERY,
        settings,
        rejects_path=rejects,
        batch_size=16,
        reader_process=reader_process,
    )
    expected = {(ref, buyer, at, int(total * 100)) for ref, buyer, at, total in ROWS}
    assert stored_orders(engine) == expected
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
    assert stored_orders(engine) == set()


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
