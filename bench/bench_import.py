"""Benchmark the CSV order importer (`clv.ingest.import_orders`): throughput and peak memory.

    .venv/bin/python bench/bench_import.py                  # 1M rows into a fresh SQLite file
    .venv/bin/python bench/bench_import.py --rows 10000000
    .venv/bin/python bench/bench_import.py --postgres       # a throwaway PostgreSQL server
    .venv/bin/python bench/bench_import.py --database-url postgresql+psycopg://u:p@host/db --reset

Generates a synthetic orders file (streamed to disk, bounded memory), migrates an empty
database, then runs each measured step in a fresh Python process so its peak RSS is its own:

1. `import`   - the first import into the empty, migrated database;
2. `reimport` - the same file again: every row should be unchanged.

Prints a table and the targets with PASS/FAIL. This is a benchmark, not a test: it exits 0
whatever the numbers, unless `--fail-on-target` is given.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from tests.postgres import Cluster

HEADER = "order_id,customer_id,ordered_at,amount,email,name"
CHUNK_ROWS = 100_000
SPAN_SECONDS = 2 * 365 * 86_400  # orders spread over two years
START = "2023-01-01T00:00:00"
REFUND_SHARE = 0.02
EMAIL_SHARE = 0.30
NAME_SHARE = 0.20

TARGET_ROWS_PER_SECOND = 100_000  # on SQLite
TARGET_POSTGRES_ROWS_PER_SECOND = 300_000  # the first import on PostgreSQL (issue 18)
TARGET_PEAK_RSS_MB = 1024.0
STEPS = ("import", "reimport")


# --------------------------------------------------------------------------- data generation


def generate_orders_csv(path: Path, rows: int, customers: int, seed: int) -> None:
    """Write `rows` synthetic orders to `path`, `CHUNK_ROWS` at a time, sorted by time.

    Order ids are unique (`o0000001`); customer ids (`c123`) are skewed so that a few customers
    buy often and most buy once or twice; timestamps are second-resolution ISO 8601 without a
    zone over two years; amounts have two decimals and ~2% are negative (refunds); the email
    and name columns are filled on some rows only, always consistently per customer.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    width = max(7, len(str(rows)))
    chunks = max(1, -(-rows // CHUNK_ROWS))
    start = np.datetime64(START, "s")
    with path.open("w", encoding="utf-8", newline="") as file:
        file.write(HEADER + "\n")
        for k in range(chunks):
            first = k * CHUNK_ROWS
            n = min(CHUNK_ROWS, rows - first)
            # each chunk covers its slice of the two years, so the file is in time order
            low, high = SPAN_SECONDS * first // rows, SPAN_SECONDS * (first + n) // rows
            offsets = np.sort(rng.integers(low, max(high, low + 1), size=n))
            lines = _chunk_lines(rng, first + 1, n, width, customers, start, offsets)
            file.write("\n".join(lines.tolist()))
            file.write("\n")


def _chunk_lines(
    rng: np.random.Generator,
    first_id: int,
    n: int,
    width: int,
    customers: int,
    start: np.datetime64,
    offsets: NDArray[np.int64],
) -> NDArray[np.str_]:
    import numpy as np

    s = np.strings
    order_ids = s.add("o", s.zfill(np.arange(first_id, first_id + n).astype(np.str_), width))
    # a power law over customer numbers: low numbers are the frequent buyers
    numbers = 1 + np.minimum((customers * rng.random(n) ** 2.5).astype(np.int64), customers - 1)
    number_text = numbers.astype(np.str_)
    customer_ids = s.add("c", number_text)
    moments = np.datetime_as_string(start + offsets.astype("timedelta64[s]"), unit="s")

    cents = np.rint(np.exp(rng.normal(3.6, 0.9, size=n)) * 100).astype(np.int64)
    refund = rng.random(n) < REFUND_SHARE
    whole = (cents // 100).astype(np.str_)
    fraction = s.zfill((cents % 100).astype(np.str_), 2)
    amounts = s.add(s.add(np.where(refund, "-", ""), whole), s.add(".", fraction))

    email = np.where(rng.random(n) < EMAIL_SHARE, s.add(customer_ids, "@example.com"), "")
    name = np.where(rng.random(n) < NAME_SHARE, s.add("Customer ", number_text), "")

    line = order_ids
    for column in (customer_ids, moments, amounts, email, name):
        line = s.add(s.add(line, ","), column)
    result: NDArray[np.str_] = line
    return result


# --------------------------------------------------------------------------- measured steps


def peak_rss_mb(ru_maxrss: int) -> float:
    """`ru_maxrss` is in KiB on Linux and in bytes on macOS."""
    return ru_maxrss / (1024 * 1024) if sys.platform == "darwin" else ru_maxrss / 1024


def vm_hwm_kb() -> int | None:
    """Peak RSS of this process image from /proc (Linux), a cross-check of `ru_maxrss`."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return None


def run_step(step: str, args: argparse.Namespace) -> dict[str, Any]:
    """Run one step in this (fresh) process and return what it measured."""
    csv_path: Path = args._csv
    if step == "generate":
        return generate_step(csv_path, args)
    database_url: str = args.database_url
    if step == "migrate":
        return migrate_step(database_url, reset=args.reset)
    return import_step(step, database_url, csv_path)


def generate_step(csv_path: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Write the synthetic orders file and time it."""
    started = time.perf_counter()
    generate_orders_csv(csv_path, args.rows, args.customers, args.seed)
    return {"step": "generate", "seconds": time.perf_counter() - started}


def migrate_step(database_url: str, *, reset: bool) -> dict[str, Any]:
    """Migrate the database (emptying it with `reset`); refuse one that already holds orders."""
    from sqlalchemy import func, select, text

    from clv.store import make_engine, upgrade
    from clv.store.tables import orders_table

    engine = make_engine(database_url)
    upgrade(engine)
    with engine.begin() as connection:
        if reset:
            connection.execute(text("DELETE FROM orders"))
            connection.execute(text("DELETE FROM customers"))
        stored = connection.execute(select(func.count()).select_from(orders_table)).scalar()
    if stored:
        raise SystemExit(
            f"{engine.url.render_as_string(hide_password=True)} already holds {stored:,} "
            "orders; pass --reset to empty it first"
        )
    engine.dispose()
    return {"step": "migrate"}


def import_step(step: str, database_url: str, csv_path: Path) -> dict[str, Any]:
    """Import `csv_path` once; its time, CPU, peak RSS (the reader process's too) and counts."""
    from sqlalchemy import func, select

    from clv.settings import Settings
    from clv.store import make_engine
    from clv.store.tables import customers_table, orders_table

    engine = make_engine(database_url)
    from clv.ingest import import_orders

    settings = Settings(database_url=database_url, _env_file=None)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started, cpu_started = time.perf_counter(), time.process_time()
    report = import_orders(engine, csv_path, settings)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # the importer reads and parses big files in a reader process: count its memory and CPU
    # too (the sum of both peaks bounds what the two processes held at once)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak += children.ru_maxrss
    reader_cpu = children.ru_utime + children.ru_stime
    with engine.connect() as connection:
        orders = connection.execute(select(func.count()).select_from(orders_table)).scalar()
        customers = connection.execute(select(func.count()).select_from(customers_table)).scalar()
    engine.dispose()
    return {
        "step": step,
        "seconds": seconds,
        "report_seconds": report.seconds,
        "cpu_seconds": cpu + reader_cpu,
        "main_cpu_seconds": cpu,
        "reader_cpu_seconds": reader_cpu,
        "rows": report.read,
        "read": report.read,
        "imported": report.imported,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "rejected": report.rejected,
        "conflicts": report.conflicts,
        "summary": report.summary(),
        "ru_maxrss": peak,
        "vm_hwm_kb": vm_hwm_kb(),
        "baseline_ru_maxrss": baseline,
        "stored_orders": orders,
        "stored_customers": customers,
    }


def spawn_step(step: str, *options: str) -> dict[str, Any]:
    """Run `step` in a fresh interpreter and return the JSON it prints.

    Linux carries `ru_maxrss` over fork and exec, so a child's figure is at least this
    process's RSS at the fork: that is why generation also runs in a child, keeping this
    parent small (it never imports numpy or the importer).
    """
    command = [sys.executable, str(Path(__file__).resolve()), "--_step", step, *options]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"step {step!r} failed (exit {done.returncode})")
    measured: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return measured


# --------------------------------------------------------------------------- report


@dataclass
class Target:
    name: str
    passed: bool
    detail: str
    informational: bool = False  # shown, not a target: INFO whatever it measured


def evaluate(results: list[dict[str, Any]], sqlite: bool, rows: int) -> list[Target]:
    by_step = {r["step"]: r for r in results}
    first, again = by_step["import"], by_step["reimport"]
    targets: list[Target] = []
    wanted = TARGET_ROWS_PER_SECOND if sqlite else TARGET_POSTGRES_ROWS_PER_SECOND
    for r in results:
        rate = r["rows"] / r["seconds"]
        name = f"{r['step']}: >= {wanted:,} rows/s"
        detail = f"{rate:,.0f} rows/s"
        if sqlite or r["step"] == "import":
            targets.append(Target(name, rate >= wanted, detail))
        else:
            targets.append(
                Target(name + " (the first import's target)", rate >= wanted, detail, True)
            )
    for r in results:
        mb = peak_rss_mb(r["ru_maxrss"])
        targets.append(
            Target(
                f"{r['step']}: peak RSS < {TARGET_PEAK_RSS_MB:,.0f} MB",
                mb < TARGET_PEAK_RSS_MB,
                f"{mb:.0f} MB",
            )
        )
    targets.append(
        Target(
            "reimport at least as fast as import",
            again["seconds"] <= first["seconds"],
            f"{again['seconds']:.2f} s vs {first['seconds']:.2f} s",
        )
    )
    targets.append(
        Target(
            "import: every row imported",
            first["imported"] == rows and first["rejected"] == 0 and first["stored_orders"] == rows,
            f"imported {first['imported']:,}, stored {first['stored_orders']:,} of {rows:,}",
        )
    )
    targets.append(
        Target(
            "reimport: every row unchanged",
            again["unchanged"] == rows and again["imported"] == again["updated"] == 0,
            f"unchanged {again['unchanged']:,} of {rows:,}",
        )
    )
    return targets


def print_table(results: list[dict[str, Any]]) -> None:
    columns = (
        "step",
        "rows",
        "seconds",
        "cpu s",
        "main cpu",
        "reader cpu",
        "server cpu",
        "rows/s",
        "peak RSS MB",
        "base RSS MB",
        "imported",
        "updated",
        "unchanged",
        "rejected",
    )
    table = [columns]
    for r in results:
        table.append(
            (
                r["step"],
                f"{r['rows']:,}",
                f"{r['seconds']:.2f}",
                f"{r['cpu_seconds']:.2f}",
                f"{r['main_cpu_seconds']:.2f}",
                f"{r['reader_cpu_seconds']:.2f}",
                f"{r['server_cpu_seconds']:.2f}" if "server_cpu_seconds" in r else "-",
                f"{r['rows'] / r['seconds']:,.0f}",
                f"{peak_rss_mb(r['ru_maxrss']):.0f}",
                f"{peak_rss_mb(r['baseline_ru_maxrss']):.0f}",
                f"{r['imported']:,}",
                f"{r['updated']:,}",
                f"{r['unchanged']:,}",
                f"{r['rejected']:,}",
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(columns))]
    for index, row in enumerate(table):
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        print("  ".join(cells))
        if index == 0:
            print("  ".join("-" * w for w in widths))


# --------------------------------------------------------------------------- main


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def busy() -> bool:
    """More runnable work than this benchmark's one process can explain."""
    return os.getloadavg()[0] > 1.5


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1_000_000, help="orders to generate (1M)")
    parser.add_argument("--customers", type=int, help="distinct customers (default rows/10)")
    parser.add_argument("--workdir", type=Path, help="where the CSV (and SQLite file) go")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument(
        "--database-url",
        help="database to import into (default: a fresh SQLite file in the work directory); "
        "postgresql+psycopg://... works too",
    )
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="start a throwaway PostgreSQL server (as the tests do) and import into it",
    )
    parser.add_argument(
        "--pg-setting",
        action="append",
        default=None,
        metavar="NAME=VALUE",
        help="a setting of the --postgres server (repeatable; default: shared_buffers=1GB, a "
        "server sized for a store of millions of orders)",
    )
    parser.add_argument(
        "--reset", action="store_true", help="delete all orders and customers before importing"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--fail-on-target", action="store_true", help="exit 1 if a target is missed"
    )
    parser.add_argument("--_step", choices=("generate", "migrate", *STEPS), help=argparse.SUPPRESS)
    parser.add_argument("--_csv", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rows < 1:
        parser.error("--rows must be at least 1")
    if args.pg_setting is None:
        args.pg_setting = ["shared_buffers=1GB"]
    if args.customers is None:
        args.customers = max(1, args.rows // 10)
    if args.customers < 1:
        parser.error("--customers must be at least 1")
    return args


def server_cpu(cluster: Cluster | None) -> float:
    """CPU seconds the PostgreSQL server has used so far: the postmaster, its children alive
    (backends, parallel workers, the WAL writer, ...) and those it has reaped."""
    if cluster is None:
        return 0.0
    postmaster = int((cluster.datadir / "postmaster.pid").read_text().split()[0])
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue  # ended meanwhile
        pid, parent = int(entry.name), int(fields[1])
        if pid == postmaster:  # utime, stime, and the reaped children's cutime, cstime
            total += sum(int(f) for f in fields[11:15]) / tick
        elif parent == postmaster:
            total += sum(int(f) for f in fields[11:13]) / tick
    return total


def start_postgres(settings: list[str]) -> Cluster:
    """A throwaway PostgreSQL server with an empty `clvbench` database (tests/postgres.py:
    on 127.0.0.1, fsync off, its files in /dev/shm when there is room), restarted with
    `settings` (`name=value`) in its configuration."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.postgres import find_bindir, start_cluster

    bindir = find_bindir()
    if bindir is None:
        raise SystemExit("--postgres: no PostgreSQL server is installed here")
    cluster = start_cluster(bindir)
    try:
        if settings:
            with (cluster.datadir / "postgresql.conf").open("a") as conf:
                conf.write("".join(f"\n{setting}" for setting in settings) + "\n")
            log = str(cluster.datadir.parent / "server.log")  # not our pipes: they would stay open
            cluster.pg_ctl("-m", "fast", "-w", "-l", log, "restart")
        psql = [str(bindir / "psql"), "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres"]
        subprocess.run([*psql, "-c", "CREATE DATABASE clvbench"], capture_output=True, check=True)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args._step:
        print(json.dumps(run_step(args._step, args)))
        return 0

    made_workdir = args.workdir is None
    workdir: Path = args.workdir or Path(tempfile.mkdtemp(prefix="clv-bench-import-"))
    workdir.mkdir(parents=True, exist_ok=True)
    csv_path = workdir / "orders.csv"
    created = [csv_path]
    if args.postgres and args.database_url:
        raise SystemExit("--postgres starts its own server: leave out --database-url")
    cluster = start_postgres(args.pg_setting) if args.postgres else None
    database_url: str = cluster.url_for("clvbench") if cluster else args.database_url
    if database_url is None:
        db_path = workdir / "bench.db"
        created += [db_path, Path(f"{db_path}-wal"), Path(f"{db_path}-shm")]
        for stale in created[1:]:
            stale.unlink(missing_ok=True)
        database_url = f"sqlite:///{db_path}"
    try:
        return benchmark(args, csv_path, database_url, cluster)
    finally:
        clean_up(args, cluster, workdir, made_workdir=made_workdir, created=created)


def benchmark(
    args: argparse.Namespace, csv_path: Path, database_url: str, cluster: Cluster | None
) -> int:
    """Generate the file, migrate the database, run the measured steps and print the report;
    the exit status."""
    sqlite = database_url.startswith("sqlite")

    common = ("--_csv", str(csv_path), "--database-url", database_url)
    prepare_database(args, common, csv_path, database_url, cluster)

    results = measure_steps(common, cluster)
    print()
    print_table(results)
    print(f"load average: {load_average()} on {os.cpu_count()} CPUs", end="")
    print(" (other work was running: wall times are inflated)" if busy() else "")
    print()
    targets = evaluate(results, sqlite, args.rows)
    for target in targets:
        verdict = "INFO" if target.informational else "PASS" if target.passed else "FAIL"
        print(f"{verdict}  {target.name}  ({target.detail})")
    passed = all(t.passed for t in targets if not t.informational)
    return 1 if args.fail_on_target and not passed else 0


def prepare_database(
    args: argparse.Namespace,
    common: tuple[str, ...],
    csv_path: Path,
    database_url: str,
    cluster: Cluster | None,
) -> None:
    """Generate the orders file and migrate the empty database (neither is measured)."""
    sizes = ("--rows", str(args.rows), "--customers", str(args.customers))
    generation = spawn_step("generate", *common, *sizes, "--seed", str(args.seed))["seconds"]
    size_mb = csv_path.stat().st_size / 1e6
    print(
        f"generated {args.rows:,} orders of {args.customers:,} customers "
        f"({size_mb:,.1f} MB) in {generation:.2f} s (not measured): {csv_path}"
    )
    spawn_step("migrate", *common, *(("--reset",) if args.reset else ()))
    where = "a fresh SQLite file" if database_url.startswith("sqlite") else database_url
    if cluster is not None:
        where = (
            f"a throwaway PostgreSQL {cluster.bindir.parent.name} in {cluster.datadir} "
            f"(fsync off; {', '.join(args.pg_setting) or 'default settings'})"
        )
    print(f"database: {where.split('@')[-1]} (migrated, empty)")


def measure_steps(common: tuple[str, ...], cluster: Cluster | None) -> list[dict[str, Any]]:
    """Run each of `STEPS` in a fresh process, adding the server's CPU on PostgreSQL."""
    results: list[dict[str, Any]] = []
    for step in STEPS:
        server_before = server_cpu(cluster)
        results.append(spawn_step(step, *common))
        if cluster is not None:
            results[-1]["server_cpu_seconds"] = server_cpu(cluster) - server_before
        print(f"  {step}: {results[-1]['summary'].splitlines()[0]}", flush=True)
    return results


def clean_up(
    args: argparse.Namespace,
    cluster: Cluster | None,
    workdir: Path,
    *,
    made_workdir: bool,
    created: list[Path],
) -> None:
    """Stop the throwaway server and remove the work directory (or the files made in it),
    unless `--keep`."""
    if cluster is not None:
        cluster.stop()
    if args.keep:
        print(f"kept {workdir}")
    elif made_workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        for path in created:
            path.unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main())
