"""CDNOW and the demo shop, imported and scored as users do it, next to facts taken straight
from the source data (not from the store) to compute the expected scores from."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, select

from clv.datasets import cdnow_purchases, generate_shop, write_cdnow_orders_csv, write_shop_csvs
from clv.ingest import import_customers, import_orders
from clv.scoring.pipeline import score
from clv.settings import Settings
from clv.store import make_engine, upgrade
from clv.store.tables import customer_scores_table, customers_table

CDNOW_AS_OF = date(1998, 6, 30)
# the demo shop as `clvbot demo` builds it (bot/cli/demo.py build_demo_store), on a fixed day
DEMO_NOW = datetime(2025, 6, 30, 14, 30)
DEMO_CUSTOMERS = 3000


@dataclass(frozen=True)
class Stored:
    r: int
    f: int
    m: int
    segment: str
    stage: str
    p_alive: float | None


@dataclass(frozen=True)
class Facts:
    purchase_days: int
    days_since_last: int
    net_minor: int


@dataclass(frozen=True)
class ScoredBase:
    name: str
    stored: dict[str, Stored]  # by the customer's external id, prospects included
    facts: dict[str, Facts]  # the buyers only


def _store(directory: Path) -> tuple[Engine, Settings]:
    url = f"sqlite:///{directory / 'clvbot.db'}"
    settings = Settings(database_url=url, timezone="UTC", currency="USD", _env_file=None)  # type: ignore[call-arg]
    engine = make_engine(url)
    upgrade(engine)
    return engine, settings


def _read_scores(engine: Engine) -> dict[str, Stored]:
    s, c = customer_scores_table, customers_table
    query = select(
        c.c.external_id, s.c.r_score, s.c.f_score, s.c.m_score, s.c.segment, s.c.stage, s.c.p_alive
    ).join(c, c.c.id == s.c.customer_id)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    engine.dispose()
    return {str(row[0]): Stored(*row[1:]) for row in rows}


def _facts(orders: list[tuple[str, date, int]], as_of: date) -> dict[str, Facts]:
    days: dict[str, set[date]] = defaultdict(set)
    net: dict[str, int] = defaultdict(int)
    for customer, day, minor in orders:
        net[customer] += minor
        if minor >= 0:  # refunds are never purchases
            days[customer].add(day)
    return {
        customer: Facts(len(bought), (as_of - max(bought)).days, net[customer])
        for customer, bought in days.items()
    }


def scored_cdnow(directory: Path) -> ScoredBase:
    engine, settings = _store(directory)
    import_orders(engine, write_cdnow_orders_csv(directory / "cdnow.csv"), settings)
    score(engine, settings, as_of=CDNOW_AS_OF)
    orders = [
        (p.customer_id, datetime.strptime(p.ordered_on, "%Y%m%d").date(), _cents(p.amount))
        for p in cdnow_purchases()
    ]
    return ScoredBase("CDNOW", _read_scores(engine), _facts(orders, CDNOW_AS_OF))


def scored_demo_shop(directory: Path) -> ScoredBase:
    engine, settings = _store(directory)
    shop = generate_shop(DEMO_CUSTOMERS, now=DEMO_NOW)
    customers_csv, orders_csv = write_shop_csvs(shop, directory)
    import_customers(engine, customers_csv, settings)
    import_orders(engine, orders_csv, settings)
    score(engine, settings, as_of=DEMO_NOW.date())
    orders = [(o.customer_id, o.ordered_at.date(), _cents(f"{o.amount:.2f}")) for o in shop.orders]
    return ScoredBase("demo shop", _read_scores(engine), _facts(orders, DEMO_NOW.date()))


def _cents(amount: str) -> int:
    return int(Decimal(amount) * 100)
