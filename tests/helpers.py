"""Small helpers shared by tests."""

from __future__ import annotations

import csv
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlmodel import Session

from clv.insights import CustomerView, RankedList, customer_view, dormant_customers
from clv.outreach.policy import OutreachRules
from clv.store.tables import customers_table, orders_table

ORDER_HEADER = ["order_id", "customer_id", "ordered_at", "amount"]
# `clvbot` as a process of its own: the entry point, run by the interpreter running the tests
CLVBOT = [sys.executable, "-c", "from bot.cli import main; main()"]


def process_running(pid: int) -> bool:
    """Alive and not a zombie (a zombie holds no memory and no files), from Linux's /proc."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


def clvbot_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a clvbot process: the test database, UTC, no Slack settings."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("SLACK_")}
    return {**env, "DATABASE_URL": database_url, "TIMEZONE": "UTC", **extra}


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


def view_of(session: Session, key: str, **kwargs: object) -> CustomerView:
    """`customer_view` with the default outreach rules and the real clock (for tests whose
    point is not the outreach verdict)."""
    rules = OutreachRules(cooldown_days=30, require_email=False)
    return customer_view(session, key, rules=rules, now=datetime.now(UTC), **kwargs)  # type: ignore[arg-type]


def dormant_of(session: Session, limit: int = 10) -> RankedList:
    """`dormant_customers` with the default outreach rules and the real clock."""
    rules = OutreachRules(cooldown_days=30, require_email=False)
    return dormant_customers(session, limit=limit, rules=rules, now=datetime.now(UTC))


def stored_orders(engine: Engine) -> set[tuple[str, str, datetime, int]]:
    """(order id, customer id, ordered at in UTC, amount in minor units) of every stored order."""
    query = select(
        orders_table.c.external_id,
        customers_table.c.external_id,
        orders_table.c.ordered_at,
        orders_table.c.amount_minor,
    ).join(customers_table, customers_table.c.id == orders_table.c.customer_id)
    with engine.connect() as connection:
        return {(o, c, at.astimezone(UTC), a) for o, c, at, a in connection.execute(query)}
