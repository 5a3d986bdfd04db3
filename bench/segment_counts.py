"""Count customers per R, F and M score and per segment on CDNOW and on the demo shop.

    .venv/bin/python bench/segment_counts.py                         # the demo shop ends now
    .venv/bin/python bench/segment_counts.py --now 2025-06-30T14:30  # ... or then

CDNOW (the bundled sample) is imported as `clvbot import orders` does and scored as of
1998-06-30; the demo shop is built as `clvbot demo` builds it (`bot/cli/demo.py`
`build_demo_store`: 3,000 customers, 18 months ending today, imported through the real
importers) and scored as of today, without the backfill. Prints markdown tables.
"""

from __future__ import annotations

import argparse
import tempfile
from collections import Counter
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Engine, select

from clv.datasets import generate_shop, write_cdnow_orders_csv, write_shop_csvs
from clv.ingest import import_customers, import_orders
from clv.scoring.pipeline import score
from clv.segments.definitions import all_segments
from clv.settings import Settings
from clv.store import make_engine, upgrade
from clv.store.tables import customer_scores_table as scores

CDNOW_AS_OF = date(1998, 6, 30)


def _store(directory: Path, name: str) -> tuple[Engine, Settings]:
    url = f"sqlite:///{directory / name}.db"
    settings = Settings(database_url=url, timezone="UTC", currency="USD", _env_file=None)
    engine = make_engine(url)
    upgrade(engine)
    return engine, settings


def cdnow_counts(directory: Path) -> dict[str, Counter[object]]:
    engine, settings = _store(directory, "cdnow")
    import_orders(engine, write_cdnow_orders_csv(directory / "cdnow.csv"), settings)
    score(engine, settings, as_of=CDNOW_AS_OF)
    return _counts(engine)


def shop_counts(directory: Path, today: datetime) -> dict[str, Counter[object]]:
    engine, settings = _store(directory, "shop")
    shop = generate_shop(3000, now=today)
    customers_csv, orders_csv = write_shop_csvs(shop, directory)
    import_customers(engine, customers_csv, settings)
    import_orders(engine, orders_csv, settings)
    score(engine, settings, as_of=today.date())
    return _counts(engine)


def _counts(engine: Engine) -> dict[str, Counter[object]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(scores.c.r_score, scores.c.f_score, scores.c.m_score, scores.c.segment)
        ).all()
    engine.dispose()
    return {
        "R": Counter(row[0] for row in rows if row[0]),
        "F": Counter(row[1] for row in rows if row[1]),
        "M": Counter(row[2] for row in rows if row[2]),
        "segment": Counter(row[3] for row in rows),
    }


def print_tables(title: str, counts: dict[str, Counter[object]]) -> None:
    print(f"\n### {title}\n")
    print("| score | R | F | M |\n|---|---:|---:|---:|")
    for value in range(1, 6):
        print(f"| {value} | " + " | ".join(f"{counts[k][value]:,}" for k in "RFM") + " |")
    print("\n| segment | customers |\n|---|---:|")
    for segment in all_segments():
        print(f"| {segment.name} | {counts['segment'][segment.name]:,} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--now", type=datetime.fromisoformat, default=datetime.now())
    args = parser.parse_args()
    today: datetime = args.now
    with tempfile.TemporaryDirectory() as tmp:
        print_tables(f"CDNOW sample, as of {CDNOW_AS_OF}", cdnow_counts(Path(tmp)))
        print_tables(f"Demo shop, as of {today.date()}", shop_counts(Path(tmp), today))


if __name__ == "__main__":
    main()
