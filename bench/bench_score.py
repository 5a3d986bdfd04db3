"""Benchmark the scoring pipeline (`clvbot score`) end to end against the lifetimes route.

    .venv/bin/python bench/bench_score.py                      # 1M customers, ~10M orders
    .venv/bin/python bench/bench_score.py --customers 20000 --rounds 3
    .venv/bin/python bench/bench_score.py --model bgnbd --skip-lifetimes

1. Draws an order log from the models' own generative processes (fixed seed, vectorised
   numpy): BG/NBD purchase days over observation windows of up to two years ending on the
   as-of day, Gamma-Gamma spend per order, a few extra orders on the same day, amounts in
   cents. It is loaded into a freshly migrated SQLite file with the raw `sqlite3` module
   (`executemany`, the scoring index dropped during the load and rebuilt after it) and cached
   in the work dir by (customers, seed), with the same orders as an .npz for lifetimes.
2. Times `clvbot score --as-of 2024-12-31` in a fresh process on a copy of that file: wall
   time and peak RSS (`/usr/bin/time -v`, or a Python wrapper reading `getrusage`).
3. Times the lifetimes 0.11.3 route on the same orders held in memory, in the benchmark-only
   venv `bench/.venv-lifetimes` (`bench/lifetimes_score_route.py`; loading is not timed):
   transaction summary, BG/NBD fit, Gamma-Gamma fit and 12-month CLV. With `--rounds` the
   two sides alternate (ours, theirs, ours, theirs ...) and medians are reported.
4. Measures the read API after scoring, in this process: `customer_view` for 100 random
   customers and `group_summary` for 100 calls over the ten RFM segments.
5. Prints the targets with PASS/FAIL.

This is a benchmark, not a test: it exits 0 whatever the numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import score_pg  # bench/ is on sys.path when this script runs
from numpy.typing import NDArray

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LIFETIMES_PY = HERE / ".venv-lifetimes" / "bin" / "python"
LIFETIMES_ROUTE = HERE / "lifetimes_score_route.py"
PYMC_PY = HERE / ".venv-pymc" / "bin" / "python"  # python -m venv + pip install pymc-marketing
PYMC_ROUTE = HERE / "pymc_score_route.py"
TIME_V = Path("/usr/bin/time")

AS_OF = "2024-12-31"
END_US = int(np.datetime64("2025-01-01T00:00:00", "us").astype(np.int64))  # end of the as-of day
DAY_US = 86_400 * 1_000_000
WINDOW_DAYS = 730.0  # observation windows T ~ Uniform(0, 2 years)

# Generative parameters, tuned so that 1M customers place about 10M orders (first included).
# BG/NBD, time in days: lambda ~ Gamma(r, rate alpha), dropout p ~ Beta(a, b).
R, ALPHA, A, B = 1.0, 14.0, 0.8, 5.0
# Gamma-Gamma, dollars: nu ~ Gamma(q, rate v), spend per order ~ Gamma(p, rate nu); mean $30.
P, Q, V = 6.0, 4.0, 15.0
SAME_DAY_SHARE = 0.025  # orders that get a second order on the same day
OPTED_OUT_SHARE = 0.01
GEN_VERSION = 1  # bump when the recipe changes: cached files are keyed by it

INDEX_NAME = "ix_orders_customer_day_amount"
INDEX_SQL = f"CREATE INDEX {INDEX_NAME} ON orders (customer_id, ordered_on, amount_minor)"
LOAD_CHUNK = 200_000

SEGMENTS = (
    "Champions",
    "Loyal Customers",
    "Potential Loyalists",
    "New Customers",
    "Promising",
    "Need Attention",
    "About to Sleep",
    "Can't Lose Them",
    "At Risk",
    "Hibernating",
)
API_CALLS = 100

# issue 18: (seconds, peak RSS MB) of `clvbot score` by store, at 1M customers / 10M orders;
# at 10M customers on PostgreSQL, 5 minutes and 4 GB
TARGETS = {"sqlite": (10.0, 1024.0), "postgresql": (15.0, 1024.0)}
TARGET_10M = (300.0, 4096.0)
TARGET_VIEW_MS = 10.0
TARGET_GROUP_MS = 50.0

# Runs the `clvbot` console script in this interpreter and reports its own peak RSS (KiB).
RSS_WRAPPER = """
import json, resource, runpy, sys
script = sys.argv[1]
sys.argv = ["clvbot", *sys.argv[2:]]
code = 0
try:
    runpy.run_path(script, run_name="__main__")
except SystemExit as exc:
    code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
usage = {
    "self_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    "children_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
}
print("RUSAGE " + json.dumps(usage), file=sys.stderr)
sys.exit(code)
"""

IntArray = NDArray[np.int64]


# ---------------------------------------------------------------------------- generation
@dataclass(frozen=True)
class Orders:
    """The order log, in time order; customer ids are 1..N in order of first purchase."""

    customers: int
    customer_id: IntArray
    at_us: IntArray  # UTC microseconds since 1970-01-01
    amount_minor: IntArray
    same_day_extra: int


def simulate(n: int, seed: int) -> Orders:
    """Draw every customer's orders from BG/NBD + Gamma-Gamma, vectorised."""
    rng = np.random.default_rng(seed)
    T = rng.uniform(0.0, WINDOW_DAYS, size=n)  # days from the first purchase to the end
    lam = rng.gamma(R, 1.0 / ALPHA, size=n)
    p = rng.beta(A, B, size=n)
    n_poisson = rng.poisson(lam * T)  # repeat purchases of an immortal customer in (0, T]
    x = np.minimum(n_poisson, rng.geometric(p))  # dies after the k-th repeat, k ~ Geometric(p)
    # The first x of n_poisson uniform arrivals on (0, T]: with S_j the partial sums of iid
    # Exp(1) draws, U_(j) = S_j / S_(n+1) and S_(n+1) = S_x + Gamma(n - x + 1).
    owner = np.repeat(np.arange(n), x)
    csum = np.concatenate([[0.0], np.cumsum(rng.standard_exponential(owner.size))])
    start = np.cumsum(x) - x
    base = csum[start]
    denom = csum[start + x] - base + rng.standard_gamma(n_poisson - x + 1.0)
    u = (csum[1:] - base[owner]) / denom[owner]
    first_us = END_US - np.ceil(T * DAY_US).astype(np.int64)
    repeat_us = first_us[owner] + np.floor(T[owner] * u * DAY_US).astype(np.int64)
    who = np.concatenate([np.arange(n), owner])
    at_us = np.minimum(np.concatenate([first_us, repeat_us]), END_US - 1)
    # a few orders get a second order at another moment of the same (UTC) day
    extra = rng.random(at_us.size) < SAME_DAY_SHARE
    day_start = at_us[extra] // DAY_US * DAY_US
    who = np.concatenate([who, who[extra]])
    at_us = np.concatenate([at_us, day_start + rng.integers(0, DAY_US, size=day_start.size)])
    at_us = np.minimum(at_us, END_US - 1)
    nu = rng.gamma(Q, 1.0 / V, size=n)
    spend = rng.gamma(P, 1.0 / nu[who])
    amount = np.maximum(1, np.rint(spend * 100.0)).astype(np.int64)
    # customer ids in order of first purchase, orders in time order: as an import makes them
    rank = np.empty(n, dtype=np.int64)
    rank[np.argsort(first_us, kind="stable")] = np.arange(1, n + 1)
    order = np.argsort(at_us, kind="stable")
    return Orders(n, rank[who][order], at_us[order], amount[order], int(extra.sum()))


# ---------------------------------------------------------------------------------- load
def _width(count: int, minimum: int) -> int:
    return max(minimum, len(str(count)))


def customer_key(customer_id: int, customers: int) -> str:
    return f"c{customer_id:0{_width(customers, 7)}d}"


def _sqlite_times(at_us: IntArray) -> tuple[list[str], list[str]]:
    """`YYYY-MM-DD HH:MM:SS.ffffff` and `YYYY-MM-DD`, as SQLAlchemy stores them on SQLite."""
    moments = at_us.astype("datetime64[us]")
    stamps = np.datetime_as_string(moments, unit="us")
    stamps.view(np.uint32).reshape(stamps.size, -1)[:, 10] = ord(" ")  # the 'T' separator
    days = np.datetime_as_string(moments.astype("datetime64[D]"))
    return stamps.tolist(), days.tolist()


def _order_rows(orders: Orders) -> Iterator[list[tuple[str, int, str, str, int]]]:
    total = orders.customer_id.size
    width = _width(total, 8)
    for first in range(0, total, LOAD_CHUNK):
        last = min(first + LOAD_CHUNK, total)
        stamps, days = _sqlite_times(orders.at_us[first:last])
        keys = [f"o{i:0{width}d}" for i in range(first + 1, last + 1)]
        yield list(
            zip(
                keys,
                orders.customer_id[first:last].tolist(),
                stamps,
                days,
                orders.amount_minor[first:last].tolist(),
                strict=True,
            )
        )


def load_sqlite(path: Path, orders: Orders, seed: int) -> None:
    """Migrate a new SQLite file and bulk-load the customers and orders into it."""
    from clv.store import make_engine, upgrade

    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode=OFF")
        con.execute("PRAGMA synchronous=OFF")
        con.execute("PRAGMA foreign_keys=OFF")
        con.execute("PRAGMA cache_size=-262144")
        (sql,) = con.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", (INDEX_NAME,)
        ).fetchone()
        if " ".join(sql.replace('"', "").split()) != INDEX_SQL:
            raise RuntimeError(f"unexpected definition of {INDEX_NAME}: {sql}")
        con.execute(f"DROP INDEX {INDEX_NAME}")
        con.execute("BEGIN")
        rng = np.random.default_rng([seed, 1])
        opted_out = (rng.random(orders.customers) < OPTED_OUT_SHARE).tolist()
        con.executemany(
            "INSERT INTO customers (id, external_id, opted_out) VALUES (?, ?, ?)",
            (
                (i, customer_key(i, orders.customers), int(out))
                for i, out in enumerate(opted_out, start=1)
            ),
        )
        insert = (
            "INSERT INTO orders (external_id, customer_id, ordered_at, ordered_on, amount_minor)"
            " VALUES (?, ?, ?, ?, ?)"
        )
        for rows in _order_rows(orders):
            con.executemany(insert, rows)
        con.execute(sql)  # the index again, exactly as the migration defined it
        con.execute("COMMIT")
        con.execute("PRAGMA journal_mode=WAL")  # as clvbot always opens it
    finally:
        con.close()


def postgres_data(args: argparse.Namespace) -> tuple[Any, str]:
    """The bench's PostgreSQL server, started, and the name of its loaded database for
    (customers, seed), loaded from the cached orders when missing."""
    workdir = Path(args.workdir)
    cluster = score_pg.server(workdir, args.pg_port)
    name = f"clvbench_n{args.customers}_s{args.seed}_v{GEN_VERSION}"
    if score_pg.database_exists(cluster, name):
        print(f"postgresql: loaded database {name} on port {args.pg_port}", flush=True)
        score_pg.upgrade_loaded(cluster, name)
        return cluster, name
    npz = workdir / f"{name}.npz"
    t0 = time.perf_counter()
    if npz.exists():
        with np.load(npz) as saved:
            orders = Orders(args.customers, saved["customer_id"], saved["at_us"],
                            saved["amount_minor"], 0)  # fmt: skip
    else:
        orders = simulate(args.customers, args.seed)
    rng = np.random.default_rng([args.seed, 1])
    opted_out = rng.random(orders.customers) < OPTED_OUT_SHARE
    print(f"postgresql: {orders.customer_id.size:,} orders ready in "
          f"{time.perf_counter() - t0:.1f} s; loading", flush=True)  # fmt: skip
    seconds = score_pg.load(cluster, name, orders, opted_out)
    print(f"postgresql: loaded in {seconds:.1f} s "
          f"({orders.customer_id.size / seconds:,.0f} orders/s with indexes and ANALYZE; not "
          "part of any target)", flush=True)  # fmt: skip
    return cluster, name


def ensure_data(args: argparse.Namespace) -> tuple[Path, Path]:
    """The cached SQLite file and .npz for (customers, seed), generated when missing; the
    SQLite file only for `--store sqlite` (at 10M customers it is 14 GB and 8 minutes)."""
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    stem = f"clvbench_n{args.customers}_s{args.seed}_v{GEN_VERSION}"
    db, npz = workdir / f"{stem}.db", workdir / f"{stem}.npz"
    if npz.exists() and (db.exists() or args.store != "sqlite"):
        print(f"data: cached {npz} ({npz.stat().st_size / 2**20:,.0f} MB)", flush=True)
        return db, npz
    t0 = time.perf_counter()
    orders = simulate(args.customers, args.seed)
    gen = time.perf_counter() - t0
    n_orders = orders.customer_id.size
    buy_days = np.unique(orders.customer_id * 100_000 + orders.at_us // DAY_US).size
    repeaters = np.count_nonzero(np.bincount(orders.customer_id) > 1)
    print(
        f"data: {args.customers:,} customers, {n_orders:,} orders "
        f"({n_orders / args.customers:.2f} per customer, {buy_days:,} purchase days, "
        f"{orders.same_day_extra:,} extra same-day orders, {repeaters:,} repeat customers, "
        f"mean amount ${orders.amount_minor.mean() / 100:.2f}) drawn in {gen:.2f} s",
        flush=True,
    )
    tmp_npz = workdir / f"{stem}.tmp.npz"
    np.savez(
        tmp_npz,
        customer_id=orders.customer_id,
        at_us=orders.at_us,
        amount_minor=orders.amount_minor,
    )
    if args.store != "sqlite":
        os.replace(tmp_npz, npz)
        return db, npz
    tmp_db = workdir / f"{stem}.tmp.db"
    for stale in (tmp_db, *sibling_files(tmp_db)):
        stale.unlink(missing_ok=True)
    t0 = time.perf_counter()
    load_sqlite(tmp_db, orders, args.seed)
    load = time.perf_counter() - t0
    os.replace(tmp_npz, npz)
    os.replace(tmp_db, db)
    print(
        f"load: migrated + loaded in {load:.1f} s ({n_orders / load:,.0f} orders/s, "
        f"index rebuilt included; not part of any target), {db.stat().st_size / 2**20:,.0f} MB",
        flush=True,
    )
    return db, npz


def sibling_files(db: Path) -> tuple[Path, Path]:
    return db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")


def fresh_copy(db: Path, workdir: Path) -> Path:
    copy = workdir / "score.db"
    for stale in (copy, *sibling_files(copy)):
        stale.unlink(missing_ok=True)
    shutil.copyfile(db, copy)
    # the cached file keeps the schema it was built with; bring the copy to this clvbot's
    # (untimed: later migrations add tables, they do not touch the orders)
    from clv.store import make_engine, upgrade

    engine = make_engine(f"sqlite:///{copy}")
    upgrade(engine)
    engine.dispose()
    return copy


# ----------------------------------------------------------------------------- measuring
@dataclass
class Run:
    seconds: float
    maxrss_mb: float
    detail: dict[str, Any]


def clvbot_path() -> Path:
    for candidate in (ROOT / ".venv" / "bin" / "clvbot", Path(sys.executable).parent / "clvbot"):
        if candidate.exists():
            return candidate
    raise SystemExit("clvbot console script not found: install the project in .venv")


def run_ours(url: str, cwd: Path, args: argparse.Namespace) -> Run | None:
    """`clvbot score` in a fresh process on the store at `url`: wall time, peak RSS, output."""
    clvbot = clvbot_path()
    cli = ["score", "--as-of", AS_OF, *(["--model", args.model] if args.model else [])]
    use_time = args.rss_probe == "time" or (args.rss_probe == "auto" and TIME_V.exists())
    if use_time:
        cmd = [str(TIME_V), "-v", str(clvbot), *cli]
    else:
        python = clvbot.parent / "python"
        cmd = [str(python), "-c", RSS_WRAPPER, str(clvbot), *cli]
    env = {**os.environ, "DATABASE_URL": url}
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd, check=False)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        print(f"[clvbot score] failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr[-3000:]}")
        return None
    if use_time:
        found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
        maxrss_kb = int(found.group(1)) if found else 0
        probe = "/usr/bin/time -v"
    else:
        line = [ln for ln in proc.stderr.splitlines() if ln.startswith("RUSAGE ")][-1]
        usage = json.loads(line[len("RUSAGE ") :])
        maxrss_kb = max(usage["self_kb"], usage["children_kb"])
        probe = "getrusage"
    output = " | ".join(ln for ln in proc.stdout.splitlines() if ln.strip())
    return Run(wall, maxrss_kb / 1024, {"output": output, "probe": probe})


def run_theirs(
    npz: Path, python: Path = LIFETIMES_PY, script: Path = LIFETIMES_ROUTE
) -> Run | None:
    """The lifetimes (or pymc-marketing) route in its own venv; its time excludes loading the
    orders."""
    cmd = [str(python), str(script), str(npz), "--as-of", AS_OF]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        print(f"[lifetimes route] failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
        return None
    res: dict[str, Any] = json.loads(lines[-1][len("RESULT ") :])
    return Run(float(res["seconds"]), float(res["maxrss_mb"]), res)


def newest_run(url: str) -> tuple[dict[str, float], dict[str, int]]:
    """The newest complete full run's stage seconds, and counts to compare with lifetimes."""
    from sqlalchemy import text

    from clv.store import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            details, run_id = connection.execute(
                text(
                    "SELECT details, id FROM scoring_runs WHERE status = 'complete' AND "
                    "kind = 'full' ORDER BY id DESC LIMIT 1"
                )
            ).one()
            count, frequency, repeat = connection.execute(
                text(
                    "SELECT count(*), sum(frequency), sum(CASE WHEN frequency > 0 THEN 1 "
                    "ELSE 0 END) FROM customer_scores WHERE run_id = :run"
                ),
                {"run": run_id},
            ).one()
    finally:
        engine.dispose()
    if isinstance(details, str):
        details = json.loads(details)
    check = {"customers": count, "frequency_sum": frequency, "repeat_customers": repeat}
    stages: dict[str, float] = details.get("stage_seconds") or {}
    return stages, {key: int(value) for key, value in check.items()}


def stage_table(rounds: list[dict[str, float]], before: dict[str, float] | None) -> None:
    """Per-stage medians over the rounds, beside a saved `before` table when given."""
    names = list(dict.fromkeys(name for got in rounds for name in got))
    if before:
        names += [name for name in before if name not in names]
    print(
        f"{'stage':18s} {'before s':>9s} {'after s':>9s}" if before else f"{'stage':18s} {'s':>9s}"
    )
    total_b = total_a = 0.0
    for name in names:
        values = [got[name] for got in rounds if name in got]
        after = statistics.median(values) if values else float("nan")
        total_a += after if values else 0.0
        if before:
            b = before.get(name, float("nan"))
            total_b += before.get(name, 0.0)
            print(f"{name:18s} {b:9.2f} {after:9.2f}")
        else:
            print(f"{name:18s} {after:9.2f}")
    if before:
        print(f"{'sum of stages':18s} {total_b:9.2f} {total_a:9.2f}")
    else:
        print(f"{'sum of stages':18s} {total_a:9.2f}")


def read_api(url: str, customers: int, seed: int) -> dict[str, list[float]]:
    """Latencies (ms) of `customer_view` and `group_summary` in this process."""
    from datetime import UTC, datetime

    from sqlmodel import Session

    from clv.insights import customer_view, group_summary
    from clv.outreach.policy import OutreachRules
    from clv.store import make_engine

    rules, now = OutreachRules(cooldown_days=30, require_email=False), datetime.now(UTC)

    rng = np.random.default_rng([seed, 2])
    picks = rng.choice(np.arange(1, customers + 1), size=min(API_CALLS, customers), replace=False)
    keys = [customer_key(int(i), customers) for i in picks]
    engine = make_engine(url)
    view_ms: list[float] = []
    group_ms: list[float] = []
    try:
        with Session(engine) as session:
            customer_view(session, customer_key(1, customers), rules=rules, now=now)  # warm-up
            group_summary(session, SEGMENTS[0])
            for key in keys:
                t0 = time.perf_counter()
                customer_view(session, key, rules=rules, now=now)
                view_ms.append((time.perf_counter() - t0) * 1000)
            for k in range(API_CALLS):
                t0 = time.perf_counter()
                group_summary(session, SEGMENTS[k % len(SEGMENTS)])
                group_ms.append((time.perf_counter() - t0) * 1000)
    finally:
        engine.dispose()
    return {"view": view_ms, "group": group_ms}


# ------------------------------------------------------------------------------- report
def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(
    ours: list[Run],
    theirs: list[Run],
    api: dict[str, list[float]] | None,
    args: argparse.Namespace,
) -> None:
    print()
    model = args.model or "default (CLV_MODEL, auto unless set)"
    seconds, rss = TARGETS[args.store] if args.customers <= 1_000_000 else TARGET_10M
    print(
        f"{args.customers:,} customers on {args.store}, model {model}, {len(ours)} round(s); "
        f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} "
        f"{os.getloadavg()[2]:.2f} at the end"
    )
    hdr = f"{'measure':42s} {'value':>16s}  {'target':22s} result"
    print(hdr)
    print("-" * len(hdr))
    rows: list[tuple[str, str, str, str]] = []
    o_t = statistics.median(r.seconds for r in ours) if ours else float("nan")
    o_m = max((r.maxrss_mb for r in ours), default=float("nan"))
    t_t = statistics.median(r.seconds for r in theirs) if theirs else float("nan")
    t_m = max((r.maxrss_mb for r in theirs), default=float("nan"))
    wall_ok = _verdict(o_t <= seconds)
    rows.append(("clvbot score wall (fresh process)", f"{o_t:.2f} s", f"<= {seconds:g} s", wall_ok))
    if theirs:
        faster = _verdict(o_t < t_t)
        rows.append(("lifetimes route wall (loading excluded)", f"{t_t:.2f} s", "-", ""))
        rows.append(("speed-up lifetimes / clvbot", f"{t_t / o_t:.2f} x", "> 1", faster))
    rows.append(
        (
            "clvbot score peak RSS",
            f"{o_m:,.0f} MB",
            f"<= {rss:,.0f} MB",
            _verdict(o_m <= rss),
        )
    )
    if theirs:
        rows.append(("lifetimes route peak RSS (loading incl.)", f"{t_m:,.0f} MB", "-", ""))
    if api is not None:
        for key, label, limit in (
            ("view", "customer_view", TARGET_VIEW_MS),
            ("group", "group_summary", TARGET_GROUP_MS),
        ):
            ms = api[key]
            med, p95 = float(np.median(ms)), float(np.percentile(ms, 95))
            rows.append((f"{label} median ({len(ms)} calls)", f"{med:.2f} ms",
                         f"< {limit:.0f} ms", _verdict(med < limit)))  # fmt: skip
            rows.append((f"{label} p95", f"{p95:.2f} ms", "-", ""))
    for name, value, target, verdict in rows:
        print(f"{name:42s} {value:>16s}  {target:22s} {verdict}")
    if len(ours) > 1:
        print("clvbot rounds (s): " + ", ".join(f"{r.seconds:.2f}" for r in ours))
    if len(theirs) > 1:
        print("lifetimes rounds (s): " + ", ".join(f"{r.seconds:.2f}" for r in theirs))


# --------------------------------------------------------------------------------- main
@dataclass
class Rounds:
    """What the rounds measured: clvbot's runs and their stage seconds, the lifetimes and
    pymc-marketing routes' runs, and the URL of the store clvbot scored last."""

    ours: list[Run] = field(default_factory=list)
    theirs: list[Run] = field(default_factory=list)
    stages: list[dict[str, float]] = field(default_factory=list)
    pymc: list[Run] = field(default_factory=list)
    scored: str | None = None


def parse_args() -> argparse.Namespace:
    """The command line (see the module docstring)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--workdir", default="/tmp/clvbench")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--model", choices=("bgnbd", "mbgnbd", "pnbd"), default=None)
    ap.add_argument("--skip-lifetimes", action="store_true")
    ap.add_argument(
        "--rss-probe",
        choices=("auto", "time", "python"),
        default="auto",
        help="peak RSS of clvbot from /usr/bin/time -v, or from a getrusage wrapper",
    )
    ap.add_argument("--save-stages", help="write the per-stage medians (JSON) to this file")
    ap.add_argument("--stages-before", help="a --save-stages file to print beside this run's")
    ap.add_argument(
        "--pymc",
        action="store_true",
        help="also time pymc-marketing's MAP route (bench/.venv-pymc, bench/pymc_score_route.py)",
    )
    ap.add_argument("--store", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("--pg-port", type=int, default=55432, help="the bench server's port")
    ap.add_argument(
        "--pg-reuse",
        action="store_true",
        help="score the loaded database itself (its runs deleted first), not a copy of it",
    )
    ap.add_argument("--pg-keep-running", action="store_true", help="leave the server running")
    return ap.parse_args()


def round_store(db: Path, cluster: Any, name: str, args: argparse.Namespace) -> str:
    """The URL of the store one round scores: a fresh copy of the SQLite file, or of the loaded
    PostgreSQL database `name` (that database itself with --pg-reuse)."""
    if cluster is None:
        return f"sqlite:///{fresh_copy(db, Path(args.workdir))}"
    return score_pg.fresh_copy(cluster, name, args.pg_reuse)


def run_round(
    rnd: int, url: str, npz: Path, lifetimes: bool, args: argparse.Namespace, got: Rounds
) -> None:
    """One round: clvbot score on the store at `url`, then the lifetimes route and
    pymc-marketing's when wanted, each printed and appended to `got`."""
    res = run_ours(url, Path(args.workdir), args)
    if res is not None:
        got.ours.append(res)
        got.scored = url
        got.stages.append(newest_run(url)[0])
        print(f"round {rnd} clvbot score   {res.seconds:7.2f} s {res.maxrss_mb:7,.0f} MB "
              f"({res.detail['probe']}): {res.detail['output']}", flush=True)  # fmt: skip
        print("  stages: " + ", ".join(f"{k} {v:.2f}" for k, v in got.stages[-1].items()))
    if lifetimes:
        theirs = run_theirs(npz)
        if theirs is not None:
            got.theirs.append(theirs)
            d = theirs.detail
            steps = ", ".join(f"{k} {v:.2f} s" for k, v in d["steps"].items())
            print(f"round {rnd} lifetimes      {theirs.seconds:7.2f} s "
                  f"{theirs.maxrss_mb:7,.0f} MB (rss after load "
                  f"{d['rss_after_load_mb']:,.0f} MB; load {d['load_seconds']:.1f} s "
                  f"untimed): {steps}", flush=True)  # fmt: skip
    if args.pymc and PYMC_PY.exists():
        pymc = run_theirs(npz, PYMC_PY, PYMC_ROUTE)
        if pymc is not None:
            got.pymc.append(pymc)
            steps = ", ".join(f"{k} {v:.2f} s" for k, v in pymc.detail["steps"].items())
            print(f"round {rnd} pymc-marketing {pymc.seconds:7.2f} s "
                  f"{pymc.maxrss_mb:7,.0f} MB (MAP fits): {steps}; bgnbd "
                  f"{pymc.detail['bgnbd']}", flush=True)  # fmt: skip


def check_and_time_api(got: Rounds, args: argparse.Namespace) -> dict[str, list[float]] | None:
    """Print the last scored run's counts beside the lifetimes route's summary, and time the read
    API on that store; None when no round scored."""
    if got.scored is None:
        return None
    check = newest_run(got.scored)[1]
    print(f"clvbot scores: {check}")
    if got.theirs:
        d = got.theirs[-1].detail
        same = {k: d[k] for k in check}
        print(f"lifetimes summary: {same} "
              f"({'same' if same == check else 'DIFFERENT'}); bgnbd {d['bgnbd']}, "
              f"gammagamma {d['gammagamma']}, clv sum {d['clv_sum']:,.0f}")  # fmt: skip
    return read_api(got.scored, args.customers, args.seed)


def print_stages(stages: list[dict[str, float]], args: argparse.Namespace) -> None:
    """The per-stage medians, beside the --stages-before table; saved to --save-stages."""
    print()
    before = json.loads(Path(args.stages_before).read_text()) if args.stages_before else None
    stage_table(stages, before)
    if args.save_stages:
        medians = {k: statistics.median(g[k] for g in stages if k in g) for k in stages[0]}
        Path(args.save_stages).write_text(json.dumps(medians, indent=1))


def main() -> None:
    args = parse_args()
    sys.path.insert(0, str(ROOT))
    print(f"load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    db, npz = ensure_data(args)
    lifetimes = not args.skip_lifetimes
    if lifetimes and not LIFETIMES_PY.exists():
        print(f"no lifetimes venv at {LIFETIMES_PY.parent.parent}: skipping that route")
        lifetimes = False
    cluster, name = postgres_data(args) if args.store == "postgresql" else (None, "")
    got = Rounds()
    try:
        for rnd in range(1, args.rounds + 1):
            run_round(rnd, round_store(db, cluster, name, args), npz, lifetimes, args, got)
        api = check_and_time_api(got, args)
    finally:
        if cluster is not None and not args.pg_keep_running:
            score_pg.stop(cluster)
    report(got.ours, got.theirs, api, args)
    if got.stages:
        print_stages(got.stages, args)


if __name__ == "__main__":
    main()
