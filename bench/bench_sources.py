"""Benchmark the import of line-item files and of SQL query results: rows/s and peak RSS.

    .venv/bin/python bench/bench_sources.py                     # 5M lines; 1M rows from SQLite
    .venv/bin/python bench/bench_sources.py --lines 500000 --sql-rows 100000
    .venv/bin/python bench/bench_sources.py --postgres           # also a PostgreSQL source

1. `lines`: a line-item file in the UCI "Online Retail" layout (`--format lines`), about five
   lines per invoice (so 5M lines are about 1M invoices), 2 % cancellations (`C` invoices of
   negative quantities), 10 % of invoices without a customer, dates written `12/1/2010 8:26`
   (read with `--date-format "%m/%d/%Y %H:%M"`), into an empty SQLite store. Its rate counts
   input lines, as the issue's target does.
2. `from-sql`: `import orders --from-sql` (as the CLI runs it, with a reader process) of a
   `shop_orders` table of 1M rows (a SQLite file;
   with `--postgres`, also a table on a throwaway PostgreSQL server), into an empty SQLite store.

Each measured step runs in a fresh interpreter, so its peak RSS is its own (with the importer's
reader process, which `RUSAGE_CHILDREN` adds). A benchmark, not a test: it exits 0 whatever the
numbers.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

TARGET_ROWS_PER_SECOND = 100_000
TARGET_PEAK_RSS_MB = 1024.0
START = datetime(2010, 12, 1, 8, 0)
HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"


def generate_lines(path: Path, lines: int, seed: int) -> int:
    """Write about `lines` line items (whole invoices); returns the number written."""
    rng = random.Random(seed)
    stock = [
        (f"{20000 + k}{'AB'[k % 2] if k % 7 == 0 else ''}", f"PRODUCT NUMBER {k}",
         f"{rng.choice([0.42, 0.85, 1.25, 1.65, 2.1, 2.55, 3.39, 4.95, 7.65, 12.75])}")
        for k in range(3000)
    ]  # fmt: skip
    countries = ["United Kingdom"] * 9 + ["France", "Germany", "EIRE", "Spain"]
    written, invoice, minute = 0, 536365, 0
    with path.open("w", encoding="utf-8", newline="") as file:
        file.write(HEADER)
        while written < lines:
            minute += rng.randrange(0, 3)  # shop hours 08:00-18:00, day after day
            day, at = divmod(minute, 600)
            moment = START + timedelta(days=day, minutes=at)
            when = f"{moment.month}/{moment.day}/{moment.year} {moment.hour}:{moment.minute:02d}"
            cancel = rng.random() < 0.02
            customer = "" if rng.random() < 0.10 else str(12346 + rng.randrange(5000))
            number = f"C{invoice}" if cancel else str(invoice)
            country = rng.choice(countries)
            rows = []
            for _ in range(1 + min(int(rng.expovariate(0.25)), 60)):
                code, name, price = stock[rng.randrange(3000)]
                quantity = rng.choice((1, 2, 3, 4, 6, 12, 24))
                rows.append(f"{number},{code},{name},{-quantity if cancel else quantity},"
                            f"{when},{price},{customer},{country}\n")  # fmt: skip
            file.write("".join(rows))
            written += len(rows)
            invoice += 1
    return written


def fill_source(url: str, rows: int, seed: int) -> None:
    """`shop_orders (ref, buyer, placed_at, total)` with `rows` rows, in batches."""
    from datetime import UTC

    from sqlalchemy import create_engine, text

    rng = random.Random(seed)
    engine = create_engine(url)
    sqlite = url.startswith("sqlite")
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS shop_orders"))
        kind = ("TEXT", "TEXT") if sqlite else ("TIMESTAMPTZ", "NUMERIC(12, 2)")
        connection.execute(text(
            f"CREATE TABLE shop_orders (ref TEXT, buyer TEXT, placed_at {kind[0]}, total {kind[1]})"
        ))  # fmt: skip
    start = datetime(2024, 1, 1, tzinfo=UTC)
    insert = text("INSERT INTO shop_orders VALUES (:r, :b, :p, :t)")
    for first in range(0, rows, 50_000):
        batch = []
        for i in range(first, min(rows, first + 50_000)):
            at = start + timedelta(seconds=i * 60)
            batch.append({"r": f"S{i:08d}", "b": f"b{int(200_000 * rng.random() ** 2.5)}",
                          "p": at.isoformat(" ") if sqlite else at,
                          "t": f"{rng.randrange(100, 50_000) / 100:.2f}"})  # fmt: skip
        with engine.begin() as connection:
            connection.execute(insert, batch)
    engine.dispose()


def measure(step: str, args: argparse.Namespace) -> dict[str, Any]:
    """Run one import in this (fresh) process and return what it measured."""
    from clv.ingest import import_orders, import_orders_from_sql
    from clv.settings import Settings
    from clv.store import make_engine, upgrade

    store = Path(args.workdir) / f"store-{step}.db"
    store.unlink(missing_ok=True)
    url = f"sqlite:///{store}"
    engine = make_engine(url, connect_args={"timeout": 30})
    upgrade(engine)
    settings = Settings(database_url=url, currency="GBP", _env_file=None)  # type: ignore[call-arg]
    started = time.perf_counter()
    if step == "lines":
        report = import_orders(engine, Path(args.workdir) / "lines.csv", settings,
                               export_format="lines", date_format="%m/%d/%Y %H:%M")  # fmt: skip
    else:
        query = ("SELECT ref AS order_id, buyer AS customer_id, placed_at AS ordered_at, "
                 "total AS amount FROM shop_orders")  # fmt: skip
        report = import_orders_from_sql(engine, args.source, query, settings, reader_process=True)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak += resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    engine.dispose()
    return {"step": step, "seconds": seconds, "read": report.read, "imported": report.imported,
            "rejected": report.rejected, "skipped": dict(report.skipped),
            "summary": report.summary(), "peak_mb": peak / 1024}  # fmt: skip


def spawn(step: str, args: argparse.Namespace, source: str = "") -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--_step", step,
               "--workdir", args.workdir, "--source", source]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"step {step!r} failed (exit {done.returncode})")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def report(label: str, result: dict[str, Any]) -> None:
    rate = result["read"] / result["seconds"]
    verdict = "PASS" if rate >= TARGET_ROWS_PER_SECOND else "FAIL"
    memory = "PASS" if result["peak_mb"] < TARGET_PEAK_RSS_MB else "FAIL"
    target, limit = f"{TARGET_ROWS_PER_SECOND:,}", f"{TARGET_PEAK_RSS_MB:,.0f}"
    print(
        f"{label:<22} {result['read']:>10,} rows in {result['seconds']:7.2f} s = "
        f"{rate:>9,.0f} rows/s [{verdict} >= {target}]  "
        f"peak RSS {result['peak_mb']:6.0f} MB [{memory} < {limit}]"
    )
    print(f"{'':<22} {result['summary'].splitlines()[0]}")
    for extra in result["summary"].splitlines()[1:]:
        print(f"{'':<22} {extra}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=5_000_000)
    parser.add_argument("--sql-rows", type=int, default=1_000_000)
    parser.add_argument("--postgres", action="store_true", help="also a PostgreSQL source")
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--workdir", default=None)
    parser.add_argument("--source", default="")
    parser.add_argument("--_step", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._step:
        args.source = args.source or None
        print(json.dumps(measure(args._step, args)))
        return
    with tempfile.TemporaryDirectory(prefix="clvbot-bench-sources-") as workdir:
        args.workdir = workdir
        started = time.perf_counter()
        written = generate_lines(Path(workdir) / "lines.csv", args.lines, args.seed)
        size = (Path(workdir) / "lines.csv").stat().st_size / 1e6
        took = time.perf_counter() - started
        print(f"generated {written:,} line items ({size:,.0f} MB) in {took:.1f} s")
        report("lines (--format lines)", spawn("lines", args))
        sqlite_source = f"sqlite:///{workdir}/shop.db"
        fill_source(sqlite_source, args.sql_rows, args.seed)
        report("--from-sql SQLite", spawn("from-sql", args, sqlite_source))
        if args.postgres:
            postgres_leg(args)


def postgres_leg(args: argparse.Namespace) -> None:
    """The same query on a throwaway PostgreSQL server (as the tests start one)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.postgres import find_bindir, start_cluster

    bindir = find_bindir()
    if bindir is None:
        print("--from-sql PostgreSQL: no PostgreSQL server installed here; skipped")
        return
    cluster = start_cluster(bindir)
    try:
        fill_source(cluster.url, args.sql_rows, args.seed)
        report("--from-sql PostgreSQL", spawn("from-sql", args, cluster.url))
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
