"""Benchmark building and rendering the weekly digest on a 1M-customer store.

    .venv/bin/python bench/bench_digest.py                  # 1M customers (bench_score's data)
    .venv/bin/python bench/bench_digest.py --customers 20000 --rounds 5

    .venv/bin/python bench/bench_digest.py --database-url postgresql+psycopg://...  # a scored store

1. Takes bench_score.py's cached order store for (customers, seed) — generating it when
   missing — and scores a copy with `clvbot score --as-of 2024-12-31 --backfill 1` (a previous
   week, so week-over-week changes exist); the scored copy is cached too.
2. Records 200 outreach sends four weeks before the digest, so the outcome query has work.
3. In this process, times `build_digest` (the store reads), `render_blocks` + `render_text`
   (Jinja2 + Block Kit) and `chart_png` (matplotlib), first call and median of `--rounds`.
4. Prints the target (under 5 s for build + render, chart included) with PASS/FAIL.

This is a benchmark, not a test: it exits 0 whatever the numbers.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import bench_score  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402
from sqlmodel import Session  # noqa: E402

from clv.settings import Settings  # noqa: E402
from clv.store import make_engine  # noqa: E402
from clv.store.tables import customer_scores_table, outreach_table  # noqa: E402
from reports.digest.data import build_digest  # noqa: E402
from reports.digest.publish import chart_png  # noqa: E402
from reports.digest.render import render_blocks, render_text  # noqa: E402

AS_OF = "2024-12-31"
NOW = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)  # the Monday after
TARGET_SECONDS = 5.0


def scored_store(args: argparse.Namespace) -> Path:
    db, _ = bench_score.ensure_data(args)
    scored = db.with_name(db.stem + "_digest.db")
    if scored.exists():
        print(f"store: cached scored copy {scored}")
        return scored
    tmp = scored.with_name(scored.name + ".tmp")
    shutil.copyfile(db, tmp)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp}"}
    clvbot = str(bench_score.clvbot_path())
    subprocess.run([clvbot, "db", "upgrade"], check=True, env=env)  # the cache may be older
    t0 = time.perf_counter()
    subprocess.run([clvbot, "score", "--as-of", AS_OF, "--backfill", "1"],
                   check=True, env=env)  # fmt: skip
    print(f"store: scored with one backfilled week in {time.perf_counter() - t0:.1f} s")
    record_sends(f"sqlite:///{tmp}")
    os.replace(tmp, scored)
    return scored


def record_sends(url: str) -> None:
    """200 outreach sends to dormant customers four weeks before the digest (once a store)."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            done = connection.execute(
                select(outreach_table.c.id).where(outreach_table.c.source == "bench").limit(1)
            ).first()
            if done is None:
                ids = connection.execute(
                    select(customer_scores_table.c.customer_id)
                    .where(customer_scores_table.c.dormant.is_(True))
                    .limit(200)
                ).scalars().all()  # fmt: skip
                sent = NOW - timedelta(weeks=4)
                connection.execute(insert(outreach_table), [
                    {"customer_id": c, "requested_by": "UBENCH", "requested_at": sent,
                     "source": "bench", "backend": "log", "status": "sent", "finished_at": sent}
                    for c in ids
                ])  # fmt: skip
    finally:
        engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--workdir", default="/tmp/clvbench")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument(
        "--database-url",
        help="a store scored already (bench_score.py's PostgreSQL one, left running with "
        "--pg-keep-running) instead of the SQLite copy",
    )
    args = ap.parse_args()
    print(f"load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    if args.database_url:
        url = args.database_url
        record_sends(url)
    else:
        url = f"sqlite:///{scored_store(args)}"
    settings = Settings(database_url=url, _env_file=None)  # type: ignore[call-arg]
    engine = make_engine(settings.database_url)
    timings: dict[str, list[float]] = {"build": [], "render": [], "chart": [], "total": []}
    for _ in range(args.rounds):
        t0 = time.perf_counter()
        with Session(engine) as session:
            digest = build_digest(session, settings, week_end=None, now=NOW)
        t1 = time.perf_counter()
        message = render_blocks(digest, channel="C0BENCH")
        render_text(digest, channel="C0BENCH")
        t2 = time.perf_counter()
        png = chart_png(digest)
        t3 = time.perf_counter()
        for key, value in (("build", t1 - t0), ("render", t2 - t1), ("chart", t3 - t2),
                           ("total", t3 - t0)):  # fmt: skip
            timings[key].append(value)
    print(f"digest of week {digest.week_end}: {len(digest.trend)} weeks, "
          f"{len(digest.segments)} segments, {len(digest.dormant)} dormant rows, "
          f"{digest.outreach.overall.contacted.contacted.customers} contacted; "
          f"{len(message['blocks'])} blocks, "
          f"chart {len(png) / 1024:.0f} KB")  # fmt: skip
    for key, values in timings.items():
        median = statistics.median(values)
        print(f"{key:7s} first {values[0] * 1000:8.1f} ms   median {median * 1000:8.1f} ms")
    worst = max(timings["total"])
    verdict = "PASS" if worst < TARGET_SECONDS else "FAIL"
    store = "the given store" if args.database_url else f"{args.customers:,} customers"
    print(f"target: build + render + chart < {TARGET_SECONDS:.0f} s on {store}: "
          f"slowest of {args.rounds} {worst:.2f} s {verdict}")  # fmt: skip


if __name__ == "__main__":
    main()
