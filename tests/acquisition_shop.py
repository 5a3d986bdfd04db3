"""A demo shop with channels, CACs and NPS answers, scored with weeks of history: the store the
acquisition answers and the digest's Acquisition section are tested on."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Engine

from clv.datasets.shop import generate_shop, write_shop_csvs
from clv.ingest import import_customers, import_orders
from clv.scoring.pipeline import score
from clv.settings import Settings

FIRST_SUNDAY = date(2024, 7, 7)  # the first Sunday of July: a month's first digest
HOSTILE_CHANNEL = "<!channel> *free* <https://evil.example|win> & co"


def build_acquisition_shop(
    engine: Engine,
    settings: Settings,
    workdir: Path,
    *,
    customers: int = 900,
    as_of: date = FIRST_SUNDAY,
    extra_channels: int = 0,
) -> None:
    """The demo shop up to `as_of`, every 50th customer in a channel named to inject mrkdwn,
    and `extra_channels` more channels of a few customers each; scored as of `as_of` with
    five weeks of backfill (so a run four weeks back exists)."""
    shop = generate_shop(customers, now=datetime(as_of.year, as_of.month, as_of.day, 20))
    people = []
    for i, person in enumerate(shop.customers):
        if i % 50 == 7:
            person = replace(person, channel=HOSTILE_CHANNEL)
        elif extra_channels and i % 3 == 0:
            person = replace(person, channel=f"campaign {i % extra_channels:03d}")
        people.append(person)
    customers_csv, orders_csv = write_shop_csvs(replace(shop, customers=people), workdir)
    margined = settings.model_copy(update={"gross_margin": 0.4})
    import_customers(engine, customers_csv, margined)
    import_orders(engine, orders_csv, margined)
    score(engine, margined, as_of=as_of, model="bgnbd", backfill=5)
