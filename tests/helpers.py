"""Small helpers shared by tests."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlmodel import Session

from clv.store.tables import customers_table, orders_table

ORDER_HEADER = ["order_id", "customer_id", "ordered_at", "amount"]


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def read_rejects(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def count_rows(engine: Engine) -> tuple[int, int]:
    """(customers, orders) in the store."""
    with Session(engine) as session:
        customers = session.execute(select(func.count()).select_from(customers_table)).scalar_one()
        orders = session.execute(select(func.count()).select_from(orders_table)).scalar_one()
    return customers, orders
