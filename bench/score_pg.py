"""The PostgreSQL leg of bench_score: a real server on loopback, loaded with the bench's orders.

The server (the newest installed PostgreSQL, started with `tests.postgres.Cluster`) keeps its
data folder under the work dir between benchmark runs, with one loaded database per data set
(`clvbench_n<customers>_s<seed>_v<version>`): loading 100M orders takes minutes and is not
what is measured. Each timed round scores a copy of it (`CREATE DATABASE ... TEMPLATE`), or,
with `--pg-reuse`, the loaded database itself after the previous rounds' runs are deleted
(at 10M customers a copy costs as much disk as the data).

The server runs with fsync on and the settings a 2-core, 24 GB machine would be given for a
shop's store (shared_buffers 2 GB, maintenance_work_mem 512 MB, max_wal_size 8 GB), not the
test suite's fsync=off. The orders are loaded with binary COPY (clv.scoring.copy_binary),
the foreign key and indexes added after the load, as a restore would.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from clv.scoring.copy_binary import PG_EPOCH_US, Column, encode

if TYPE_CHECKING:
    from tests.postgres import Cluster

DAY_US = 86_400 * 1_000_000
LOAD_CHUNK = 2_000_000
SERVER_SETTINGS = {
    "shared_buffers": "2GB",
    "maintenance_work_mem": "512MB",
    "work_mem": "64MB",
    "max_wal_size": "8GB",
    "checkpoint_timeout": "30min",
    "effective_cache_size": "16GB",
    "max_parallel_maintenance_workers": "2",
    "max_parallel_workers_per_gather": "2",
    "listen_addresses": "127.0.0.1",
}


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def server(workdir: Path, port: int) -> Cluster:
    """The bench's server under `workdir`/pg (initdb the first time), started."""
    from tests.postgres import Cluster, find_bindir

    bindir = find_bindir()
    if bindir is None:
        raise SystemExit("--store postgresql: no PostgreSQL server is installed here")
    base = workdir / "pg"
    datadir = base / "data"
    run_as: list[str] = []
    if os.geteuid() == 0:
        run_as = ["runuser", "-u", "postgres", "--"]
    if not (datadir / "PG_VERSION").exists():
        shutil.rmtree(base, ignore_errors=True)
        base.mkdir(parents=True)
        if run_as:
            user = pwd.getpwnam("postgres")
            os.chown(base, user.pw_uid, user.pw_gid)
        subprocess.run(
            [*run_as, str(bindir / "initdb"), "-D", str(datadir), "-U", "postgres", "-A",
             "trust", "-E", "UTF8"],
            capture_output=True, check=True,
        )  # fmt: skip
    cluster = Cluster(bindir, datadir, port, run_as)
    if not _port_free(port):  # left running by an earlier bench: restart with our settings
        cluster.pg_ctl("-m", "fast", "stop", check=False)
    options = f"-p {port} -k {base} " + " ".join(
        f"-c {key}={value}" for key, value in SERVER_SETTINGS.items()
    )
    cluster.pg_ctl("-o", options, "-l", str(base / "server.log"), "-w", "start")
    return cluster


def stop(cluster: Cluster) -> None:
    """Stop the server, keeping its data for the next benchmark."""
    cluster.pg_ctl("-m", "fast", "stop", check=False)


def admin(cluster: Cluster) -> Any:
    import psycopg

    return psycopg.connect(f"host=127.0.0.1 port={cluster.port} user=postgres", autocommit=True)


def database_exists(cluster: Cluster, name: str) -> bool:
    with admin(cluster) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    return found is not None


def _customer_rows(n: int, opted_out: np.ndarray[Any, Any], key_width: int) -> Iterator[bytes]:
    ids = np.arange(1, n + 1, dtype=np.int64)
    keys = np.char.add("c", np.char.zfill(ids.astype(str), key_width)).astype(f"S{key_width + 1}")
    yield from encode([Column("int4", ids), Column("text", keys), Column("bool", opted_out)])


def load(cluster: Cluster, name: str, orders: Any, opted_out: np.ndarray[Any, Any]) -> float:
    """Create database `name`, migrate it and COPY the customers and orders in; seconds."""
    from clv.store import make_engine, upgrade

    started = time.perf_counter()
    with admin(cluster) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}_loading"')
        conn.execute(f'CREATE DATABASE "{name}_loading"')
    engine = make_engine(cluster.url_for(f"{name}_loading"))
    upgrade(engine)
    engine.dispose()
    import psycopg

    dsn = f"host=127.0.0.1 port={cluster.port} user=postgres dbname={name}_loading"
    with psycopg.connect(dsn) as conn:
        _copy_all(conn, orders, opted_out)
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
    with admin(cluster) as conn:
        conn.execute(f'ALTER DATABASE "{name}_loading" RENAME TO "{name}"')
    return time.perf_counter() - started


def _copy_all(conn: Any, orders: Any, opted_out: np.ndarray[Any, Any]) -> None:
    kept = _drop_order_constraints(conn)
    n = orders.customers
    with conn.cursor() as cur:
        with cur.copy(
            "COPY customers (id, external_id, opted_out) FROM STDIN (FORMAT binary)"
        ) as cp:
            for piece in _customer_rows(n, opted_out, max(7, len(str(n)))):
                cp.write(piece)
        cur.execute("SELECT setval('customers_id_seq', %s)", (n,))
        total = orders.customer_id.size
        width = max(8, len(str(total)))
        sql = (
            "COPY orders (id, external_id, customer_id, ordered_at, ordered_on, amount_minor) "
            "FROM STDIN (FORMAT binary)"
        )
        with cur.copy(sql) as cp:
            for first in range(0, total, LOAD_CHUNK):
                last = min(first + LOAD_CHUNK, total)
                for piece in _order_pieces(orders, first, last, width):
                    cp.write(piece)
        cur.execute("SELECT setval('orders_id_seq', %s)", (total,))
        for statement in kept:
            cur.execute(statement)


def _order_pieces(orders: Any, first: int, last: int, width: int) -> Iterator[bytes]:
    """Rows first..last-1 of the orders (without COPY's header and trailer after the first)."""
    ids = np.arange(first + 1, last + 1, dtype=np.int64)
    keys = np.char.add("o", np.char.zfill(ids.astype(str), width)).astype(f"S{width + 1}")
    at_us = orders.at_us[first:last]
    pieces = list(
        encode(
            [
                Column("int4", ids),
                Column("text", keys),
                Column("int4", orders.customer_id[first:last]),
                Column("int8", at_us - PG_EPOCH_US),
                Column("date", at_us // DAY_US),
                Column("int8", orders.amount_minor[first:last]),
            ]
        )
    )
    if first > 0:
        pieces = pieces[1:]
    if last < orders.customer_id.size:
        pieces = pieces[:-1]
    yield from pieces


def _drop_order_constraints(conn: Any) -> list[str]:
    """Drop the orders' indexes, unique key and foreign key for the load; the statements that
    make them again (as the migrations defined them)."""
    rows = conn.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = 'orders'::regclass AND contype IN ('u', 'f')"
    ).fetchall()
    again = [f"ALTER TABLE orders ADD CONSTRAINT {name} {definition}" for name, definition in rows]
    for name, _ in rows:
        conn.execute(f"ALTER TABLE orders DROP CONSTRAINT {name}")
    indexes = conn.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'orders' AND indexname "
        "NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = 'orders'::regclass)"
    ).fetchall()
    for name, _ in indexes:
        conn.execute(f"DROP INDEX {name}")
    return [definition for _, definition in indexes] + again


def fresh_copy(cluster: Cluster, name: str, reuse: bool) -> str:
    """The URL of a database to score: a copy of the loaded `name`, or `name` itself with the
    earlier rounds' runs deleted."""
    if reuse:
        import psycopg

        dsn = f"host=127.0.0.1 port={cluster.port} user=postgres dbname={name}"
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(
                "TRUNCATE scoring_runs, customer_scores, customer_weekly, run_group_stats, "
                "run_reports CASCADE"
            )
            conn.execute("VACUUM ANALYZE")
        return cluster.url_for(name)
    copy = f"{name}_score"
    with admin(cluster) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{name}"')
    return cluster.url_for(copy)


def upgrade_loaded(cluster: Cluster, name: str) -> None:
    """Bring the loaded database to this clvbot's schema (untimed; later migrations add
    tables, they do not touch the orders)."""
    from clv.store import make_engine, upgrade

    engine = make_engine(cluster.url_for(name))
    upgrade(engine)
    engine.dispose()
