"""A scored PostgreSQL store for the benchmarks: a real server, bench_score.py's orders.

The server is a cluster of its own (initdb + pg_ctl on a loopback port, as tests/postgres.py
starts one for the suite) in a work folder, kept there between runs so the load and the first
scoring run are paid once per (customers, seed). The orders are bench_score.py's synthetic
log, loaded with psycopg `COPY ... FROM STDIN` straight into the migrated tables (bench setup,
not the product's importer: that one is measured by bench/bench_import.py), with the two
plain order indexes dropped during the load and rebuilt after it and foreign-key triggers off
(`session_replication_role = replica`). Scoring is the product's: `clvbot score`.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import bench_score  # noqa: E402  (the synthetic order log)

from tests.postgres import Cluster, find_bindir  # noqa: E402

FIRST_AS_OF = bench_score.AS_OF
PLAIN_ORDER_INDEXES = ("ix_orders_customer_day_amount", "ix_orders_ordered_on")
COPY_CHUNK = 500_000
READY = "ready.json"
SERVER_SETTINGS = (  # a realistic server for a 23 GB machine; fsync and commits as shipped
    "-c max_connections=200 -c maintenance_work_mem=1GB -c max_wal_size=8GB "
    "-c checkpoint_timeout=30min -c wal_buffers=64MB"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sqlalchemy_url(cluster: Cluster) -> str:
    return cluster.url


def psycopg_dsn(cluster: Cluster) -> str:
    return f"postgresql://postgres@127.0.0.1:{cluster.port}/postgres"


# ---------------------------------------------------------------------------- the server
def open_cluster(base: Path, shared_buffers: str) -> tuple[Cluster, bool]:
    """The cluster in `base` (made when missing), started; True if it was made now."""
    bindir = find_bindir()
    if bindir is None:
        raise SystemExit("no PostgreSQL server installed (initdb not found)")
    run_as: list[str] = []
    made = not (base / "data" / "PG_VERSION").exists()
    if made:
        shutil.rmtree(base, ignore_errors=True)
        base.mkdir(parents=True)
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        user = pwd.getpwnam("postgres")
        os.chown(base, user.pw_uid, user.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    if made:
        subprocess.run([*run_as, str(bindir / "initdb"), "-D", str(base / "data"), "-U",
                        "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"],
                       capture_output=True, check=True)  # fmt: skip
    cluster = Cluster(bindir, base / "data", free_port(), run_as)
    options = (f"-p {cluster.port} -k {base} -c listen_addresses=127.0.0.1 "
               f"-c shared_buffers={shared_buffers} {SERVER_SETTINGS}")  # fmt: skip
    cluster.pg_ctl("-o", options, "-l", str(base / "server.log"), "-w", "start")
    return cluster, made


def stop_cluster(cluster: Cluster) -> None:
    """Stop the server, keeping its files for the next run."""
    cluster.pg_ctl("-m", "fast", "-w", "stop", check=False)


# ----------------------------------------------------------------------------- the load
def _tsv(*columns: np.ndarray) -> bytes:
    """Rows of COPY's text format from equally long string columns."""
    s = np.strings
    line = columns[0]
    for column in columns[1:]:
        line = s.add(s.add(line, "\t"), column)
    return ("\n".join(line.tolist()) + "\n").encode()


def _customer_rows(n: int, seed: int) -> bytes:
    ids = np.arange(1, n + 1).astype(np.str_)
    width = max(7, len(str(n)))  # bench_score.customer_key's width
    keys = np.strings.add("c", np.strings.zfill(ids, width))
    rng = np.random.default_rng([seed, 1])  # bench_score.load_sqlite's draw
    opted_out = np.where(rng.random(n) < bench_score.OPTED_OUT_SHARE, "t", "f")
    return _tsv(ids, keys, opted_out)


def _order_chunks(orders: bench_score.Orders) -> Iterator[bytes]:
    total = orders.customer_id.size
    width = max(8, len(str(total)))  # bench_score's order keys
    for first in range(0, total, COPY_CHUNK):
        last = min(first + COPY_CHUNK, total)
        moments = orders.at_us[first:last].astype("datetime64[us]")
        stamps = np.strings.add(np.datetime_as_string(moments, unit="us"), "+00")
        days = np.datetime_as_string(moments.astype("datetime64[D]"))
        keys = np.strings.add("o", np.strings.zfill(
            np.arange(first + 1, last + 1).astype(np.str_), width))  # fmt: skip
        yield _tsv(keys, orders.customer_id[first:last].astype(np.str_), stamps, days,
                   orders.amount_minor[first:last].astype(np.str_))  # fmt: skip


def load_orders(cluster: Cluster, orders: bench_score.Orders, seed: int) -> float:
    """Migrate the store and COPY the customers and orders in; the seconds it took."""
    import psycopg

    from clv.store import make_engine, upgrade

    t0 = time.perf_counter()
    engine = make_engine(sqlalchemy_url(cluster))
    upgrade(engine)
    engine.dispose()
    with psycopg.connect(psycopg_dsn(cluster)) as con:
        con.execute("SET session_replication_role = replica")  # no FK triggers in the load
        con.execute("SET maintenance_work_mem = '1GB'")
        found = con.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = "
                            "'orders' AND indexname = ANY(%s)",
                            (list(PLAIN_ORDER_INDEXES),)).fetchall()  # fmt: skip
        if len(found) != len(PLAIN_ORDER_INDEXES):
            raise SystemExit(f"orders' indexes are not {PLAIN_ORDER_INDEXES}: {found}")
        for name, _ in found:
            con.execute(f"DROP INDEX {name}")
        with con.cursor().copy("COPY customers (id, external_id, opted_out) FROM STDIN") as copy:
            copy.write(_customer_rows(orders.customers, seed))
        columns = "external_id, customer_id, ordered_at, ordered_on, amount_minor"
        with con.cursor().copy(f"COPY orders ({columns}) FROM STDIN") as copy:
            for chunk in _order_chunks(orders):
                copy.write(chunk)
        for _, definition in found:  # exactly as the migration defined them
            con.execute(definition)
        con.execute("SELECT setval(pg_get_serial_sequence('customers', 'id'), %s)",
                    (orders.customers,))  # fmt: skip
    with psycopg.connect(psycopg_dsn(cluster), autocommit=True) as con:
        con.execute("VACUUM ANALYZE customers")
        con.execute("VACUUM ANALYZE orders")
    return time.perf_counter() - t0


# --------------------------------------------------------------------------- scoring
def store_env(cluster: Cluster) -> dict[str, str]:
    """The environment of a `clvbot` batch command on this store (no Slack: a scoring run
    then neither posts alerts nor republishes App Homes)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ALERTS_"))}
    return {**env, "DATABASE_URL": sqlalchemy_url(cluster)}


def score_command(as_of: str) -> list[str]:
    return [str(bench_score.clvbot_path()), "score", "--as-of", as_of]


def score(cluster: Cluster, as_of: str, cwd: Path) -> tuple[float, str]:
    """`clvbot score --as-of` in a fresh process: its wall time and output."""
    t0 = time.perf_counter()
    proc = subprocess.run(score_command(as_of), env=store_env(cluster), cwd=cwd,
                          capture_output=True, text=True, check=False)  # fmt: skip
    if proc.returncode != 0:
        raise SystemExit(f"clvbot score failed:\n{proc.stdout}\n{proc.stderr[-3000:]}")
    return time.perf_counter() - t0, proc.stdout.strip()


def scored_store(args: argparse.Namespace) -> Cluster:
    """A started cluster in `args.workdir` holding (customers, seed) scored at least once."""
    base = Path(args.workdir) / f"pg_n{args.customers}_s{args.seed}_v{bench_score.GEN_VERSION}"
    cluster, made = open_cluster(base, args.shared_buffers)
    ready = base / READY
    if not made and ready.exists():
        print(f"store: cached PostgreSQL cluster {base} ({json.loads(ready.read_text())})")
        try:  # the cache may be of an older schema (later migrations add tables or columns)
            subprocess.run([str(bench_score.clvbot_path()), "db", "upgrade"], check=True,
                           env=store_env(cluster), cwd=base, capture_output=True)  # fmt: skip
        except BaseException:
            stop_cluster(cluster)
            raise
        return cluster
    try:
        t0 = time.perf_counter()
        orders = bench_score.simulate(args.customers, args.seed)
        print(f"data: {args.customers:,} customers, {orders.customer_id.size:,} orders drawn "
              f"in {time.perf_counter() - t0:.1f} s", flush=True)  # fmt: skip
        seconds = load_orders(cluster, orders, args.seed)
        rate = orders.customer_id.size / seconds
        print(f"load: COPY + index rebuild + analyze in {seconds:.1f} s ({rate:,.0f} orders/s; "
              "bench setup, not the product's import)", flush=True)  # fmt: skip
        took, output = score(cluster, FIRST_AS_OF, base)
        print(f"store: first run scored in {took:.1f} s: {output}", flush=True)
    except BaseException:
        stop_cluster(cluster)
        raise
    ready.write_text(json.dumps({"orders": int(orders.customer_id.size), "score_s": took}))
    return cluster
